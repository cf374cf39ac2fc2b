package review

import (
	"strings"
	"testing"
)

// chartDeploymentNamed is chartDeployment with a label telling which
// chart folder rendered it.
func chartDeploymentNamed(chart string) string {
	return strings.Replace(chartDeployment, "  labels:\n", "  labels:\n    chart-folder: "+chart+"\n", 1)
}

// releaseUnit returns the HelmRelease unit of the overlay or folder p.
func releaseUnit(t *testing.T, rev *Review, p string) UnitDiff {
	t.Helper()
	for _, u := range rev.Units {
		if u.Kind == UnitHelmRelease && u.Path == p {
			return u
		}
	}
	t.Fatalf("no HelmRelease unit of %s; units: %+v", p, rev.Units)
	return UnitDiff{}
}

const webRelease = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  targetNamespace: shop
  chartRef:
    kind: HelmChart
    name: web
  values:
    replicaCount: 3
`

// A cluster's overlay that patches the HelmChart of the base it
// includes (spec.chart, by a strategic merge patch in a file, or by an
// inline JSON 6902 patch) installs the chart the patched HelmChart names:
// the HelmRelease of the overlay's build renders that chart. (The base,
// included by the overlays, is not a unit of its own.)
func TestHelmReleaseOfAnOverlayPatchedHelmChart(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.write(map[string]string{
		"charts/web/Chart.yaml":                   chartYAML,
		"charts/web/values.yaml":                  chartValues,
		"charts/web/templates/deployment.yaml":    chartDeploymentNamed("web"),
		"charts/web-v2/Chart.yaml":                chartYAML,
		"charts/web-v2/values.yaml":               chartValues,
		"charts/web-v2/templates/deployment.yaml": chartDeploymentNamed("web-v2"),
		"infrastructure/web/kustomization.yaml":   "resources: [helmchart.yaml, release.yaml]\n",
		"infrastructure/web/release.yaml":         webRelease,
		"infrastructure/web/helmchart.yaml":       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  interval: 5m\n  chart: ./charts/web\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
		"clusters/production/kustomization.yaml":  "resources: [../../infrastructure/web]\npatches:\n  - path: chart-v2.yaml\n",
		"clusters/production/chart-v2.yaml":       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  chart: ./charts/web-v2\n",
		"clusters/staging/kustomization.yaml":     "namespace: staging\nresources: [../../infrastructure/web]\npatches:\n  - target: {kind: HelmChart, name: web}\n    patch: |-\n      - op: replace\n        path: /spec/chart\n        value: ./charts/web-v2\n",
	})
	r.commit("base")
	r.edit("infrastructure/web/release.yaml", "replicaCount: 3", "replicaCount: 6")

	rev := r.review("main")
	for p, want := range map[string]string{"clusters/production": "charts/web-v2", "clusters/staging": "charts/web-v2"} {
		u := releaseUnit(t, rev, p)
		if u.Chart != want || len(u.Objects) != 1 {
			t.Errorf("%s: release of %s with %d objects, want %s", p, u.Chart, len(u.Objects), want)
			continue
		}
		if f := fieldOf(t, u.Objects[0], "/spec/replicas"); f.Before != "3" || f.After != "6" {
			t.Errorf("%s: replicas %+v", p, f)
		}
	}
}

// With one ArtifactGenerator per cluster making the same artifact
// (name and namespace), each cluster's HelmRelease installs its own
// cluster's chart: the generator in the same kustomize build
// (production), else the one in the nearest folder (staging, a folder of
// plain manifests).
func TestHelmReleaseOfItsClustersExternalArtifact(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	generator := func(chart string) string {
		return "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: charts\n  namespace: flux-system\nspec:\n  sources:\n    - alias: repo\n      kind: GitRepository\n      name: flux-system\n  artifacts:\n    - name: web-chart\n      copy:\n        - from: \"@repo/charts/" + chart + "/**\"\n          to: \"@artifact/\"\n"
	}
	release := strings.Replace(webRelease, "kind: HelmChart\n    name: web", "kind: ExternalArtifact\n    name: web-chart", 1)
	r.write(map[string]string{
		"charts/web-production/Chart.yaml":                chartYAML,
		"charts/web-production/values.yaml":               chartValues,
		"charts/web-production/templates/deployment.yaml": chartDeploymentNamed("web-production"),
		"charts/web-staging/Chart.yaml":                   chartYAML,
		"charts/web-staging/values.yaml":                  chartValues,
		"charts/web-staging/templates/deployment.yaml":    chartDeploymentNamed("web-staging"),
		"clusters/production/apps/kustomization.yaml":     "resources: [artifacts.yaml, web.yaml]\n",
		"clusters/production/apps/artifacts.yaml":         generator("web-production"),
		"clusters/production/apps/web.yaml":               release,
		"clusters/staging/flux-system/artifacts.yaml":     generator("web-staging"),
		"clusters/staging/apps/web.yaml":                  release,
	})
	r.commit("base")
	r.edit("clusters/production/apps/web.yaml", "replicaCount: 3", "replicaCount: 6")
	r.edit("clusters/staging/apps/web.yaml", "replicaCount: 3", "replicaCount: 6")

	rev := r.review("main")
	for p, want := range map[string]string{"clusters/production/apps": "charts/web-production", "clusters/staging/apps": "charts/web-staging"} {
		if u := releaseUnit(t, rev, p); u.Chart != want || len(u.Objects) != 1 {
			t.Errorf("%s: release of %s with %d objects, want %s", p, u.Chart, len(u.Objects), want)
		}
	}
}
