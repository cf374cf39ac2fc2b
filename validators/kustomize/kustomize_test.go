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
	}), nil)
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

// TestBuildProblemsNameTheFile checks that a failed build names the
// kustomization at fault and, where the problem names an entry of it,
// the line and column of that entry.
func TestBuildProblemsNameTheFile(t *testing.T) {
	const api = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n"
	tests := []struct {
		name              string
		files             map[string]string
		wantFile          string
		wantMsg           string
		wantLine, wantCol int
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
			wantLine: 3, wantCol: 5,
		},
		{
			name: "patch target not found",
			files: map[string]string{
				"a/base/kustomization.yaml":         "resources:\n  - deployment.yaml\n",
				"a/base/deployment.yaml":            deployment,
				"a/overlays/dev/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n  - path: p.yaml\n",
				"a/overlays/dev/replicas.yaml":      strings.Replace(api, "name: api", "name: web", 1),
				"a/overlays/dev/p.yaml":             api,
			},
			wantFile: "a/overlays/dev/kustomization.yaml",
			wantMsg:  "api",
			wantLine: 5, wantCol: 5,
		},
		{
			name: "strategic merge patch target not found",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - deployment.yaml\npatchesStrategicMerge:\n  - p.yaml\n",
				"a/deployment.yaml":    deployment,
				"a/p.yaml":             api,
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "api",
			wantLine: 4, wantCol: 5,
		},
		{
			name: "missing patch file",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - deployment.yaml\npatches:\n  - path: p.yaml\n  - path: nothere.yaml\n",
				"a/deployment.yaml":    deployment,
				"a/p.yaml":             strings.Replace(api, "name: api", "name: web", 1),
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "nothere.yaml",
			wantLine: 5, wantCol: 5,
		},
		{
			name: "JSON 6902 path not in the object",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - deployment.yaml\npatches:\n  - target: {kind: Deployment, name: web}\n    patch: |-\n      - op: replace\n        path: /spec/nothing/x\n        value: 3\n",
				"a/deployment.yaml":    deployment,
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "spec/nothing/x",
			wantLine: 4, wantCol: 5,
		},
		{
			name: "missing generator file",
			files: map[string]string{
				"a/kustomization.yaml": "configMapGenerator:\n  - name: settings\n    files:\n      - app.conf=conf.txt\n",
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "conf.txt",
			wantLine: 2, wantCol: 5,
		},
		{
			name: "missing component",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - deployment.yaml\ncomponents:\n  - ../comp\n",
				"a/deployment.yaml":    deployment,
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "comp",
			wantLine: 4, wantCol: 5,
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
			wantLine: 3, wantCol: 5,
		},
		{
			name: "remote resource",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - https://github.com/acme/app//deploy?ref=v1\n",
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "not fetched offline",
			wantLine: 2, wantCol: 5,
		},
		{
			name: "not YAML",
			files: map[string]string{
				"a/kustomization.yaml": "resources:\n  - one.yaml\n\t- two.yaml\n",
			},
			wantFile: "a/kustomization.yaml",
			wantMsg:  "invalid kustomization",
			wantLine: 3, wantCol: 1, // the line the YAML parser names

		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := Load(files(tt.files), nil)
			res := tree.Build(tree.Roots())
			if len(res) != 1 || len(res[0].Problems) == 0 {
				t.Fatalf("got %+v, want one failed build", res)
			}
			p := res[0].Problems[0]
			if p.File != tt.wantFile || !strings.Contains(p.Message, tt.wantMsg) {
				t.Errorf("got %s: %s, want %s: ...%s...", p.File, p.Message, tt.wantFile, tt.wantMsg)
			}
			if p.Line != tt.wantLine || p.Column != tt.wantCol {
				t.Errorf("got %s:%d:%d (%s), want line %d column %d", p.File, p.Line, p.Column, p.Message, tt.wantLine, tt.wantCol)
			}
			if strings.Contains(p.Message, "'/a") {
				t.Errorf("message keeps the in-memory root: %s", p.Message)
			}
		})
	}
}

// TestBuildOverRepository: an overlay that uses a base and a Component
// outside the files checked builds over the repository's files, which are
// read but not built as roots themselves.
func TestBuildOverRepository(t *testing.T) {
	repo := files(map[string]string{
		"base/web/kustomization.yaml":              "resources:\n  - deployment.yaml\n",
		"base/web/deployment.yaml":                 deployment,
		"components/monitoring/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonAnnotations:\n  prometheus.io/scrape: \"true\"\n",
		"clusters/production/kustomization.yaml":   "resources:\n  - apps\n  - missing\n",
		// Replaced by the checked file of the same path.
		"apps/web/overlays/production/kustomization.yaml": "resources:\n  - nothing-here\n",
	})
	checked := files(map[string]string{
		"apps/web/overlays/production/kustomization.yaml": "resources:\n  - ../../../../base/web\ncomponents:\n  - ../../../../components/monitoring\nnamePrefix: production-\n",
	})
	tree := Load(checked, repo)
	if got, want := tree.Roots(), []string{"apps/web/overlays/production"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("roots: got %q, want %q", got, want)
	}
	res := tree.Build(tree.Roots())
	if len(res[0].Problems) > 0 {
		t.Fatalf("problems: %+v", res[0].Problems)
	}
	for _, want := range []string{"name: production-web", `prometheus.io/scrape: "true"`} {
		if !strings.Contains(string(res[0].Manifest), want) {
			t.Errorf("build lacks %q:\n%s", want, res[0].Manifest)
		}
	}

	// Without the repository the same overlay does not build, and says why.
	alone := Load(checked, nil)
	res = alone.Build(alone.Roots())
	if len(res) != 1 || len(res[0].Problems) == 0 || !strings.Contains(res[0].Problems[0].Message, "base/web") {
		t.Errorf("without the repository: got %+v, want a problem naming base/web", res)
	}

	if got, want := tree.Components(), []string{"components/monitoring"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Components: got %q, want %q", got, want)
	}
	if got, want := tree.ComponentsOf("apps/web/overlays/production"), []string{"components/monitoring"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ComponentsOf: got %q, want %q", got, want)
	}
}

