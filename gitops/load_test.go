package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

func TestLoadReadsWhatOverlaysUse(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"clusters/production/apps/kustomization.yaml":     "resources:\n  - web\n",
		"clusters/production/apps/web/kustomization.yaml": "resources:\n  - ../../../../base/web\ncomponents:\n  - ../../../../platform/tls\n",
		"clusters/production/apps/web/notes.md":           "not read\n",
		"clusters/staging/apps/web/kustomization.yaml":    "resources:\n  - ../../../../base/web\ncomponents:\n  - ../../../../components/monitoring\n",
		"base/web/kustomization.yaml":                     "resources:\n  - deployment.yaml\n",
		"base/web/deployment.yaml":                        "kind: Deployment\n",
		"components/monitoring/kustomization.yaml":        "kind: Component\npatches:\n  - path: ../../patches/scrape.yaml\n",
		"components/unused/kustomization.yaml":            "kind: Component\n",
		"patches/scrape.yaml":                             "op: add\n",
		"platform/tls/kustomization.yaml":                 "kind: Component\nresources:\n  - certificate.yaml\n",
		"platform/tls/certificate.yaml":                   "kind: Certificate\n",
		"apps/api/base/kustomization.yaml":                "resources:\n  - ../../../shared/configmap.yaml\n",
		"shared/configmap.yaml":                           "kind: ConfigMap\n",
		"shared/other.yaml":                               "not read\n",
		".git/HEAD":                                       "ref: refs/heads/main\n",
	})
	files, err := Load(workspace.Limits{}, root, "apps/api")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path)
	}
	want := []string{
		"apps/api/base/kustomization.yaml",
		"clusters/production/apps/kustomization.yaml",
		"clusters/production/apps/web/kustomization.yaml",
		"clusters/staging/apps/web/kustomization.yaml",
		"components/monitoring/kustomization.yaml",
		"components/unused/kustomization.yaml",
		"patches/scrape.yaml",
		"platform/tls/certificate.yaml",
		"platform/tls/kustomization.yaml",
		"shared/configmap.yaml",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Load =\n%q\nwant\n%q", got, want)
	}
}

func writeTree(t *testing.T, root string, tree map[string]string) {
	t.Helper()
	for p, c := range tree {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func paths(files []workspace.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

// In a repository whose overlays do not fit beside the workspace, Load
// keeps the workspace and leaves the context out; a workspace that does
// not fit is still an error.
func TestLoadOverLimits(t *testing.T) {
	root := t.TempDir()
	tree := map[string]string{"apps/api/kustomization.yaml": "resources: []\n", ".git/HEAD": "ref: refs/heads/main\n"}
	for _, env := range []string{"a", "b", "c", "d", "e"} {
		tree["clusters/"+env+"/apps/kustomization.yaml"] = "resources: []\n"
	}
	writeTree(t, root, tree)
	files, err := Load(workspace.Limits{MaxFiles: 3}, root, "apps/api")
	if err != nil {
		t.Fatalf("Load over the limits with the workspace inside them: %v", err)
	}
	if got := paths(files); !slices.Equal(got, []string{"apps/api/kustomization.yaml"}) {
		t.Errorf("Load = %q, want the workspace alone", got)
	}
	for i := range 4 {
		tree[fmt.Sprintf("apps/api/f%d.yaml", i)] = "kind: ConfigMap\n"
	}
	writeTree(t, root, tree)
	if _, err := Load(workspace.Limits{MaxFiles: 3}, root, "apps/api"); !errors.Is(err, workspace.ErrLimit) {
		t.Errorf("Load of a workspace over the limits: err = %v, want ErrLimit", err)
	}
}

// LoadFor reads per format; with none named it reads what either needs.
func TestLoadFor(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"clusters/production/apps/web/kustomization.yaml":               "resources: []\ncomponents:\n  - ../../../../components/monitoring\n",
		"components/monitoring/kustomization.yaml":                      "kind: Component\n",
		"clusters/production/infrastructure/sources/bitnami.yaml":       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bitnami\n",
		"clusters/production/infrastructure/sources/notes.yaml":         "kind: ConfigMap\n",
		"clusters/production/infrastructure/sources/kustomization.yaml": "resources:\n  - bitnami.yaml\n",
		".git/HEAD": "ref: refs/heads/main\n",
	})
	for _, tc := range []struct {
		format   string
		has, not []string
	}{
		{"kustomize", []string{"components/monitoring/kustomization.yaml"}, []string{"clusters/production/infrastructure/sources/bitnami.yaml"}},
		{"helm", []string{"clusters/production/infrastructure/sources/bitnami.yaml"}, []string{"clusters/production/infrastructure/sources/notes.yaml"}},
		{"terraform", nil, []string{"components/monitoring/kustomization.yaml", "clusters/production/infrastructure/sources/bitnami.yaml"}},
		{"", []string{"components/monitoring/kustomization.yaml", "clusters/production/infrastructure/sources/bitnami.yaml"}, []string{"clusters/production/infrastructure/sources/notes.yaml"}},
	} {
		files, err := LoadFor(workspace.Limits{}, root, "clusters/production/apps/api", tc.format)
		if err != nil {
			t.Fatal(err)
		}
		got := paths(files)
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%q: files not sorted and unique: %q", tc.format, got)
		}
		for _, p := range tc.has {
			if !slices.Contains(got, p) {
				t.Errorf("%q: %s not read; got %q", tc.format, p, got)
			}
		}
		for _, p := range tc.not {
			if slices.Contains(got, p) {
				t.Errorf("%q: %s read; got %q", tc.format, p, got)
			}
		}
	}
}

// Outside a repository the folder FindRoot falls back on (the output
// folder's parent, say) is not searched for chart sources.
func TestLoadSourcesOnlyInRepository(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"elsewhere/bitnami.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bitnami\n",
	})
	files, err := LoadSources(workspace.Limits{}, root, "clusters/production/apps/redis")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 0 {
		t.Errorf("outside a repository: read %q, want nothing", paths(files))
	}
	writeTree(t, root, map[string]string{".git/HEAD": "ref: refs/heads/main\n"})
	files, err = LoadSources(workspace.Limits{}, root, "clusters/production/apps/redis")
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(files); !slices.Equal(got, []string{"elsewhere/bitnami.yaml"}) {
		t.Errorf("in a repository: read %q, want the HelmRepository", got)
	}
}
