package kustomize

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`

func files(m map[string]string) []workspace.File {
	var out []workspace.File
	for p, c := range m {
		out = append(out, workspace.File{Path: p, Content: []byte(c)})
	}
	return out
}

func TestBuildOverlays(t *testing.T) {
	tree := Load(files(map[string]string{
		"app/base/kustomization.yaml":                "resources:\n  - deployment.yaml\n",
		"app/base/deployment.yaml":                   deployment,
		"app/components/tls/kustomization.yaml":      "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  tls: \"on\"\n",
		"app/overlays/production/kustomization.yaml": "resources:\n  - ../../base\ncomponents:\n  - ../../components/tls\npatches:\n  - path: replicas.yaml\n",
		"app/overlays/production/replicas.yaml":      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
		"app/overlays/staging/kustomization.yaml":    "resources:\n  - ../../base\nnamePrefix: staging-\n",
	}))
	if got, want := tree.Roots(), []string{"app/overlays/production", "app/overlays/staging"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("roots: got %q, want %q", got, want)
	}
	res := tree.Build(tree.Roots())
	for _, r := range res {
		if len(r.Problems) > 0 || r.Manifest == nil {
			t.Fatalf("%s: got problems %+v", r.Dir, r.Problems)
		}
	}
	if prod := string(res[0].Manifest); !strings.Contains(prod, "replicas: 3") || !strings.Contains(prod, "tls: \"on\"") {
		t.Errorf("production: got\n%s\nwant 3 replicas and the tls label", prod)
	}
	if staging := string(res[1].Manifest); !strings.Contains(staging, "name: staging-web") || !strings.Contains(staging, "replicas: 1") {
		t.Errorf("staging: got\n%s\nwant staging-web with 1 replica", staging)
	}
}

func TestBuildProblemsNameTheFile(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		wantFile string
		wantMsg  string
	}{
		{
			name: "missing resource",
			files: map[string]string{
				"a/base/kustomization.yaml":         "resources:\n  - deployment.yaml\n  - service.yaml\n",
				"a/base/deployment.yaml":            deployment,
				"a/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\n",
			},
			wantFile: "a/base/kustomization.yaml",
			wantMsg:  "service.yaml",
		},
		{
			name: "patch target not found",
			files: map[string]string{
				"a/base/kustomization.yaml":         "resources:\n  - deployment.yaml\n",
				"a/base/deployment.yaml":            deployment,
				"a/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: p.yaml\n",
				"a/overlays/dev/p.yaml":             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n",
			},
			wantFile: "a/overlays/dev/kustomization.yaml",
			wantMsg:  "api",
		},
		{
			name: "duplicate names",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - one.yaml\n  - two.yaml\n",
				"a/one.yaml":           deployment,
				"a/two.yaml":           deployment,
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "web",
		},
		{
			name: "remote resource",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - https://github.com/acme/app//deploy?ref=v1\n",
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "not fetched offline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := Load(files(tt.files))
			res := tree.Build(tree.Roots())
			if len(res) != 1 || len(res[0].Problems) == 0 {
				t.Fatalf("got %+v, want one failed build", res)
			}
			p := res[0].Problems[0]
			if p.File != tt.wantFile || !strings.Contains(p.Message, tt.wantMsg) {
				t.Errorf("got %s: %s, want %s: ...%s...", p.File, p.Message, tt.wantFile, tt.wantMsg)
			}
			if strings.Contains(p.Message, "'/a") {
				t.Errorf("message keeps the in-memory root: %s", p.Message)
			}
		})
	}
}
