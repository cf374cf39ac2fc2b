package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// clusterOf returns the folders of the clusters that deploy dir.
func clusterOf(cs []Cluster, dir string) string {
	var out []string
	for _, c := range cs {
		if c.Deploys(dir) {
			out = append(out, c.Folder)
		}
	}
	return strings.Join(out, ",")
}

// TestClustersOfTheFluxExample finds, in fluxcd/flux2-kustomize-helm-
// example, which cluster deploys each folder: apps/production only
// production, apps/staging only staging, the shared base and
// infrastructure both; in the Flux 2.7 layout (ExternalArtifacts cut by
// each cluster's ArtifactGenerator) and in the earlier one (Flux
// Kustomizations whose path is ./apps/<env> in the GitRepository).
func TestClustersOfTheFluxExample(t *testing.T) {
	want := map[string]string{
		"apps/production":                 "clusters/production",
		"apps/staging":                    "clusters/staging",
		"apps/base/podinfo":               "clusters/production,clusters/staging",
		"infrastructure/controllers":      "clusters/production,clusters/staging",
		"infrastructure/configs":          "clusters/production,clusters/staging",
		"clusters/production/flux-system": "clusters/production",
		"apps":                            "",
		"docs":                            "",
	}
	check := func(layout, root string) {
		t.Helper()
		cs, err := LoadClusters(workspace.Limits{}, root)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 || cs[0].Folder != "clusters/production" || cs[1].Folder != "clusters/staging" {
			t.Fatalf("%s: clusters = %+v", layout, cs)
		}
		for dir, w := range want {
			if got := clusterOf(cs, dir); got != w {
				t.Errorf("%s: %s is deployed by %q, want %q", layout, dir, got, w)
			}
		}
	}
	root := copyRepo(t, flux2Example)
	check("Flux 2.7", root)

	// The layout before ExternalArtifacts: the clusters' Kustomizations
	// read the GitRepository's paths.
	for _, env := range []string{"production", "staging"} {
		dir := filepath.Join(root, "clusters", env)
		if err := os.Remove(filepath.Join(dir, "artifacts.yaml")); err != nil {
			t.Fatal(err)
		}
		for file, paths := range map[string][2]string{
			"apps.yaml":           {"./" + env, "./apps/" + env},
			"infrastructure.yaml": {"./controllers", "./infrastructure/controllers"},
		} {
			b, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			s := strings.ReplaceAll(string(b), "kind: ExternalArtifact", "kind: GitRepository")
			s = strings.Replace(s, "name: apps\n  path:", "name: flux-system\n  path:", 1)
			s = strings.Replace(s, "path: "+paths[0]+"\n", "path: "+paths[1]+"\n", 1)
			s = strings.Replace(s, "path: ./configs\n", "path: ./infrastructure/configs\n", 1)
			if !strings.Contains(s, "path: "+paths[1]+"\n") {
				t.Fatalf("%s/%s: no path %s in\n%s", env, file, paths[1], s)
			}
			if err := os.WriteFile(filepath.Join(dir, file), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("GitRepository paths", root)
}

// TestClusterFolders: the folder of a Flux Kustomization's file is a
// cluster folder, clusters/<name> above it when there is one; a folder
// below another cluster folder is part of it; a Kustomization at the top
// names none, as one whose source is not this repository does.
func TestClusterFolders(t *testing.T) {
	ks := func(p string) string {
		return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ` + p + `
  sourceRef:
    kind: GitRepository
    name: flux-system
`
	}
	oci := strings.Replace(ks("./deploy"), "kind: GitRepository", "kind: OCIRepository", 1)
	root := t.TempDir()
	files := map[string]string{
		"fleet/prod/flux-system/gotk-sync.yaml": ks("./fleet/prod"),
		"fleet/prod/apps.yaml":                  ks("./apps/prod"),
		"fleet/dev/apps.yaml":                   ks("./apps/dev"),
		"clusters/eu/infra/sources.yaml":        ks("./infra/eu"),
		"oci/apps.yaml":                         oci,
		"root.yaml":                             ks("./fleet"),
		"apps/prod/kustomization.yaml":          "resources: [web.yaml]\n",
		"apps/prod/web.yaml":                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
		"apps/dev/web.yaml":                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
		"infra/eu/cm.yaml":                      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eu\n",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".git"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cs, err := LoadClusters(workspace.Limits{}, root)
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, c := range cs {
		folders = append(folders, c.Folder)
	}
	if got := strings.Join(folders, ","); got != "clusters/eu,fleet/dev,fleet/prod" {
		t.Errorf("cluster folders = %s", got)
	}
	for dir, w := range map[string]string{"apps/prod": "fleet/prod", "apps/dev": "fleet/dev", "infra/eu": "clusters/eu", "fleet/prod/flux-system": "fleet/prod"} {
		if got := clusterOf(cs, dir); got != w {
			t.Errorf("%s is deployed by %q, want %q", dir, got, w)
		}
	}
}
