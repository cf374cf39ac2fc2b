package gitops

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

func TestLoadReadsWhatOverlaysUse(t *testing.T) {
	root := t.TempDir()
	for p, c := range map[string]string{
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
	} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
