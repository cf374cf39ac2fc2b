package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

func TestValidate(t *testing.T) {
	chart, err := LoadPaths("helmchart/testdata/web")
	if err != nil {
		t.Fatal(err)
	}
	files := append(chart,
		workspace.File{Path: "apps/api/deploy.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.3
          resources:
            limits: {memory: 256Mi, cpu: 1}
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
    - port: "http"
`)},
		workspace.File{Path: "apps/api/widget.yaml", Content: []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: api\n")},
		workspace.File{Path: "apps/api/README.md", Content: []byte("# api\n")},
		workspace.File{Path: "apps/values.yaml", Content: []byte("replicas: 3\n")},
		workspace.File{Path: "apps/broken.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: [\n")},
		workspace.File{Path: "overlays/prod/kustomization.yaml", Content: []byte("resources: [../../base]\n")},
		workspace.File{Path: "overlays/prod/patch.yaml", Content: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 5\n")},
	)

	v, err := New(Options{CacheDir: t.TempDir(), Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}

	wantChecks := []Check{
		{Name: "render", Status: CheckPassed, Checked: 1},
		{Name: "lint", Status: CheckPassed, Checked: 1},
		// The overlay's base is not among the files: a finding, not a crash.
		{Name: "kustomize", Status: CheckFailed, Checked: 1, Detail: "1 overlay, 1 error"},
		{Name: "schema", Status: CheckFailed, Checked: 13, Skipped: 1},
		// Files found in folders that are no input aiden knows are listed.
		{Name: "skipped", Status: CheckSkipped, Skipped: 2,
			Detail: "2 files not checked, being no Kubernetes manifest, chart, kustomization or Terraform: apps/api/README.md, apps/values.yaml"},
	}
	if len(rep.Checks) != len(wantChecks) {
		t.Fatalf("got checks %+v, want %+v", rep.Checks, wantChecks)
	}
	for i, w := range wantChecks {
		g := rep.Checks[i]
		if g.Name != w.Name || g.Status != w.Status || g.Checked != w.Checked || g.Skipped != w.Skipped ||
			(w.Detail != "" && g.Detail != w.Detail) {
			t.Errorf("check %d: got %+v, want %+v", i, g, w)
		}
	}

	wantFindings := []Finding{
		// At the field's key, not the object's first line (19).
		{File: "apps/api/deploy.yaml", Line: 26, Column: 7, Resource: "Service/api", Path: "/spec/ports/0/port",
			Rule: "schema", Severity: SeverityError, Message: "got string, want integer"},
		{File: "apps/api/widget.yaml", Line: 1, Resource: "Widget/api",
			Rule: "schema", Severity: SeverityWarning, Message: "no schema for Widget example.com/v1"},
		{File: "apps/broken.yaml", Line: 4, Rule: "yaml", Severity: SeverityError, Message: "did not find expected node content"},
	}
	var got []Finding
	for _, f := range rep.Findings {
		if f.Rule == "schema" || f.Rule == "yaml" {
			got = append(got, f)
		}
	}
	if len(got) != len(wantFindings) {
		t.Fatalf("got findings:\n%s\nwant %d", findings(got), len(wantFindings))
	}
	for i, w := range wantFindings {
		g := got[i]
		if g.File != w.File || g.Line != w.Line || g.Column != w.Column || g.Resource != w.Resource || g.Path != w.Path ||
			g.Rule != w.Rule || g.Severity != w.Severity || !strings.Contains(g.Message, w.Message) {
			t.Errorf("finding %d: got %s, want %s", i, g, w)
		}
	}
}

func TestValidateChartRenderFailure(t *testing.T) {
	chart, err := LoadPaths("helmchart/testdata/web")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range chart {
		if strings.HasSuffix(f.Path, "templates/service.yaml") {
			chart[i].Content = []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.nope.deeper }}\n")
		}
	}
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Validate(context.Background(), chart, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var render []Finding
	for _, f := range rep.Findings {
		if f.Rule == "render" {
			render = append(render, f)
		}
	}
	if len(render) != 1 || render[0].File != "helmchart/testdata/web/templates/service.yaml" || render[0].Line != 4 {
		t.Errorf("got render findings:\n%s\nwant one in helmchart/testdata/web/templates/service.yaml line 4", findings(render))
	}
	for _, f := range rep.Findings {
		if f.Rule == "lint" && f.Severity == SeverityError {
			t.Errorf("got lint finding %s repeating the render failure, want none", f)
		}
	}
	if rep.Checks[0].Name != "render" || rep.Checks[0].Status != CheckFailed {
		t.Errorf("got first check %+v, want render failed", rep.Checks[0])
	}
}

func TestLoadPathsMissing(t *testing.T) {
	if _, err := LoadPaths("testdata/not-here"); err == nil {
		t.Error("got no error for a missing path, want one")
	}
}

func findings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}
