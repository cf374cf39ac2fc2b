package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/stackgen/aiden/workspace"
)

func TestRegister(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		changed        bool
	}{
		{
			name: "block list keeps comments and order",
			in: `# Apps of this cluster.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  # The demo app.
  - podinfo # from base
namePrefix: x-
`,
			want: `# Apps of this cluster.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  # The demo app.
  - podinfo # from base
  - redis
namePrefix: x-
`,
			changed: true,
		},
		{
			name:    "unindented dashes",
			in:      "resources:\n- a\n- b\n",
			want:    "resources:\n- a\n- b\n- redis\n",
			changed: true,
		},
		{
			name:    "already listed",
			in:      "resources:\n  - ./redis/\n",
			changed: false,
		},
		{
			name:    "flow list",
			in:      "kind: Kustomization\nresources: [a, b]\n",
			want:    "kind: Kustomization\nresources:\n  - a\n  - b\n  - redis\n",
			changed: true,
		},
		{
			name:    "no resources",
			in:      "kind: Kustomization\nnamespace: apps",
			want:    "kind: Kustomization\nnamespace: apps\nresources:\n  - redis\n",
			changed: true,
		},
		{
			name:    "empty resources",
			in:      "kind: Kustomization\nresources:\nnamespace: apps\n",
			want:    "kind: Kustomization\nresources:\n  - redis\nnamespace: apps\n",
			changed: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := []workspace.File{{Path: "clusters/production/apps/kustomization.yaml", Content: []byte(tc.in)}}
			got, changed, err := Register(ws, "clusters/production/apps/redis")
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			if changed && string(got.Content) != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got.Content, tc.want)
			}
			if changed && got.Path != ws[0].Path {
				t.Errorf("path %q", got.Path)
			}
		})
	}
}

func TestRegisterNoParent(t *testing.T) {
	_, ok, err := Register([]workspace.File{{Path: "clusters/kustomization.yaml", Content: []byte("resources: []\n")}}, "clusters/production/apps/redis")
	if ok || err != nil {
		t.Errorf("got %v, %v; want no change", ok, err)
	}
}

func TestRegisterErrors(t *testing.T) {
	for _, in := range []string{"resources: ./a\n", "- a\n", "resources:\n  - {path: a}\n", "a: [\n"} {
		ws := []workspace.File{{Path: "apps/kustomization.yaml", Content: []byte(in)}}
		if _, _, err := Register(ws, "apps/redis"); err == nil {
			t.Errorf("Register over %q: no error", in)
		}
	}
}

// TestWrapBuilds checks that a wrapped chart and wrapped manifests build
// with kustomize from their parent.
func TestWrapBuilds(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parent := "resources:\n  - existing.yaml\n"
	write("apps/existing.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: existing\n")
	chart := []workspace.File{{Path: "apps/redis/Chart.yaml", Content: []byte("apiVersion: v2\nname: redis\nversion: 0.1.0\n")}}
	plain := []workspace.File{{Path: "apps/web/deployment.yaml", Content: []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n")}}
	for _, f := range append(chart, plain...) {
		write(f.Path, string(f.Content))
	}
	for _, target := range []string{"apps/redis", "apps/web"} {
		files := chart
		if target == "apps/web" {
			files = plain
		}
		for _, f := range Wrap(target, files, Source{}, Release{Namespace: "apps"}) {
			write(f.Path, string(f.Content))
		}
		got, ok, err := Register([]workspace.File{{Path: "apps/kustomization.yaml", Content: []byte(parent)}}, target)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		parent = string(got.Content)
	}
	write("apps/kustomization.yaml", parent)
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(dir, "apps"))
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	out, _ := res.AsYaml()
	for _, want := range []string{"kind: HelmRelease", "chart: ./apps/redis", "name: flux-system", "kind: Service", "name: existing"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("build lacks %q:\n%s", want, out)
		}
	}
	if Wrap("apps/redis", append(chart, workspace.File{Path: "apps/redis/kustomization.yaml"}), Source{}, Release{}) != nil {
		t.Error("Wrap added files to a folder with a kustomization")
	}
}

// TestExampleRepositoryBuilds builds every kustomization of the example
// repository's clusters, so that the docs and the tests start from a
// repository that works.
func TestExampleRepositoryBuilds(t *testing.T) {
	for _, dir := range []string{
		"clusters/production", "clusters/production/apps", "clusters/production/infrastructure",
		"clusters/staging", "clusters/staging/apps", "clusters/staging/infrastructure",
	} {
		res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join("..", "examples", "gitops", dir))
		if err != nil {
			t.Errorf("kustomize build %s: %v", dir, err)
			continue
		}
		out, _ := res.AsYaml()
		if dir == "clusters/staging/apps" && !strings.Contains(string(out), "name: staging-podinfo") {
			t.Errorf("kustomize build %s:\n%s", dir, out)
		}
		if strings.HasSuffix(dir, "/apps") && !strings.Contains(string(out), "prometheus.io/scrape") && strings.Contains(dir, "production") {
			t.Errorf("kustomize build %s lacks the monitoring component:\n%s", dir, out)
		}
	}
}
