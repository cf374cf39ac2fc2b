package kustomize

import (
	"fmt"
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

// locateAll builds the overlay prod of files and locates each pointer of
// its one object, as "file:line:column".
func locateAll(t *testing.T, files []workspace.File, pointers ...string) []string {
	t.Helper()
	res := Load(files, nil).Build([]string{"prod"})
	if len(res) != 1 || res[0].Manifest == nil {
		t.Fatalf("build: %+v", res)
	}
	var out []string
	for _, p := range pointers {
		file, pos, ok := res[0].Source().Locate(1, p, "")
		if !ok {
			out = append(out, p+" not located")
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d:%d", file, pos.Line, pos.Column))
	}
	return out
}

const baseDeploy = `apiVersion: apps/v1
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
`

// Kustomize applies a kustomization's patchesStrategicMerge, then its
// patches, then its patchesJson6902 (api
// internal/target/kusttarget_configplugin.go): the field a JSON 6902
// operation writes last is placed at that operation, not at the strategic
// merge patch it overrides, whatever order the keys are written in.
func TestLocateFollowsKustomizesPatchOrder(t *testing.T) {
	files := []workspace.File{
		{Path: "base/kustomization.yaml", Content: []byte("resources: [deploy.yaml]\n")},
		{Path: "base/deploy.yaml", Content: []byte(baseDeploy)},
		{Path: "prod/kustomization.yaml", Content: []byte(`resources: [../base]
patchesJson6902:
  - target: {group: apps, version: v1, kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: nginx:latest
patches:
  - patch: |-
      - op: replace
        path: /spec/replicas
        value: 2
    target: {kind: Deployment}
patchesStrategicMerge:
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 3
      template:
        spec:
          containers:
            - name: web
              image: nginx:1.0
`)},
	}
	got := locateAll(t, files, "/spec/template/spec/containers/0/image", "/spec/replicas")
	want := []string{"prod/kustomization.yaml:5:9", "prod/kustomization.yaml:10:9"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("located %v, want %v", got, want)
	}
}

// Containers two patches append (alpha, then beta) are each placed at the
// operation that appended it: an earlier patch's append is not counted
// from the end of the list as if it were the last.
func TestLocateAppendsOfSeveralPatches(t *testing.T) {
	files := []workspace.File{
		{Path: "base/kustomization.yaml", Content: []byte("resources: [deploy.yaml]\n")},
		{Path: "base/deploy.yaml", Content: []byte(baseDeploy)},
		{Path: "prod/kustomization.yaml", Content: []byte(`resources: [../base]
patches:
  - path: alpha.yaml
    target: {kind: Deployment}
  - path: beta.yaml
    target: {kind: Deployment}
`)},
		{Path: "prod/alpha.yaml", Content: []byte("- op: add\n  path: /spec/template/spec/containers/-\n  value: {name: alpha, image: alpha:1}\n")},
		{Path: "prod/beta.yaml", Content: []byte("- op: add\n  path: /spec/template/spec/containers/-\n  value: {name: beta, image: beta:1}\n")},
	}
	got := locateAll(t, files, "/spec/template/spec/containers/1", "/spec/template/spec/containers/2/image", "/spec/template/spec/containers/0/image")
	want := []string{"prod/alpha.yaml:1:3", "prod/beta.yaml:1:3", "base/deploy.yaml:11:11"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("located %v, want %v", got, want)
	}
	// Unnamed items (arguments) are counted back past the later
	// patches' appends.
	files[3].Content = []byte("- op: add\n  path: /spec/template/spec/containers/0/args\n  value: []\n- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --alpha\n")
	files[4].Content = []byte("- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --beta\n")
	got = locateAll(t, files, "/spec/template/spec/containers/0/args/0", "/spec/template/spec/containers/0/args/1")
	want = []string{"prod/alpha.yaml:4:3", "prod/beta.yaml:1:3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("located %v, want %v", got, want)
	}
}

// Patches whose targets name other objects of the same kind are not
// looked through: each Deployment's appended container and arguments are
// placed at the patch that targets it by name, and what a base wrote
// stays at the base.
func TestLocateOnlyPatchesTargetingTheObject(t *testing.T) {
	files := []workspace.File{
		{Path: "base/kustomization.yaml", Content: []byte("resources: [deploy.yaml]\n")},
		{Path: "base/deploy.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: nginx
          args: [--x]
`)},
		{Path: "prod/kustomization.yaml", Content: []byte(`resources: [../base]
namePrefix: prod-
patches:
  - path: alpha.yaml
    target: {kind: Deployment, name: web}
  - path: beta.yaml
    target: {kind: Deployment, name: api}
`)},
		{Path: "prod/alpha.yaml", Content: []byte("- op: add\n  path: /spec/template/spec/containers/-\n  value: {name: alpha, image: alpha:1}\n- op: add\n  path: /spec/template/spec/containers/0/args\n  value: [--alpha]\n")},
		{Path: "prod/beta.yaml", Content: []byte("- op: add\n  path: /spec/template/spec/containers/-\n  value: {name: beta, image: beta:1}\n- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --beta\n")},
	}
	res := Load(files, nil).Build([]string{"prod"})
	if len(res) != 1 || res[0].Manifest == nil {
		t.Fatalf("build: %+v", res)
	}
	lineOf := func(name string) int {
		for i, l := range strings.Split(string(res[0].Manifest), "\n") {
			if strings.TrimSpace(l) == "name: "+name {
				for j := i; j >= 0; j-- {
					if strings.HasPrefix(strings.Split(string(res[0].Manifest), "\n")[j], "apiVersion:") {
						return j + 1
					}
				}
			}
		}
		t.Fatalf("no object %s in\n%s", name, res[0].Manifest)
		return 0
	}
	var got []string
	for _, c := range []struct{ object, pointer string }{
		{"prod-web", "/spec/template/spec/containers/1"},
		{"prod-web", "/spec/template/spec/containers/0/args/0"},
		{"prod-api", "/spec/template/spec/containers/1"},
		{"prod-api", "/spec/template/spec/containers/0/args/0"},
		{"prod-api", "/spec/template/spec/containers/0/args/1"},
	} {
		file, pos, ok := res[0].Source().Locate(lineOf(c.object), c.pointer, "")
		got = append(got, fmt.Sprintf("%s%s %s:%d:%d %v", c.object, c.pointer, file, pos.Line, pos.Column, ok))
	}
	want := []string{
		"prod-web/spec/template/spec/containers/1 prod/alpha.yaml:1:3 true",
		"prod-web/spec/template/spec/containers/0/args/0 prod/alpha.yaml:4:3 true",
		"prod-api/spec/template/spec/containers/1 prod/beta.yaml:1:3 true",
		"prod-api/spec/template/spec/containers/0/args/0 base/deploy.yaml:22:18 true",
		"prod-api/spec/template/spec/containers/0/args/1 prod/beta.yaml:4:3 true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("located\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
