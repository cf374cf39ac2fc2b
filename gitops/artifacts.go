package gitops

import (
	"cmp"
	"path"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// Flux 2.7's ExternalArtifact (source.toolkit.fluxcd.io/v1) is a source
// another controller produces. Flux's source-watcher produces them with an
// ArtifactGenerator (source.extensions.fluxcd.io), whose artifacts copy
// files of its sources (GitRepository, OCIRepository, Bucket, ...) into
// one artifact each, named after the artifact, in the generator's
// namespace. A Flux Kustomization (sourceRef kind ExternalArtifact) or a
// HelmRelease (spec.chartRef kind ExternalArtifact) then reads a path of
// that artifact. When the files copied come from a GitRepository, taken to
// be this repository (as a Flux Kustomization's GitRepository is), that
// path is a folder of the repository, and the discovery follows it there.

// artifact is one artifact an ArtifactGenerator makes, with the copy
// operations that read this repository.
type artifact struct {
	name, namespace string
	copies          []artifactCopy
	// charts are the copies of a whole chart source (a HelmChart or an
	// OCIRepository) to the artifact's root.
	charts []chartCopy
	file   string // where the generator is, for Charts.Ref
	line   int
}

// chartCopy is one copy of all the files of a chart source ("@chart/**")
// to an artifact's root.
type chartCopy struct {
	source Ref
	index  int // among the artifact's copy operations
}

// artifactCopy is one copy operation from this repository into an
// artifact: the files below from (a folder of the repository, or one
// file when tree is false) go to the artifact path to.
type artifactCopy struct {
	from string // repository path, cleaned
	tree bool   // from was a glob: the files below it keep their layout
	to   string // artifact path, cleaned ("." for the root)
	dir  bool   // to names a folder (it ended in "/")
	// index is the copy's place among the artifact's copy operations.
	index int
}

// isArtifactGenerator reports whether o is a source-watcher ArtifactGenerator.
func (o object) isArtifactGenerator() bool {
	return o.Kind == "ArtifactGenerator" && o.group() == "source.extensions.fluxcd.io"
}

// artifacts returns the artifacts the ArtifactGenerator o makes, in
// namespace ns when Flux forces one (else its own), with their copy
// operations from GitRepository sources and their copies of a whole
// HelmChart or OCIRepository source to their root.
func (o object) artifacts(ns string) []artifact {
	sources := map[string]Ref{}
	for _, s := range o.Spec.Sources {
		sources[s.Alias] = Ref{Kind: s.Kind, Name: s.Name, Namespace: cmp.Or(s.Namespace, ns, o.Metadata.Namespace)}
	}
	var out []artifact
	for _, a := range o.Spec.Artifacts {
		art := artifact{name: a.Name, namespace: cmp.Or(ns, o.Metadata.Namespace)}
		for i, c := range a.Copy {
			alias, pattern, ok := strings.Cut(strings.TrimPrefix(c.From, "@"), "/")
			to, toOK := strings.CutPrefix(c.To, "@artifact/")
			if !ok || !toOK || !strings.HasPrefix(c.From, "@") {
				continue
			}
			switch src := sources[alias]; src.Kind {
			case "GitRepository":
			case "HelmChart", "OCIRepository":
				if (pattern == "" || pattern == "**") && (to == "" || to == "./") {
					art.charts = append(art.charts, chartCopy{source: src, index: i})
				}
				continue
			default:
				continue
			}
			from, tree := globBase(pattern)
			if from == "" {
				continue
			}
			dest, err := workspace.Clean(cmp.Or(to, "."))
			if err != nil {
				continue
			}
			art.copies = append(art.copies, artifactCopy{from: from, tree: tree, to: dest, dir: to == "" || strings.HasSuffix(to, "/"), index: i})
		}
		if a.Name != "" && len(art.copies)+len(art.charts) > 0 {
			out = append(out, art)
		}
	}
	return out
}

// globBase returns the folder of a copy pattern above its first segment
// with a glob character ("apps/base/**" → "apps/base", true), or the
// pattern itself when it has none (false); "" when it leaves the
// repository.
func globBase(pattern string) (string, bool) {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.ContainsAny(s, "*?[{") {
			base, err := workspace.Clean(cmp.Or(strings.Join(segs[:i], "/"), "."))
			if err != nil {
				return "", true
			}
			return base, true
		}
	}
	p, err := workspace.Clean(pattern)
	if err != nil || p == "." {
		return "", false
	}
	return p, false
}

// repoPaths returns the repository paths that the path p of the artifact
// name in namespace ns holds, per the artifacts given: for a copied
// folder, the folder of the repository p lies in (p below the copy's
// destination), or the whole copied folder (the destination below p);
// for a copied file, the file. A namespace left empty matches any. The
// artifact's layout below a copied folder is the repository's, so
// relative references inside it (a kustomization's ../base) are followed
// in the repository.
func repoPaths(arts []artifact, name, ns, p string) []string {
	p, err := workspace.Clean(cmp.Or(strings.TrimPrefix(p, "./"), "."))
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range arts {
		if a.name != name || (ns != "" && a.namespace != "" && a.namespace != ns) {
			continue
		}
		for _, c := range a.copies {
			to := c.to
			if !c.tree && c.dir {
				to = path.Join(c.to, path.Base(c.from))
			}
			switch {
			case workspace.Within(to, p):
				rel := strings.TrimPrefix(strings.TrimPrefix(p, to), "/")
				if to == "." {
					rel = p
				}
				if q, err := workspace.Clean(path.Join(c.from, rel)); err == nil {
					out = append(out, q)
				}
			case workspace.Within(p, to):
				out = append(out, c.from)
			}
		}
	}
	return out
}

// ExternalArtifactPaths returns the paths of this repository that hold the
// path p (relative to the artifact's root) of the ExternalArtifact name in
// namespace, per the ArtifactGenerators among files: for a copied folder
// the repository folder, for a copied file the file, in the order of the
// copy operations, so the last is what a later copy overwrote p with.
// Only paths that exist among files are returned: a file among them, or a
// folder holding one. None when no generator among files makes it from a
// GitRepository. A namespace left empty, here or on a generator, matches
// any.
func ExternalArtifactPaths(files []workspace.File, name, namespace, p string) []string {
	var out []string
	for _, q := range repoPaths(generatorArtifacts(files), name, namespace, p) {
		if exists(files, q) {
			out = append(out, q)
		}
	}
	return out
}

// generatorArtifacts returns the artifacts of the ArtifactGenerators
// among files.
func generatorArtifacts(files []workspace.File) []artifact {
	var arts []artifact
	for _, f := range files {
		if !strings.Contains(string(f.Content), "ArtifactGenerator") {
			continue // no need to parse it
		}
		for _, o := range objects(f) {
			if o.isArtifactGenerator() {
				for _, a := range o.artifacts("") {
					a.file, a.line = f.Path, o.line
					arts = append(arts, a)
				}
			}
		}
	}
	return arts
}

// exists reports whether p is a file among files or a folder holding one.
func exists(files []workspace.File, p string) bool {
	for _, f := range files {
		if workspace.Within(p, f.Path) {
			return true
		}
	}
	return false
}
