package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// flux2MultiTenancy is a reduced copy of fluxcd/flux2-multi-tenancy's
// layout (testdata/trees/flux2-multi-tenancy/README.md).
const flux2MultiTenancy = "testdata/trees/flux2-multi-tenancy"

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

func folders(cs []Cluster) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Folder)
	}
	return strings.Join(out, ",")
}

// writeRepo writes files into a new repository (a .git marker).
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
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
	return root
}

// fluxKS is a Flux Kustomization reading path of the GitRepository
// source.
func fluxKS(name, source, path string) string {
	return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ` + name + `
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: ` + source + `
` + path
}

func checkClusters(t *testing.T, name, root, wantFolders string, want map[string]string) {
	t.Helper()
	cs, err := LoadClusters(workspace.Limits{}, root)
	if err != nil {
		t.Fatal(err)
	}
	if got := folders(cs); got != wantFolders {
		t.Fatalf("%s: clusters = %q, want %q", name, got, wantFolders)
	}
	for dir, w := range want {
		if got := clusterOf(cs, dir); got != w {
			t.Errorf("%s: %s is deployed by %q, want %q", name, dir, got, w)
		}
	}
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
	root := copyRepo(t, flux2Example)
	checkClusters(t, "Flux 2.7", root, "clusters/production,clusters/staging", want)

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
			s = strings.ReplaceAll(s, "name: infrastructure\n  path:", "name: flux-system\n  path:")
			s = strings.Replace(s, "path: "+paths[0]+"\n", "path: "+paths[1]+"\n", 1)
			s = strings.Replace(s, "path: ./configs\n", "path: ./infrastructure/configs\n", 1)
			if !strings.Contains(s, "path: "+paths[1]+"\n") || strings.Contains(s, "ExternalArtifact") {
				t.Fatalf("%s/%s: no path %s in\n%s", env, file, paths[1], s)
			}
			if err := os.WriteFile(filepath.Join(dir, file), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkClusters(t, "GitRepository paths", root, "clusters/production,clusters/staging", want)

	// With flux bootstrap's gotk-sync.yaml (the example holds a
	// placeholder): its Kustomization applies ./clusters/<env>, which
	// holds it; still one cluster per environment.
	for _, env := range []string{"production", "staging"} {
		sync := "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  url: ssh://git@github.com/fluxcd/flux2-kustomize-helm-example\n---\n" +
			fluxKS("flux-system", "flux-system", "  path: ./clusters/"+env+"\n")
		if err := os.WriteFile(filepath.Join(root, "clusters", env, "flux-system", "gotk-sync.yaml"), []byte(sync), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkClusters(t, "bootstrapped", root, "clusters/production,clusters/staging", want)
}

// TestClustersOfMultiTenancy: in flux2-multi-tenancy's layout each
// cluster's bootstrap applies clusters/<env>, whose tenants Kustomization
// applies tenants/<env>. The tenant's patch (a Kustomization without
// sourceRef) names no cluster, and the tenant's own Kustomization, which
// reads the GitRepository dev-team (this repository's URL, another
// branch) with no path, is not followed into this tree: the two clusters
// stay apart.
func TestClustersOfMultiTenancy(t *testing.T) {
	checkClusters(t, "multi-tenancy", copyRepo(t, flux2MultiTenancy), "clusters/production,clusters/staging", map[string]string{
		"tenants/production":           "clusters/production",
		"tenants/staging":              "clusters/staging",
		"tenants/base/dev-team":        "clusters/production,clusters/staging",
		"infrastructure/kyverno":       "clusters/production,clusters/staging",
		"clusters/staging/flux-system": "clusters/staging",
		"tenants":                      "",
	})
}

// TestClustersAreRoots: an app's own Flux Kustomization
// (apps/production/web.yaml, path ./apps/web/overlays/production), which
// a cluster applies, makes no cluster of its folder; a Kustomization
// reading another repository's GitRepository (team-a) is not followed;
// folders outside clusters/ are clusters when nothing applies them; a
// Kustomization file at the top that is no bootstrap (fleet.yaml) makes
// no cluster of the whole tree.
func TestClustersAreRoots(t *testing.T) {
	web := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
	root := writeRepo(t, map[string]string{
		"clusters/production/apps.yaml": fluxKS("apps", "flux-system", "  path: ./apps/production\n"),
		"clusters/staging/apps.yaml":    fluxKS("apps", "flux-system", "  path: ./apps/staging\n"),
		"clusters/production/team-a.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: team-a, namespace: team-a}\nspec:\n  url: https://github.com/example/team-a\n---\n" +
			fluxKS("team-a", "team-a", "  path: ./apps/staging\n"),
		"apps/production/web.yaml":                        fluxKS("web", "flux-system", "  path: ./apps/web/overlays/production\n"),
		"apps/staging/web.yaml":                           fluxKS("web", "flux-system", "  path: ./apps/web/overlays/staging\n"),
		"apps/web/base/kustomization.yaml":                "resources: [web.yaml]\n",
		"apps/web/base/web.yaml":                          web,
		"apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\n",
		"apps/web/overlays/staging/kustomization.yaml":    "resources: [../../base]\n",
		"fleet/eu/apps.yaml":                              fluxKS("apps", "flux-system", "  path: ./apps/eu\n"),
		"fleet.yaml":                                      fluxKS("fleet", "flux-system", "  path: ./clusters\n"),
		"apps/eu/web.yaml":                                web,
	})
	checkClusters(t, "roots", root, "clusters/production,clusters/staging,fleet/eu", map[string]string{
		"apps/web/overlays/production": "clusters/production",
		"apps/web/overlays/staging":    "clusters/staging",
		"apps/web/base":                "clusters/production,clusters/staging",
		"apps/staging":                 "clusters/staging",
		"apps/eu":                      "fleet/eu",
	})
}

// TestClusterPathSpellings: "./", ".", "" and no path all name the
// source's root, which a bootstrap at the top applies: one cluster, the
// whole repository, whatever the spelling.
func TestClusterPathSpellings(t *testing.T) {
	for _, p := range []string{"  path: ./\n", "  path: .\n", "  path: \"\"\n", "", "  path: /\n"} {
		root := writeRepo(t, map[string]string{
			"flux-system/gotk-sync.yaml":  fluxKS("flux-system", "flux-system", p),
			"apps.yaml":                   fluxKS("apps", "flux-system", "  path: ./apps\n"),
			"apps/web/kustomization.yaml": "resources: [web.yaml]\n",
			"apps/web/web.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
		})
		checkClusters(t, "path "+strings.TrimSpace(p), root, ".", map[string]string{
			"apps/web":    ".",
			"flux-system": ".",
		})
	}
	for _, p := range []string{"./apps", "apps", "apps/", "./apps/"} {
		if got, ok := fluxPath(p); !ok || got != "apps" {
			t.Errorf("fluxPath(%q) = %q, %v", p, got, ok)
		}
	}
	if _, ok := fluxPath("../other"); ok {
		t.Error("fluxPath(../other) leaves the source but is accepted")
	}
}

// TestFindHelmRepositoryReadsThisRepositoryOnly: a generation into
// clusters/production does not reuse a HelmRepository that production
// reaches only through a Kustomization of another repository's
// GitRepository (team-a, path ./apps/staging), nor through the tenant
// Kustomization of flux2-multi-tenancy (GitRepository dev-team, no path:
// that branch's root, not this tree's); one its own source applies is
// reused.
func TestFindHelmRepositoryReadsThisRepositoryOnly(t *testing.T) {
	const url = "https://charts.example.com"
	helmRepo := func(name string) string {
		return "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: " + name + "\n  namespace: flux-system\nspec:\n  url: " + url + "\n"
	}
	root := copyRepo(t, flux2MultiTenancy)
	team := "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: team-a, namespace: flux-system}\nspec:\n  url: https://github.com/example/team-a\n---\n" +
		fluxKS("team-a", "team-a", "  path: ./apps/staging\n")
	for p, c := range map[string]string{
		"clusters/production/team-a.yaml": team,
		"apps/staging/charts.yaml":        helmRepo("staging-charts"),
		"clusters/staging/charts.yaml":    helmRepo("staging-only"),
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	target := "clusters/production/apps/web"
	files, err := LoadSources(workspace.Limits{}, root, target)
	if err != nil {
		t.Fatal(err)
	}
	if hr, ok := FindHelmRepository(files, target, url); ok {
		t.Errorf("production reuses %s (%s), which only another repository's Kustomization reaches", hr.Name, hr.File)
	}
	if err := os.WriteFile(filepath.Join(root, "infrastructure/kyverno/charts.yaml"), []byte(helmRepo("infra-charts")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "infrastructure/kyverno/kustomization.yaml"), []byte("resources: [namespace.yaml, charts.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if files, err = LoadSources(workspace.Limits{}, root, target); err != nil {
		t.Fatal(err)
	}
	if hr, ok := FindHelmRepository(files, target, url); !ok || hr.Name != "infra-charts" {
		t.Errorf("production's own HelmRepository: %+v, %v", hr, ok)
	}
}

// BenchmarkLoadClusters reads the clusters of the Flux example, as review
// does on each side.
func BenchmarkLoadClusters(b *testing.B) {
	root := b.TempDir()
	if err := os.CopyFS(root, os.DirFS(flux2Example)); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".git"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cs, err := LoadClusters(workspace.Limits{}, root)
		if err != nil || len(cs) != 2 {
			b.Fatalf("clusters: %v, %d", err, len(cs))
		}
	}
}
