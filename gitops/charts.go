package gitops

import (
	"cmp"
	"fmt"
	"path"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// Ref names a Flux object: a source, or what a chartRef points at.
type Ref struct {
	Kind, Name, Namespace string
}

// ReleaseChart is the chart a Flux HelmRelease's spec.chartRef installs,
// as the repository's files tell it (ChartRef).
type ReleaseChart struct {
	// Folder is the chart's folder in this repository, from its top, when
	// the chart is one of the repository's; "" otherwise.
	Folder string
	// Chart is the chart's name in its chart repository (a HelmChart's
	// spec.chart from a HelmRepository), and Version the version
	// constraint the HelmChart sets ("" for the latest). Both are empty
	// for a chart in the repository and for an OCIRepository, whose URL
	// names the chart.
	Chart, Version string
	// Source is the chart repository source of a chart not in the
	// repository: a HelmRepository (a HelmChart's spec.sourceRef, in the
	// HelmChart's namespace) or an OCIRepository (an ArtifactGenerator
	// source copied whole to the artifact's root).
	Source Ref
	// File is the repository file holding the object the chart was
	// resolved through (the HelmChart, or the ArtifactGenerator), and
	// Line where its document starts.
	File string
	Line int
}

// ChartRef resolves a Flux HelmRelease's spec.chartRef to the object of
// ref (Kind, Name and Namespace: the reference's namespace, else the
// HelmRelease's) among files (paths from the repository's top), as Flux
// would read the chart:
//
//   - a HelmChart (source.toolkit.fluxcd.io) of that name: its spec.chart
//     is a path of this repository when its sourceRef is a GitRepository
//     (taken to be this repository, as a Flux Kustomization's is), the
//     chart there when files hold its Chart.yaml; a chart name in a chart
//     repository when its sourceRef is a HelmRepository (Chart, Version
//     and Source set). A Bucket source is not resolved.
//   - an ExternalArtifact (Flux 2.7): the last copy operation of the
//     ArtifactGenerator among files that makes it and brings a chart to
//     its root: a folder of this repository whose Chart.yaml lands there
//     (ExternalArtifactPaths), or a whole HelmChart source (resolved as
//     above) or OCIRepository source.
//
// ok is false when files do not tell, or the chart comes from elsewhere.
// Nothing is fetched. A namespace left empty, in ref or on an object,
// matches any.
func ChartRef(files []workspace.File, ref Ref) (ReleaseChart, bool) {
	switch ref.Kind {
	case "HelmChart":
		return helmChart(files, ref)
	case "ExternalArtifact":
		return artifactChart(files, ref)
	}
	return ReleaseChart{}, false
}

// helmChart resolves a HelmChart (see ChartRef). A HelmChart without a
// sourceRef is a patch of one (an overlay's), not the object; one in the
// reference's own namespace is preferred to one that names none.
func helmChart(files []workspace.File, ref Ref) (ReleaseChart, bool) {
	var loose *object
	looseFile := ""
	for _, f := range files {
		if !strings.Contains(string(f.Content), "HelmChart") {
			continue // no need to parse it
		}
		for _, o := range objects(f) {
			if o.Kind != "HelmChart" || o.group() != "source.toolkit.fluxcd.io" || o.Metadata.Name != ref.Name ||
				o.Spec.SourceRef.Kind == "" ||
				(ref.Namespace != "" && o.Metadata.Namespace != "" && o.Metadata.Namespace != ref.Namespace) {
				continue
			}
			if ref.Namespace == "" || o.Metadata.Namespace == ref.Namespace {
				return helmChartOf(files, f.Path, o, ref)
			}
			if loose == nil {
				loose, looseFile = &o, f.Path
			}
		}
	}
	if loose != nil {
		return helmChartOf(files, looseFile, *loose, ref)
	}
	return ReleaseChart{}, false
}

// helmChartOf is the chart of the HelmChart o, read from file.
func helmChartOf(files []workspace.File, file string, o object, ref Ref) (ReleaseChart, bool) {
	chart, _ := o.Spec.Chart.(string)
	version := scalar(o.Spec.Version)
	out := ReleaseChart{File: file, Line: o.line}
	switch src := o.Spec.SourceRef; src.Kind {
	case "GitRepository":
		dir, err := workspace.Clean(strings.TrimPrefix(chart, "./"))
		if err != nil || chart == "" || !exists(files, path.Join(dir, "Chart.yaml")) {
			return ReleaseChart{}, false
		}
		out.Folder = dir
	case "HelmRepository":
		if chart == "" || src.Name == "" {
			return ReleaseChart{}, false
		}
		out.Chart, out.Version = chart, version
		out.Source = Ref{Kind: src.Kind, Name: src.Name, Namespace: cmp.Or(o.Metadata.Namespace, ref.Namespace)}
	default:
		return ReleaseChart{}, false
	}
	return out, true
}

// artifactChart resolves an ExternalArtifact (see ChartRef).
func artifactChart(files []workspace.File, ref Ref) (ReleaseChart, bool) {
	var out ReleaseChart
	ok := false
	for _, a := range generatorArtifacts(files) {
		if a.name != ref.Name || (ref.Namespace != "" && a.namespace != "" && a.namespace != ref.Namespace) {
			continue
		}
		if c, found := a.chart(files); found {
			out, ok = c, true // a later generator of the same artifact wins
		}
	}
	return out, ok
}

// chart returns the chart the last of a's copy operations that brings one
// to its root brings (see ChartRef).
func (a artifact) chart(files []workspace.File) (ReleaseChart, bool) {
	var out ReleaseChart
	ok, last := false, -1
	for _, c := range a.copies {
		one := artifact{name: a.name, copies: []artifactCopy{c}}
		for _, p := range repoPaths([]artifact{one}, a.name, "", "Chart.yaml") {
			if c.index > last && path.Base(p) == "Chart.yaml" && exists(files, p) {
				out, ok, last = ReleaseChart{Folder: path.Dir(p), File: a.file, Line: a.line}, true, c.index
			}
		}
	}
	for _, c := range a.charts {
		if c.index < last {
			continue
		}
		last = c.index
		switch c.source.Kind {
		case "HelmChart":
			out, ok = helmChart(files, c.source)
		case "OCIRepository":
			out, ok = ReleaseChart{Source: c.source, File: a.file, Line: a.line}, c.source.Name != ""
		}
	}
	return out, ok
}

// scalar returns a YAML scalar decoded into any as a string ("" for none
// or a collection).
func scalar(v any) string {
	switch v := v.(type) {
	case nil, map[string]any, []any:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}
