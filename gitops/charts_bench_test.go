package gitops

import (
	"fmt"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// benchRepo is a repository of n apps, each with a HelmChart (a chart of
// a HelmRepository), a HelmRelease whose chartRef names it, and a
// Deployment; every fifth app's chart comes through an ExternalArtifact
// of an ArtifactGenerator copying a chart folder. It returns the files
// and the HelmReleases' references.
func benchRepo(n int) ([]workspace.File, []Ref) {
	var files []workspace.File
	var refs []Ref
	add := func(p, content string) { files = append(files, workspace.File{Path: p, Content: []byte(content)}) }
	for i := range n {
		app := fmt.Sprintf("apps/app%03d", i)
		add(app+"/deployment.yaml", fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app%03d\nspec:\n  replicas: 2\n", i))
		if i%5 == 0 {
			add(fmt.Sprintf("charts/app%03d/Chart.yaml", i), fmt.Sprintf("apiVersion: v2\nname: app%03d\nversion: 1.0.0\n", i))
			add(app+"/generator.yaml", fmt.Sprintf("apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: app%03d\n  namespace: flux-system\nspec:\n  sources:\n    - alias: repo\n      kind: GitRepository\n      name: flux-system\n  artifacts:\n    - name: app%03d\n      copy:\n        - from: \"@repo/charts/app%03d/**\"\n          to: \"@artifact/\"\n", i, i, i))
			add(app+"/release.yaml", fmt.Sprintf("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app%03d\n  namespace: flux-system\nspec:\n  chartRef:\n    kind: ExternalArtifact\n    name: app%03d\n", i, i))
			refs = append(refs, Ref{"ExternalArtifact", fmt.Sprintf("app%03d", i), "flux-system"})
			continue
		}
		add(app+"/helmchart.yaml", fmt.Sprintf("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: app%03d\n  namespace: flux-system\nspec:\n  chart: app%03d\n  version: 1.x\n  sourceRef:\n    kind: HelmRepository\n    name: charts\n", i, i))
		add(app+"/release.yaml", fmt.Sprintf("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app%03d\n  namespace: flux-system\nspec:\n  chartRef:\n    kind: HelmChart\n    name: app%03d\n", i, i))
		refs = append(refs, Ref{"HelmChart", fmt.Sprintf("app%03d", i), "flux-system"})
	}
	return files, refs
}

// BenchmarkChartRef resolves every HelmRelease's chartRef of a
// repository of 100 and 400 apps: per-call makes a Charts for each (the
// files read again each time, as the callers did before the index),
// index makes one Charts and asks it.
func BenchmarkChartRef(b *testing.B) {
	for _, n := range []int{100, 400} {
		files, refs := benchRepo(n)
		b.Run(fmt.Sprintf("per-call/%d", n), func(b *testing.B) {
			for range b.N {
				for _, r := range refs {
					if _, ok := NewCharts(files).Ref(r, ""); !ok {
						b.Fatalf("%+v unresolved", r)
					}
				}
			}
		})
		b.Run(fmt.Sprintf("index/%d", n), func(b *testing.B) {
			for range b.N {
				c := NewCharts(files)
				for _, r := range refs {
					if _, ok := c.Ref(r, ""); !ok {
						b.Fatalf("%+v unresolved", r)
					}
				}
			}
		})
	}
}
