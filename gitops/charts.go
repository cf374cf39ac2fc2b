package gitops

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/workspace"
)

// Ref names a Flux object: a source, or what a chartRef points at.
type Ref struct {
	Kind, Name, Namespace string
}

// ReleaseChart is the chart a Flux HelmRelease's spec.chartRef installs,
// as the repository's files tell it (Charts.Ref).
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
	// Line where its document starts; for an object of a kustomize build
	// (Charts.Built), File is the overlay's folder and Line the
	// document's line in the build's output.
	File string
	Line int
}

// Charts resolves Flux HelmReleases' spec.chartRef among one set of
// files, read once (NewCharts): its HelmCharts and ArtifactGenerators
// are parsed when it is made, so resolving many references costs a
// lookup each. A Charts is not changed once made and is safe for
// concurrent use.
type Charts struct {
	paths  map[string]bool // the files, and the folders holding one
	charts []located       // HelmCharts with a sourceRef, in file order
	arts   []artifact      // the ArtifactGenerators' artifacts, in file order
	// build holds the objects of one kustomize build (Built), preferred
	// to the files'; nil when none.
	build *Charts
}

// located is a HelmChart with where it is.
type located struct {
	o    object
	file string
}

// NewCharts reads the HelmCharts and ArtifactGenerators among files
// (paths from the repository's top) once, for Ref.
func NewCharts(files []workspace.File) *Charts {
	c := &Charts{paths: make(map[string]bool, 2*len(files))}
	for _, f := range files {
		for p := f.Path; !c.paths[p]; p = path.Dir(p) {
			c.paths[p] = true
			if p == "." || p == "/" || p == "" {
				break
			}
		}
		switch strings.ToLower(path.Ext(f.Path)) {
		case ".yaml", ".yml":
			c.add(f.Path, f.Content)
		}
	}
	return c
}

// Built returns a Charts that resolves as c does, but prefers the
// HelmCharts and ArtifactGenerators of built, the output of the
// kustomize build of the overlay folder dir: there a HelmChart is as
// Flux receives it, with the overlay's patches and namespace applied.
// Objects not in the build are resolved from c's files.
func (c *Charts) Built(dir string, built []byte) *Charts {
	b := &Charts{paths: c.paths}
	b.add(dir, built)
	if len(b.charts) == 0 && len(b.arts) == 0 {
		return c
	}
	out := *c
	out.build = b
	return &out
}

// add reads the HelmCharts and ArtifactGenerators of a YAML stream from
// file. A HelmChart without a sourceRef is a patch of one (an overlay's),
// not the object, and is left out.
func (c *Charts) add(file string, content []byte) {
	hasChart, hasGen := bytes.Contains(content, []byte("HelmChart")), bytes.Contains(content, []byte("ArtifactGenerator"))
	if !hasChart && !hasGen {
		return // no need to parse it
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		if k := mapValue(doc.Content[0], "kind"); k == nil || (k.Value != "HelmChart" && k.Value != "ArtifactGenerator") {
			continue // a HelmRelease naming a HelmChart, say: not decoded
		}
		var o object
		if err := doc.Content[0].Decode(&o); err != nil || o.Kind == "" {
			continue
		}
		o.line = doc.Content[0].Line
		switch {
		case o.Kind == "HelmChart" && o.group() == "source.toolkit.fluxcd.io" && o.Spec.SourceRef.Kind != "":
			c.charts = append(c.charts, located{o: o, file: file})
		case o.isArtifactGenerator():
			for _, a := range o.artifacts("") {
				a.file, a.line = file, o.line
				c.arts = append(c.arts, a)
			}
		}
	}
}

// mapValue returns the value of key in the mapping node m; nil when m is
// not a mapping or lacks key.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// Ref resolves a Flux HelmRelease's spec.chartRef to the object of ref
// (Kind, Name and Namespace: the reference's namespace, else the
// HelmRelease's), as Flux would read the chart; from is where the
// HelmRelease is (its file, or the overlay folder whose build holds it;
// "" when unknown):
//
//   - a HelmChart (source.toolkit.fluxcd.io) of that name: its spec.chart
//     is a path of this repository when its sourceRef is a GitRepository
//     (taken to be this repository, as a Flux Kustomization's is), the
//     chart there when the files hold its Chart.yaml (its
//     spec.valuesFiles are not read); a chart name in a chart repository
//     when its sourceRef is a HelmRepository (Chart, Version and Source
//     set). A Bucket source is not resolved. The HelmChart of the
//     kustomize build (Built) answers first; among the files, those in
//     the reference's own namespace are preferred to those that name
//     none, a HelmChart without a sourceRef (an overlay's patch) is not
//     one, and of several the one whose file shares the most leading
//     folders with from answers.
//   - an ExternalArtifact (Flux 2.7): the copy operations of an
//     ArtifactGenerator that makes it and brings a chart to its root (the
//     last such copy of the generator): a folder of this repository whose
//     Chart.yaml lands there (ExternalArtifactPaths), or a whole
//     HelmChart source (resolved as above) or OCIRepository source. When
//     several generators make the artifact, one of the kustomize build
//     (Built) wins; else the one whose file shares the most leading
//     folders with from (so a cluster folder's generator serves that
//     cluster's HelmReleases).
//
// Where the nearest candidates (HelmCharts or generators as near from)
// give different charts — one per cluster folder, the HelmRelease in a
// folder all of them apply — the reference is left unresolved rather
// than answered with one cluster's chart.
//
// ok is false when the files do not tell, or the chart comes from
// elsewhere. Nothing is fetched. A namespace left empty, in ref or on an
// object, matches any.
func (c *Charts) Ref(ref Ref, from string) (ReleaseChart, bool) {
	switch ref.Kind {
	case "HelmChart":
		return c.helmChart(ref, from)
	case "ExternalArtifact":
		return c.artifactChart(ref, from)
	}
	return ReleaseChart{}, false
}

