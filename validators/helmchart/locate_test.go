package helmchart

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stackgen/aiden/validators/yamlpos"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// TestTemplateSource maps fields of podinfo's rendered Deployment back
// to the lines of its template (../testdata/trees/podinfo, Apache-2.0).
func TestTemplateSource(t *testing.T) {
	root := filepath.Join("..", "testdata", "trees", "podinfo", "charts", "podinfo")
	files := workspacetest.Read(t, root, "")
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	var src TemplateSource
	for _, m := range res.Manifests {
		if m.Path == "templates/deployment.yaml" {
			src.Rendered = m.Content
		}
	}
	for _, f := range files {
		if f.Path == "templates/deployment.yaml" {
			src.File, src.Template = "charts/podinfo/"+f.Path, f.Content
		}
	}
	if src.Rendered == nil {
		t.Fatalf("no rendered templates/deployment.yaml: %+v", res.Messages)
	}
	for _, tc := range []struct {
		pointer, message string
		want             yamlpos.Position
	}{
		{"/spec/replicas", "", yamlpos.Position{Line: 10, Column: 3}},
		// The second port rendered is http-metrics: https (the template's
		// second item) is left out by default, and the item is found by
		// its name.
		{"/spec/template/spec/containers/0/ports/1/containerPort", "", yamlpos.Position{Line: 141, Column: 15}},
		// Written by toYaml: the key above it.
		{"/spec/template/spec/containers/0/resources/limits/memory", "", yamlpos.Position{Line: 201, Column: 11}},
		// The object itself: its first line in the template.
		{"", "missing property 'spec'", yamlpos.Position{Line: 1, Column: 1}},
	} {
		// Any line of the rendered object finds it.
		file, got, ok := src.Locate(5, tc.pointer, tc.message)
		if !ok || file != "charts/podinfo/templates/deployment.yaml" || got != tc.want {
			t.Errorf("Locate(%q) = %s %+v %v, want %+v", tc.pointer, file, got, ok, tc.want)
		}
	}
}
