package helmchart

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// readChart reads a chart folder into files relative to its root.
func readChart(t testing.TB, dir string) []workspace.File {
	t.Helper()
	return workspacetest.Read(t, dir, "")
}

// with returns files with one file replaced or added.
func with(files []workspace.File, path, content string) []workspace.File {
	out := []workspace.File{{Path: path, Content: []byte(content)}}
	for _, f := range files {
		if f.Path != path {
			out = append(out, f)
		}
	}
	return out
}

func TestRender(t *testing.T) {
	r, err := New(Options{KubeVersion: "1.35.4", Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), readChart(t, "testdata/web"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 0 {
		t.Fatalf("got messages %+v, want none", res.Messages)
	}
	var got []string
	for _, m := range res.Manifests {
		got = append(got, m.Path)
	}
	want := []string{
		"templates/configmap.yaml", "templates/deployment.yaml", "templates/hpa.yaml",
		"templates/ingress.yaml", "templates/networkpolicy.yaml", "templates/pdb.yaml",
		"templates/rbac.yaml", "templates/service.yaml", "templates/serviceaccount.yaml",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got manifests %v, want %v", got, want)
	}
	for _, m := range res.Manifests {
		if m.Path == "templates/rbac.yaml" && !strings.Contains(string(m.Content), "namespace: apps") {
			t.Errorf("got rbac.yaml without the release namespace:\n%s", m.Content)
		}
	}
}

func TestRenderFailures(t *testing.T) {
	chart := readChart(t, "testdata/web")
	tests := []struct {
		name     string
		files    []workspace.File
		opts     Options
		wantFile string
		wantLine int
		wantText string
	}{
		{
			name:     "unknown function",
			files:    with(chart, "templates/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.x | nosuchfunc }}\n"),
			wantFile: "templates/service.yaml", wantLine: 4, wantText: `function "nosuchfunc" not defined`,
		},
		{
			name:     "required value missing",
			files:    with(chart, "templates/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required \"config.a is required\" .Values.config.a }}\n"),
			wantFile: "templates/configmap.yaml", wantLine: 6, wantText: "config.a is required",
		},
		{
			name:     "broken Chart.yaml",
			files:    with(chart, "Chart.yaml", "apiVersion: v2\nname: [web\n"),
			wantFile: "Chart.yaml", wantText: "Chart.yaml",
		},
		{
			name:     "kubeVersion out of range",
			files:    chart,
			opts:     Options{KubeVersion: "1.29.0"},
			wantFile: "Chart.yaml", wantText: "incompatible with Kubernetes v1.29.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.KubeVersion == "" {
				tt.opts.KubeVersion = "1.35.4"
			}
			r, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Render(context.Background(), tt.files)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Messages) != 1 {
				t.Fatalf("got messages %+v, want one", res.Messages)
			}
			m := res.Messages[0]
			if m.Check != "render" || m.Level != Error || m.File != tt.wantFile || m.Line != tt.wantLine || !strings.Contains(m.Text, tt.wantText) {
				t.Errorf("got %+v, want render error in %s:%d containing %q", m, tt.wantFile, tt.wantLine, tt.wantText)
			}
		})
	}
}
