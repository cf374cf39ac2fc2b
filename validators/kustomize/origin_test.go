package kustomize

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators/yamlpos"
	"github.com/stackgen/aiden/workspace"
)

// TestBuildSource maps fields of an overlay's output back to the files
// that set them: a JSON 6902 patch, a strategic merge patch, the base's
// resource; and the origin annotations stay out of the output.
func TestBuildSource(t *testing.T) {
	files := []workspace.File{
		{Path: "base/kustomization.yaml", Content: []byte("resources: [deploy.yaml]\n")},
		{Path: "base/deploy.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: web
          image: nginx
`)},
		{Path: "prod/kustomization.yaml", Content: []byte(`resources: [../base]
namePrefix: prod-
patches:
  - path: ops.yaml
    target: {kind: Deployment, name: web}
  - path: image.yaml
`)},
		{Path: "prod/ops.yaml", Content: []byte("- op: replace\n  path: /spec/replicas\n  value: 3\n")},
		{Path: "prod/image.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
`)},
	}
	res := Load(files, nil).Build([]string{"prod"})
	if len(res) != 1 || res[0].Manifest == nil {
		t.Fatalf("build: %+v", res)
	}
	if out := string(res[0].Manifest); strings.Contains(out, "config.kubernetes.io/origin") || strings.Contains(out, "transformations") {
		t.Errorf("origin annotations left in the output:\n%s", out)
	}
	src := res[0].Source()
	for _, tc := range []struct {
		pointer, file string
		want          yamlpos.Position
	}{
		{"/spec/replicas", "prod/ops.yaml", yamlpos.Position{Line: 1, Column: 3}},
		{"/spec/template/spec/containers/0/image", "prod/image.yaml", yamlpos.Position{Line: 10, Column: 11}},
		{"/spec/template/spec/containers/0/name", "prod/image.yaml", yamlpos.Position{Line: 9, Column: 11}},
		{"/metadata/name", "base/deploy.yaml", yamlpos.Position{Line: 4, Column: 3}},
	} {
		file, pos, ok := src.Locate(1, tc.pointer, "")
		if !ok || file != tc.file || pos != tc.want {
			t.Errorf("Locate(%q) = %s %+v %v, want %s %+v", tc.pointer, file, pos, ok, tc.file, tc.want)
		}
	}
}
