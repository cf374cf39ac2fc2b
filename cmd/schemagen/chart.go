package main

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// renderChart renders the chart in dir with its default values, the way
// `helm template` does, and returns the rendered manifests whose template
// path (relative to the chart, e.g. templates/policy/server.yaml) matches
// one of globs, by that path. Dependencies whose repository is a
// file:// folder are loaded from that folder, as `helm dependency build`
// would copy them; any other repository is refused, since the tool works
// offline.
func renderChart(dir string, globs []string) (map[string][]byte, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	for _, dep := range ch.Metadata.Dependencies {
		if have[dep.Name] {
			continue
		}
		local, ok := strings.CutPrefix(dep.Repository, "file://")
		if !ok {
			return nil, fmt.Errorf("chart %s: dependency %s comes from %q, not a file:// folder", ch.Name(), dep.Name, dep.Repository)
		}
		sub, err := loader.Load(filepath.Join(dir, filepath.FromSlash(local)))
		if err != nil {
			return nil, fmt.Errorf("chart %s: dependency %s: %w", ch.Name(), dep.Name, err)
		}
		ch.AddDependency(sub)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, map[string]any{}); err != nil {
		return nil, fmt.Errorf("chart %s: dependencies: %w", ch.Name(), err)
	}
	vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{
		Name: ch.Name(), Namespace: "default", IsInstall: true,
	}, chartutil.DefaultCapabilities.Copy())
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", ch.Name(), err)
	}
	out, err := engine.Engine{}.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", ch.Name(), err)
	}
	files := map[string][]byte{}
	matched := make([]bool, len(globs))
	for name, text := range out {
		rel, ok := strings.CutPrefix(name, ch.Name()+"/")
		if !ok || strings.HasPrefix(rel, "charts/") {
			continue // a dependency's output
		}
		for i, g := range globs {
			if ok, _ := path.Match(g, rel); ok {
				matched[i] = true
				if strings.TrimSpace(text) != "" {
					files[rel] = []byte(text)
				}
				break
			}
		}
	}
	for i, ok := range matched {
		if !ok {
			return nil, fmt.Errorf("chart %s: no template matches %s", ch.Name(), globs[i])
		}
	}
	return files, nil
}
