package conventions

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// TestReleasesThroughEachClustersExternalArtifact: each cluster has an
// ArtifactGenerator of the same artifact (name and namespace) copying its
// own chart folder, and a HelmRelease of its own name; each chart is
// installed as the release of its cluster's HelmRelease, not both as the
// last generator's.
func TestReleasesThroughEachClustersExternalArtifact(t *testing.T) {
	generator := func(chart string) string {
		return "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: charts\n  namespace: flux-system\nspec:\n  sources:\n    - {alias: repo, kind: GitRepository, name: flux-system}\n  artifacts:\n    - name: web-chart\n      copy:\n        - {from: \"@repo/charts/" + chart + "/**\", to: \"@artifact/\"}\n"
	}
	release := func(name string) string {
		return "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: " + name + "\n  namespace: flux-system\nspec:\n  targetNamespace: shop\n  chartRef:\n    kind: ExternalArtifact\n    name: web-chart\n"
	}
	dir := t.TempDir()
	for p, c := range map[string]string{
		"charts/web-production/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web-staging/Chart.yaml":               "apiVersion: v2\nname: web\nversion: 1.1.0\n",
		"clusters/production/flux-system/charts.yaml": generator("web-production"),
		"clusters/production/apps/web.yaml":           release("web-prod"),
		"clusters/staging/flux-system/charts.yaml":    generator("web-staging"),
		"clusters/staging/apps/web.yaml":              release("web-stage"),
	} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := Releases(nil, genconfig.Vars{}, workspacetest.Read(t, dir, ""))
	for root, want := range map[string]string{"charts/web-production": "shop-web-prod", "charts/web-staging": "shop-web-stage"} {
		if rel := got[root]; rel.Name != want || rel.Namespace != "shop" {
			t.Errorf("%s: release %+v, want shop/%s", root, rel, want)
		}
	}
}
