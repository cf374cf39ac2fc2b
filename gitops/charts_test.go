package gitops

import (
	"reflect"
	"testing"
)

// generatorYAML is an ArtifactGenerator in flux-system making the
// artifact web-chart from the chart folder charts/<chart>.
func generatorYAML(chart string) string {
	return "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: charts\n  namespace: flux-system\nspec:\n  sources:\n    - alias: repo\n      kind: GitRepository\n      name: flux-system\n  artifacts:\n    - name: web-chart\n      copy:\n        - from: \"@repo/charts/" + chart + "/**\"\n          to: \"@artifact/\"\n"
}

// TestChartsPreferTheNearestGenerator: of the ArtifactGenerators that
// make one artifact, the one sharing the most folders with the
// HelmRelease wins; generators as near that give different charts (a
// HelmRelease in a base both clusters apply, or no HelmRelease's place)
// leave the reference unresolved ("" below).
func TestChartsPreferTheNearestGenerator(t *testing.T) {
	files := writeRead(t, map[string]string{
		"charts/production/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/staging/Chart.yaml":               "apiVersion: v2\nname: web\nversion: 1.1.0\n",
		"clusters/production/flux/generator.yaml": generatorYAML("production"),
		"clusters/staging/flux/generator.yaml":    generatorYAML("staging"),
	})
	c := NewCharts(files)
	ref := Ref{"ExternalArtifact", "web-chart", "flux-system"}
	for from, want := range map[string]string{
		"clusters/production/apps/web.yaml": "charts/production",
		"clusters/staging/apps/web.yaml":    "charts/staging",
		"clusters/production":               "charts/production",
		"apps/base/web.yaml":                "",
		"":                                  "",
	} {
		got, ok := c.Ref(ref, from)
		if ok != (want != "") || got.Folder != want {
			t.Errorf("Ref from %q = %+v, %v; want %s", from, got, ok, want)
		}
	}
}

// TestChartsBuilt: the HelmChart of a kustomize build (patched by the
// overlay, in the namespace it sets) answers before the files' one, and
// a generator of the build before a nearer one among the files; what the
// build lacks is resolved from the files.
func TestChartsBuilt(t *testing.T) {
	files := writeRead(t, map[string]string{
		"charts/web/Chart.yaml":               "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web-v2/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 2.0.0\n",
		"charts/production/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/staging/Chart.yaml":           "apiVersion: v2\nname: web\nversion: 1.1.0\n",
		"infrastructure/web/helmchart.yaml":   "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  chart: ./charts/web\n  sourceRef: {kind: GitRepository, name: flux-system}\n",
		"infrastructure/redis/helmchart.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: redis\nspec:\n  chart: redis\n  version: 19.x\n  sourceRef: {kind: HelmRepository, name: bitnami}\n",
		"clusters/production/patch.yaml":      "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  chart: ./charts/web-v2\n",
		"clusters/production/apps/gen.yaml":   generatorYAML("production"),
		"clusters/production/flux/gen.yaml":   generatorYAML("staging"),
	})
	built := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: production\nspec:\n  chart: ./charts/web-v2\n  sourceRef: {kind: GitRepository, name: flux-system}\n---\n" + generatorYAML("production"))
	c := NewCharts(files)
	if got, ok := c.Ref(Ref{"HelmChart", "web", "flux-system"}, ""); !ok || got.Folder != "charts/web" {
		t.Errorf("from the files = %+v, %v; want charts/web (the patch without a sourceRef is not the object)", got, ok)
	}
	b := c.Built("clusters/production", built)
	want := ReleaseChart{Folder: "charts/web-v2", File: "clusters/production", Line: 6}
	if got, ok := b.Ref(Ref{"HelmChart", "web", "production"}, "clusters/production"); !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("from the build = %+v, %v; want %+v", got, ok, want)
	}
	if got, ok := b.Ref(Ref{"HelmChart", "redis", "production"}, "clusters/production"); !ok || got.Chart != "redis" || got.File != "infrastructure/redis/helmchart.yaml" {
		t.Errorf("redis, not in the build = %+v, %v; want the files' HelmChart", got, ok)
	}
	// The nearer generator among the files (clusters/production/flux)
	// copies charts/staging; the build's generator wins.
	if got, ok := c.Ref(Ref{"ExternalArtifact", "web-chart", "flux-system"}, "clusters/production/flux"); !ok || got.Folder != "charts/staging" {
		t.Errorf("from the files = %+v, %v; want charts/staging", got, ok)
	}
	if got, ok := b.Ref(Ref{"ExternalArtifact", "web-chart", "flux-system"}, "clusters/production/flux"); !ok || got.Folder != "charts/production" {
		t.Errorf("from the build = %+v, %v; want charts/production", got, ok)
	}
	if c.Built("clusters/staging", []byte("apiVersion: v1\nkind: ConfigMap\n")) != c {
		t.Error("a build with no HelmChart or ArtifactGenerator should resolve as the files")
	}
}

// Each cluster folder's own HelmChart of one name serves the HelmReleases
// below it; a HelmRelease in a folder both apply gets neither.
func TestChartsPreferTheNearestHelmChart(t *testing.T) {
	chart := func(dir string) string {
		return "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  chart: ./charts/" + dir + "\n  sourceRef: {kind: GitRepository, name: flux-system}\n"
	}
	files := writeRead(t, map[string]string{
		"charts/production/Chart.yaml":     "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/staging/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 1.1.0\n",
		"clusters/production/web.yaml":     chart("production"),
		"clusters/staging/web.yaml":        chart("staging"),
		"clusters/staging/apps/other.yaml": "kind: ConfigMap\n",
	})
	c := NewCharts(files)
	ref := Ref{"HelmChart", "web", "flux-system"}
	for from, want := range map[string]string{
		"clusters/production/release.yaml": "charts/production",
		"clusters/staging/apps":            "charts/staging",
		"apps/base/release.yaml":           "",
	} {
		got, ok := c.Ref(ref, from)
		if ok != (want != "") || got.Folder != want {
			t.Errorf("Ref from %q = %+v, %v; want %q", from, got, ok, want)
		}
	}
}