func TestReferenceAboveTheRoot(t *testing.T) {
	tree := Load(files(map[string]string{
		"apps/web/kustomization.yaml": "resources:\n  - ../../../etc/secrets\n  - deployment.yaml\n",
		"apps/web/deployment.yaml":    deployment,
	}), nil)
	res := tree.Build(tree.Roots())
	if len(res) != 1 || len(res[0].Problems) != 1 {
		t.Fatalf("got %+v, want one problem", res)
	}
	p := res[0].Problems[0]
	if p.File != "apps/web/kustomization.yaml" || p.Warning || !strings.Contains(p.Message, "../../../etc/secrets leads outside the repository root") {
		t.Errorf("got %s: %s (warning %v), want an error naming ../../../etc/secrets", p.File, p.Message, p.Warning)
	}
}

func TestRefs(t *testing.T) {
	got := Refs(files(map[string]string{
		"clusters/prod/app/kustomization.yaml": `resources:
  - ../../../base/app
  - local.yaml
  - https://github.com/acme/app//deploy?ref=v1
  - ../../../../outside
components:
  - ../../../components/monitoring
patches:
  - path: ../../patches/replicas.yaml
  - patch: |
      - op: replace
        path: /spec/replicas
        value: 2
    target: {kind: Deployment}
patchesStrategicMerge:
  - smp.yaml
configMapGenerator:
  - name: cfg
    files:
      - app.conf=../../config/app.conf
    envs:
      - ../../config/app.env
`,
		"clusters/prod/app/local.yaml": deployment,
	}))
	want := []string{
		"base/app", "clusters/config/app.conf", "clusters/config/app.env", "clusters/patches/replicas.yaml",
		"clusters/prod/app/local.yaml", "clusters/prod/app/smp.yaml", "components/monitoring",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestBrokenComponentNamedOnce: what is broken in a Component is reported
// at the component's file, once, not at each overlay that uses it.
func TestBrokenComponentNamedOnce(t *testing.T) {
	tree := Load(files(map[string]string{
		"apps/web/overlays/production/kustomization.yaml": "resources:\n  - ../../base\ncomponents:\n  - ../../../../components/monitoring\n",
		"apps/web/overlays/staging/kustomization.yaml":    "resources:\n  - ../../base\ncomponents:\n  - ../../../../components/monitoring\n",
		"apps/web/base/kustomization.yaml":                "resources:\n  - deployment.yaml\n",
		"apps/web/base/deployment.yaml":                   deployment,
	}), files(map[string]string{
		"components/monitoring/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - missing.yaml\n",
	}))
	res := tree.Build(tree.Roots())
	if len(res) != 2 {
		t.Fatalf("got %d results, want 2", len(res))
	}
	for _, r := range res {
		if len(r.Problems) != 1 || r.Problems[0].File != "components/monitoring/kustomization.yaml" || !strings.Contains(r.Problems[0].Message, "missing.yaml") {
			t.Errorf("%s: got %+v, want one problem at components/monitoring/kustomization.yaml", r.Dir, r.Problems)
		}
		if strings.Contains(r.Problems[0].Message, "aiden-component") {
			t.Errorf("message names the scratch folder: %s", r.Problems[0].Message)
		}
	}
}

// A file the in-memory file system refuses (a name with a space) is a
// problem each result carries, and the other folders still build: the
// builds are not dropped, nor is the file silently left out.
func TestUnloadableFileIsAProblem(t *testing.T) {
	files := []workspace.File{
		{Path: "web/kustomization.yaml", Content: []byte("resources: [\"deploy one.yaml\"]\n")},
		{Path: "web/deploy one.yaml", Content: []byte(deployment)},
		{Path: "api/kustomization.yaml", Content: []byte("resources: [deploy.yaml]\n")},
		{Path: "api/deploy.yaml", Content: []byte(deployment)},
	}
	res := Load(files, nil).Build([]string{"web", "api"})
	if len(res) != 2 || res[0].Dir != "web" || res[1].Dir != "api" {
		t.Fatalf("results %+v; want one for web, one for api", res)
	}
	if res[0].Manifest != nil || res[1].Manifest == nil {
		t.Errorf("web built %v, api built %v; want web failed, api built", res[0].Manifest != nil, res[1].Manifest != nil)
	}
	for _, r := range res {
		if len(r.Problems) == 0 || r.Problems[0].File != "web/deploy one.yaml" || !strings.Contains(r.Problems[0].Message, "load into memory") {
			t.Errorf("%s: problems %+v; want the unloadable file first", r.Dir, r.Problems)
		}
	}
}
