package helmchart

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/runtime"
	kscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/stackgen/aiden/workspace"
)

// lintCases are charts that break each rule helm lint has, one at a time,
// built from the web test chart.
func lintCases(t testing.TB) map[string][]workspace.File {
	web := readChart(t, "testdata/web")
	deployment := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bare\nspec:\n  template:\n    metadata:\n      labels: {app: bare}\n    spec:\n      containers: [{name: c, image: nginx:1.27}]\n"
	cases := map[string][]workspace.File{
		"clean":             web,
		"no icon":           with(web, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
		"bad chart version": with(web, "Chart.yaml", "apiVersion: v2\nname: web\nversion: one\nicon: https://example.com/i.png\n"),
		"unreadable values": with(web, "values.yaml", "replicaCount: [\n"),
		"values against schema": with(with(web, "values.schema.json",
			`{"type":"object","properties":{"replicaCount":{"type":"string"}}}`), "values.yaml", "replicaCount: 2\n"),
		"missing dependency": with(web, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\nicon: https://example.com/i.png\ndependencies:\n  - name: redis\n    version: 19.6.4\n    repository: https://charts.bitnami.com/bitnami\n"),
		"bad extension":      with(web, "templates/notes.md", "# notes\n"),
		"crd hook":           with(web, "templates/crd.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    \"helm.sh/hook\": crd-install\n"),
		"release time":       with(web, "templates/time.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n  at: \"{{ .Release.Time }}\"\n"),
		"indented":           with(web, "templates/indented.yaml", "  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: indented\n"),
		"unreadable output":  with(web, "templates/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n"),
		"bad names": with(web, "templates/names.yaml",
			"apiVersion: v1\nkind: Service\nmetadata:\n  name: 9Web_svc\nspec:\n  ports: [{port: 80}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: a/b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: UPPER\n"),
		"deprecated api": with(web, "templates/old.yaml",
			"apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: old\nspec:\n  priorityLevelConfiguration: {name: global-default}\n"),
		"no selector": with(web, "templates/bare.yaml", deployment),
		"list annotation": with(web, "templates/list.yaml",
			"apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: kept\n      annotations: {helm.sh/resource-policy: keep}\n"),
		"custom kind":    with(web, "templates/custom.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
		"yml is skipped": with(web, "templates/skipped.yml", "  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: Skipped\n"),
	}
	for name, files := range chartLintCases(t) {
		cases[name] = files
	}
	return cases
}

// TestLintMatchesHelm holds Lint to `helm lint` itself: for every case,
// and for every chart the built-in planner's golden tests produce, Lint
// reports exactly what the Helm SDK's linter reports.
func TestLintMatchesHelm(t *testing.T) {
	cases := lintCases(t)
	golden, err := filepath.Glob("../../generator/planner/testdata/golden/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(golden) < 10 {
		t.Fatalf("found %d golden charts, want the planner's", len(golden))
	}
	for _, dir := range golden {
		cases["golden/"+filepath.Base(dir)] = readChart(t, dir)
	}
	// helm lint renders with release "test-release", which names appear in.
	r, err := New(Options{KubeVersion: "1.35.4", ReleaseName: "test-release"})
	if err != nil {
		t.Fatal(err)
	}
	kube, err := chartutil.ParseKubeVersion("1.35.4")
	if err != nil {
		t.Fatal(err)
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			rendered, err := r.Render(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Lint(context.Background(), files, rendered)
			if err != nil {
				t.Fatal(err)
			}
			want := helmLint(t, files, kube)
			if g, w := summarize(got), summarize(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("Lint reports\n  %s\nhelm lint reports\n  %s", strings.Join(g, "\n  "), strings.Join(w, "\n  "))
			}
		})
	}
}

// The cases must exercise every rule, at the level helm lint gives it.
func TestLintCasesFind(t *testing.T) {
	want := map[string]string{
		"no icon":               "I Chart.yaml icon is recommended",
		"bad chart version":     "E Chart.yaml version 'one' is not a valid SemVer",
		"unreadable values":     "E values.yaml unable to parse YAML",
		"values against schema": "E values.yaml - at '/replicaCount': got number, want string",
		"missing dependency":    "W Chart.yaml chart directory is missing these dependencies: redis",
		"bad extension":         "E templates/notes.md file extension '.md' not valid",
		"crd hook":              "W templates/crd.yaml manifest is a crd-install hook",
		"release time":          "E templates/time.yaml .Release.Time has been removed in v3",
		"indented":              "W templates/indented.yaml document starts with an illegal indent",
		"unreadable output":     "E templates/broken.yaml unable to parse YAML",
		"bad names":             `W templates/names.yaml object name does not conform to Kubernetes naming requirements: "9Web_svc"`,
		"deprecated api":        "W templates/old.yaml flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated in v1.29+, unavailable in v1.32+",
		"no selector":           `E templates/bare.yaml a Deployment must contain matchLabels or matchExpressions, and "bare" does not`,
		"list annotation":       "E templates/list.yaml Annotation 'helm.sh/resource-policy' within List objects are ignored",
	}
	for name, w := range chartCaseFinds {
		want[name] = w
	}
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		t.Fatal(err)
	}
	cases := lintCases(t)
	for name, w := range want {
		rendered, err := r.Render(context.Background(), cases[name])
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Lint(context.Background(), cases[name], rendered)
		if err != nil {
			t.Fatal(err)
		}
		lines := summarize(got)
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("%s: no %q in\n  %s", name, w, strings.Join(lines, "\n  "))
		}
	}
	for _, name := range append([]string{"clean", "custom kind", "yml is skipped"}, chartCasesClean...) {
		rendered, _ := r.Render(context.Background(), cases[name])
		got, _ := r.Lint(context.Background(), cases[name], rendered)
		if len(got) != 0 {
			t.Errorf("%s: got %s, want nothing", name, summarize(got))
		}
	}
}

