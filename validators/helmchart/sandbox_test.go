package helmchart

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stackgen/aiden/workspace"
)

func TestMain(m *testing.M) {
	RunIfChild()
	os.Exit(m.Run())
}

// isolate renders in a child (this test binary) within l for the test.
func isolate(t testing.TB, l Limits) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	Isolate([]string{exe}, l)
	t.Cleanup(func() { Isolate(nil, Limits{}) })
}

// probeChart is a one-template chart named probe.
func probeChart(template, values string) []workspace.File {
	return []workspace.File{
		{Path: "Chart.yaml", Content: []byte("apiVersion: v2\nname: probe\nversion: 0.1.0\n")},
		{Path: "values.yaml", Content: []byte(values)},
		{Path: "templates/cm.yaml", Content: []byte(template)},
	}
}

// The probes of issue 12: each took gigabytes or minutes, or ended the
// process, when rendered in the server.
var probes = []struct {
	name, template, values string
	want                   string // in the message
}{
	{
		name:     "tpl calls itself",
		template: "a: {{ tpl .Values.a . }}\n",
		values:   "a: \"{{ tpl .Values.a . }}\"\n",
		want:     "limit of",
	},
	{
		name:     "range until",
		template: "{{ range until 10000000 }}{{ . }} x x x x x x x x x x\n{{ end }}",
		want:     "limit of",
	},
	{
		name:     "nested repeat",
		template: "a: {{ repeat 100000 (repeat 100000 \"x\") }}\n",
		want:     "limit of",
	},
}

func TestIsolatedRenderBoundsProbes(t *testing.T) {
	isolate(t, Limits{MaxMemory: 256 << 20, MaxOutput: 1 << 20, Timeout: 3 * time.Second})
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			res, err := r.Render(context.Background(), probeChart(p.template, p.values))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Messages) != 1 || res.Messages[0].Level != Error {
				t.Fatalf("got messages %+v, want one error", res.Messages)
			}
			msg := res.Messages[0].Text
			if !strings.Contains(msg, `"probe"`) || !strings.Contains(msg, p.want) {
				t.Errorf("message %q does not name the chart and the limit", msg)
			}
			t.Log(msg)
		})
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("this process after the probes: %d MiB from the OS", m.Sys>>20)
}

func TestIsolatedRenderMatchesInProcess(t *testing.T) {
	files := readChart(t, "testdata/web")
	r, err := New(Options{KubeVersion: "1.35.4", Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	local, err := r.Render(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	isolate(t, Limits{})
	child, err := r.Render(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if len(child.Manifests) != len(local.Manifests) || len(child.Messages) != len(local.Messages) {
		t.Fatalf("child rendered %d manifests and %d messages, this process %d and %d",
			len(child.Manifests), len(child.Messages), len(local.Manifests), len(local.Messages))
	}
	for i := range local.Manifests {
		if child.Manifests[i].Path != local.Manifests[i].Path || string(child.Manifests[i].Content) != string(local.Manifests[i].Content) {
			t.Errorf("manifest %d: child rendered %s differently", i, child.Manifests[i].Path)
		}
	}
}

func TestRequestDeadlineStopsIsolatedRender(t *testing.T) {
	isolate(t, Limits{Timeout: time.Hour})
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(500 * time.Millisecond); cancel() }()
	_, err = r.Render(ctx, probeChart("{{ range until 1000 }}{{ range until 1000 }}{{ range until 1000 }}{{ end }}{{ end }}{{ end }}", ""))
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("got %v, want the request's cancellation", err)
	}
}

func TestOutputCapInProcess(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), probeChart("a: {{ repeat 17000000 \"x\" }}\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifests) != 0 || len(res.Messages) != 1 || !strings.Contains(res.Messages[0].Text, "more than the limit of 16 MiB") {
		t.Fatalf("got %d manifests and messages %+v, want the output limit", len(res.Manifests), res.Messages)
	}
}

// FuzzRender renders arbitrary templates and values in the isolated
// renderer: whatever they do, Render answers and this process lives. The
// probes are seeds in testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	f.Add("a: {{ .Values.a | toYaml | indent 2 }}\n", "a: {b: [1, 2]}\n")
	isolate(f, Limits{MaxMemory: 256 << 20, MaxOutput: 1 << 20, Timeout: 2 * time.Second})
	r, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, template, values string) {
		if _, err := r.Render(context.Background(), probeChart(template, values)); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkRenderIsolation is what rendering a chart in a child process
// (aiden serve's default) costs beside rendering it in this process.
func BenchmarkRenderIsolation(b *testing.B) {
	files := readChart(b, "testdata/web")
	r, err := New(Options{KubeVersion: "1.35.4", Namespace: "apps"})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Render(context.Background(), files); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("in-process", run)
	b.Run("child", func(b *testing.B) {
		isolate(b, Limits{})
		run(b)
	})
}
