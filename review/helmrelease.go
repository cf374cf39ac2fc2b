package review

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace"
)

// UnitHelmRelease is a chart of the repository as a Flux HelmRelease or
// an Argo CD Application installs it: rendered as its release, with its
// values.
const UnitHelmRelease = "helmrelease"

// install is how a HelmRelease or an Application installs a chart.
type install struct {
	chart           string // the chart's folder, from the repository's top
	name, namespace string // the release
	values          map[string]any
	// ref is a HelmRelease's spec.chartRef to a HelmChart or an
	// ExternalArtifact; chart is then resolved through it
	// (gitops.Charts.Ref).
	ref gitops.Ref
}

// installOf reads how o installs a chart folder of the repository: a
// Flux HelmRelease whose spec.chart.spec.chart is a path from a
// GitRepository, or whose spec.chartRef is a HelmChart or an
// ExternalArtifact (Flux 2.7) that gitops.Charts resolves to a chart
// folder of the repository, named spec.releaseName, else
// [targetNamespace-]name, in spec.targetNamespace, else its own
// namespace, with spec.values; an Argo CD Application whose spec.source
// has a path and helm settings, named helm.releaseName, else the
// Application's name, in spec.destination.namespace, with
// helm.valuesObject, else helm.values.
func installOf(o *object) (install, bool) {
	api := str(o.body, "apiVersion")
	meta := asMap(o.body["metadata"])
	spec := asMap(o.body["spec"])
	switch {
	case o.kind == "HelmRelease" && strings.HasPrefix(api, "helm.toolkit.fluxcd.io/"):
		cs := asMap(dig(spec, "chart", "spec"))
		in := install{chart: str(cs, "chart"), name: str(spec, "releaseName"), namespace: str(spec, "targetNamespace"), values: asMap(spec["values"])}
		switch ref := asMap(spec["chartRef"]); {
		case (str(ref, "kind") == "ExternalArtifact" || str(ref, "kind") == "HelmChart") && str(ref, "name") != "":
			in.chart = ""
			in.ref = gitops.Ref{Kind: str(ref, "kind"), Name: str(ref, "name"), Namespace: cmp.Or(str(ref, "namespace"), str(meta, "namespace"))}
		case str(asMap(cs["sourceRef"]), "kind") != "GitRepository" || in.chart == "":
			return install{}, false
		}
		if in.name == "" {
			in.name = str(meta, "name")
			if in.namespace != "" {
				in.name = in.namespace + "-" + in.name
			}
		}
		if in.namespace == "" {
			in.namespace = str(meta, "namespace")
		}
		return in, true
	case o.kind == "Application" && strings.HasPrefix(api, "argoproj.io/"):
		src := asMap(spec["source"])
		helm := asMap(src["helm"])
		if str(src, "path") == "" || str(src, "chart") != "" {
			return install{}, false
		}
		in := install{chart: str(src, "path"), name: str(helm, "releaseName"), namespace: str(asMap(spec["destination"]), "namespace"), values: asMap(helm["valuesObject"])}
		if in.name == "" {
			in.name = str(meta, "name")
		}
		if in.values == nil && str(helm, "values") != "" {
			var v map[string]any
			if yaml.Unmarshal([]byte(str(helm, "values")), &v) == nil {
				in.values = v
			}
		}
		return in, true
	}
	return install{}, false
}

// releaseRenderer renders the charts HelmReleases install.
type releaseRenderer struct {
	helm *helmchart.Renderer
}