// A chart that does not render gets no template findings: the render
// message is the one to read.
func TestLintSkipsTemplatesWhenRenderFails(t *testing.T) {
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		t.Fatal(err)
	}
	files := with(readChart(t, "testdata/web"), "templates/service.yaml",
		"  apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.x | nosuchfunc }}\n")
	rendered, err := r.Render(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if len(rendered.Messages) == 0 {
		t.Fatal("the chart rendered; the case needs a template error")
	}
	got, err := r.Lint(context.Background(), files, rendered)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("got %s, want nothing", summarize(got))
	}
}

// helmLint runs the Helm SDK's linter on files written to a folder named
// like the chart, keeping what a chart that renders can produce.
func helmLint(t testing.TB, files []workspace.File, kube *chartutil.KubeVersion) []Message {
	t.Helper()
	dir := filepath.Join(t.TempDir(), chartName(files))
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	linter := lint.AllWithKubeVersion(dir, nil, "default", kube)
	var out []Message
	for _, m := range linter.Messages {
		// Messages about a missing file name it by its path in dir.
		text := strings.ReplaceAll(m.Err.Error(), dir+string(filepath.Separator), "")
		msg := Message{Check: "lint", Level: lintLevel(m.Severity), File: m.Path, Text: text}
		if msg.File == dir {
			msg.File = "Chart.yaml"
		}
		if m.Severity == support.ErrorSev && msg.File == "templates/" {
			// Loading values or rendering failed; Render reports those,
			// and the values rule has already said why.
			continue
		}
		out = append(out, msg)
	}
	return out
}

func summarize(msgs []Message) []string {
	levels := map[Level]string{Info: "I", Warning: "W", Error: "E"}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("%s %s %s", levels[m.Level], m.File, m.Text))
	}
	sort.Strings(out)
	return out
}

// BenchmarkLint compares Lint (after Render, as validators run it) with
// the Helm SDK's linter, which renders again and builds the Kubernetes
// type registry once per object, on the planner's Redis with Sentinel.
func BenchmarkLint(b *testing.B) {
	files := readChart(b, "../../generator/planner/testdata/golden/redis-sentinel")
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("render+lint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rendered, err := r.Render(ctx, files)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Lint(ctx, files, rendered); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render+helm-sdk-lint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Render(ctx, files); err != nil {
				b.Fatal(err)
			}
			helmLint(b, files, r.kube)
		}
	})
}

// TestDeprecatedRegistry proves that client-go's registry, as the process
// holds it, knows the types helm lint's own registry (client-go's types
// alone, built afresh) knows, apart from the API extensions group
// deprecated leaves out.
func TestDeprecatedRegistry(t *testing.T) {
	fresh := runtime.NewScheme()
	if err := kscheme.AddToScheme(fresh); err != nil {
		t.Fatal(err)
	}
	known := func(s *runtime.Scheme) map[string]bool {
		out := map[string]bool{}
		for gvk := range s.AllKnownTypes() {
			if gvk.Group != extensionsGroup {
				out[gvk.String()] = true
			}
		}
		return out
	}
	want, got := known(fresh), known(kscheme.Scheme)
	if len(want) == 0 {
		t.Fatal("no types registered")
	}
	for k := range want {
		if !got[k] {
			t.Errorf("kscheme.Scheme lacks %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("kscheme.Scheme has %s, which helm lint's registry has not", k)
		}
	}
}