// helmChart resolves a HelmChart (see Ref).
func (c *Charts) helmChart(ref Ref, from string) (ReleaseChart, bool) {
	if c.build != nil {
		if l, ok := pickChart(c.build.charts, ref); ok {
			return c.helmChartOf(l, ref)
		}
	}
	var best []ReleaseChart
	score := -1
	for _, l := range namedCharts(c.charts, ref) {
		rc, ok := c.helmChartOf(l, ref)
		if !ok {
			continue
		}
		best, score = nearer(best, score, rc, sharedFolders(path.Dir(l.file), from))
	}
	return agreed(best)
}

// pickChart returns the HelmChart of ref among charts: the first in
// ref's namespace, else the first that names no namespace.
func pickChart(charts []located, ref Ref) (located, bool) {
	if named := namedCharts(charts, ref); len(named) > 0 {
		return named[0], true
	}
	return located{}, false
}

// namedCharts returns the HelmCharts of ref among charts: those in ref's
// namespace, else (none being there) those that name no namespace.
func namedCharts(charts []located, ref Ref) []located {
	var exact, loose []located
	for _, l := range charts {
		o := l.o
		if o.Metadata.Name != ref.Name || (ref.Namespace != "" && o.Metadata.Namespace != "" && o.Metadata.Namespace != ref.Namespace) {
			continue
		}
		if ref.Namespace == "" || o.Metadata.Namespace == ref.Namespace {
			exact = append(exact, l)
		} else {
			loose = append(loose, l)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return loose
}

// nearer keeps in best the charts found nearest the HelmRelease: rc, n
// folders shared with it, joins them when as near, replaces them when
// nearer.
func nearer(best []ReleaseChart, score int, rc ReleaseChart, n int) ([]ReleaseChart, int) {
	switch {
	case n > score:
		return []ReleaseChart{rc}, n
	case n == score:
		return append(best, rc), score
	}
	return best, score
}

// agreed returns the chart the nearest candidates name, when they name
// one: objects as near the HelmRelease that resolve to different charts
// (a HelmChart or a generator of the same name in each cluster's folder,
// the HelmRelease in a folder they all apply) leave it unresolved rather
// than picking one cluster's chart for another.
func agreed(best []ReleaseChart) (ReleaseChart, bool) {
	if len(best) == 0 {
		return ReleaseChart{}, false
	}
	for _, rc := range best[1:] {
		if rc.Folder != best[0].Folder || rc.Chart != best[0].Chart || rc.Version != best[0].Version || rc.Source != best[0].Source {
			return ReleaseChart{}, false
		}
	}
	return best[0], true
}

// helmChartOf is the chart of the HelmChart l.
func (c *Charts) helmChartOf(l located, ref Ref) (ReleaseChart, bool) {
	o := l.o
	chart, _ := o.Spec.Chart.(string)
	version := scalar(o.Spec.Version)
	out := ReleaseChart{File: l.file, Line: o.line}
	switch src := o.Spec.SourceRef; src.Kind {
	case "GitRepository":
		dir, err := workspace.Clean(strings.TrimPrefix(chart, "./"))
		if err != nil || chart == "" || !c.paths[path.Join(dir, "Chart.yaml")] {
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

// artifactChart resolves an ExternalArtifact (see Ref).
func (c *Charts) artifactChart(ref Ref, from string) (ReleaseChart, bool) {
	if c.build != nil {
		if out, ok := c.bestArtifact(c.build.arts, ref, ""); ok {
			return out, true
		}
	}
	return c.bestArtifact(c.arts, ref, from)
}

// bestArtifact returns the chart of the artifact of ref among arts that
// lies nearest from (see Ref); unresolved when generators as near give
// different charts.
func (c *Charts) bestArtifact(arts []artifact, ref Ref, from string) (ReleaseChart, bool) {
	var best []ReleaseChart
	score := -1
	for _, a := range arts {
		if a.name != ref.Name || (ref.Namespace != "" && a.namespace != "" && a.namespace != ref.Namespace) {
			continue
		}
		if rc, found := c.artifactOf(a); found {
			best, score = nearer(best, score, rc, sharedFolders(path.Dir(a.file), from))
		}
	}
	return agreed(best)
}

// sharedFolders counts the leading path segments a and b share.
func sharedFolders(a, b string) int {
	if a == "" || a == "." || b == "" || b == "." {
		return 0
	}
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	return n
}

// artifactOf returns the chart the last of a's copy operations that
// brings one to its root brings (see Ref).
func (c *Charts) artifactOf(a artifact) (ReleaseChart, bool) {
	var out ReleaseChart
	ok, last := false, -1
	for _, cp := range a.copies {
		one := artifact{name: a.name, copies: []artifactCopy{cp}}
		for _, p := range repoPaths([]artifact{one}, a.name, "", "Chart.yaml") {
			if cp.index > last && path.Base(p) == "Chart.yaml" && c.paths[p] {
				out, ok, last = ReleaseChart{Folder: path.Dir(p), File: a.file, Line: a.line}, true, cp.index
			}
		}
	}
	for _, cc := range a.charts {
		if cc.index < last {
			continue
		}
		last = cc.index
		switch cc.source.Kind {
		case "HelmChart":
			out, ok = c.helmChart(cc.source, a.file) // the generator's own, as near it as may be
		case "OCIRepository":
			out, ok = ReleaseChart{Source: cc.source, File: a.file, Line: a.line}, cc.source.Name != ""
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