// helmReleases renders, for each Flux HelmRelease or Argo CD Application
// among a group's units that installs a chart folder of the repository
// (installOf), that chart as it installs it, its values over the chart's
// values.yaml. It returns the new units and the chart folders installed,
// whose own render (default values) no cluster receives.
func (rr *releaseRenderer) helmReleases(ctx context.Context, us map[unitKey]map[string]*object, files []workspace.File, root string) (map[unitKey]map[string]*object, map[string]bool, error) {
	out := map[unitKey]map[string]*object{}
	installed := map[string]bool{}
	charts := gitops.NewCharts(files) // read once for every chartRef
	for k, objs := range us {
		if k.kind == UnitChart {
			continue
		}
		unitCharts, built := charts, false
		for _, o := range objs {
			in, ok := installOf(o)
			if !ok {
				continue
			}
			var rc gitops.ReleaseChart
			if in.ref.Kind != "" {
				if k.kind == UnitKustomize && !built {
					// The overlay's build holds the HelmChart as patched.
					unitCharts, built = charts.Built(o.file, o.text), true
				}
				// A chart from a chart repository is not fetched: the
				// HelmRelease and the HelmChart are diffed as objects.
				if rc, ok = unitCharts.Ref(in.ref, o.file); !ok || rc.Folder == "" {
					continue
				}
				in.chart = rc.Folder
			}
			dir := path.Clean(strings.TrimPrefix(in.chart, "./"))
			if root != "." && strings.HasPrefix(dir, root+"/") {
				dir = strings.TrimPrefix(dir, root+"/") // from the git top, not the group's root
			}
			chart := chartFiles(files, dir)
			if chart == nil {
				continue
			}
			var err error
			if chart, err = withValues(chart, in.values); err != nil {
				return nil, nil, fmt.Errorf("%s in %s: %w", o.id, k.path, err)
			}
			name, ns := in.name, in.namespace
			res, err := rr.helm.As(name, ns).Render(ctx, chart)
			if err != nil {
				return nil, nil, err
			}
			uk := unitKey{kind: UnitHelmRelease, path: k.path, release: o.id, chart: join(root, dir)}
			m := map[string]*object{}
			for _, f := range res.Manifests {
				for _, ro := range parseObjects(f.Content) {
					ro.file, ro.root, ro.text = path.Join(dir, f.Path), root, f.Content
					for _, cf := range chart {
						if cf.Path == f.Path {
							ro.src = helmchart.TemplateSource{File: path.Join(dir, f.Path), Template: cf.Content, Rendered: f.Content}
						}
					}
					m[ro.id] = ro
				}
			}
			out[uk] = m
			installed[join(root, dir)] = true
		}
	}
	return out, installed, nil
}

// chartFiles returns the files of the chart at dir, relative to it; nil
// when dir holds no Chart.yaml.
func chartFiles(files []workspace.File, dir string) []workspace.File {
	var out []workspace.File
	found := false
	for _, f := range files {
		if rel, ok := strings.CutPrefix(f.Path, dir+"/"); ok {
			out = append(out, workspace.File{Path: rel, Content: f.Content})
			found = found || rel == "Chart.yaml"
		}
	}
	if !found {
		return nil
	}
	return out
}

// withValues returns the chart with values merged over its values.yaml,
// as Helm merges a release's values over the chart's defaults: maps key
// by key, anything else replaced.
func withValues(chart []workspace.File, values map[string]any) ([]workspace.File, error) {
	if len(values) == 0 {
		return chart, nil
	}
	out := make([]workspace.File, 0, len(chart)+1)
	merged := false
	for _, f := range chart {
		if f.Path != "values.yaml" {
			out = append(out, f)
			continue
		}
		var defaults map[string]any
		if err := yaml.Unmarshal(f.Content, &defaults); err != nil {
			return nil, fmt.Errorf("read the chart's values.yaml: %w", err)
		}
		b, err := yaml.Marshal(merge(defaults, values))
		if err != nil {
			return nil, err
		}
		out = append(out, workspace.File{Path: f.Path, Content: b})
		merged = true
	}
	if !merged {
		b, err := yaml.Marshal(values)
		if err != nil {
			return nil, err
		}
		out = append(out, workspace.File{Path: "values.yaml", Content: b})
	}
	return out, nil
}

func merge(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = merge(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
