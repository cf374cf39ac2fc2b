package gitops

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// LoadSources reads what a helm generation of target in the repository at
// root needs: the files workspace.Limits.Load reads, and, from anywhere in
// the repository, the files that say what Flux applies to each cluster and
// which chart sources it has (FindHelmRepository reads them): kustomization
// files, and YAML files with a top-level "kind: Kustomization", "kind:
// HelmRepository" or "kind: ArtifactGenerator" line. That search is workspace.Limits.Scan: best effort,
// within half of lim; what it misses is treated as absent, so a
// HelmRepository is written rather than reused. It searches only a real
// repository (workspace.IsRepository), never the folder FindRoot falls
// back on outside one.
func LoadSources(lim workspace.Limits, root, target string) ([]workspace.File, error) {
	files, err := lim.Load(root, target)
	if err != nil {
		return nil, err
	}
	return withSources(lim, root, files)
}

// withSources adds to base, what workspace.Limits.Load read, the chart
// sources LoadSources describes.
func withSources(lim workspace.Limits, root string, base []workspace.File) ([]workspace.File, error) {
	if !workspace.IsRepository(root) {
		// Outside a repository (the current folder or the output
		// folder's parent, see workspace.FindRoot) there is nothing to
		// search.
		return base, nil
	}
	sources, err := lim.Scan(root, base, sourceName, sourceContent)
	if err != nil {
		return nil, err
	}
	files := append(slices.Clone(base), sources...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// sourceKind matches the top-level kind line of the objects LoadSources
// reads.
var sourceKind = regexp.MustCompile(`(?m)^kind:[ \t]*["']?(Kustomization|HelmRepository|ArtifactGenerator)["']?[ \t]*(#.*)?\r?$`)

func sourceName(rel string) bool {
	if isKustomizationName(path.Base(rel)) {
		return true
	}
	switch strings.ToLower(path.Ext(rel)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// sourceContent keeps kustomization files (whose kind line is optional),
// Flux Kustomizations, HelmRepositories and ArtifactGenerators.
func sourceContent(rel string, content []byte) bool {
	return isKustomizationName(path.Base(rel)) || sourceKind.Match(content)
}

// HelmRepository is a Flux HelmRepository (source.toolkit.fluxcd.io, any
// version) found in a set of files.
type HelmRepository struct {
	// Name and Namespace are the object's; Namespace is the one it is
	// applied in, which FindHelmRepository works out when the object does
	// not say.
	Name, Namespace string
	// URL is spec.url as written.
	URL string
	// File and Line say where the object is (Line: where its document
	// starts).
	File string
	Line int
}

// HelmRepositories returns the Flux HelmRepositories among files, in file
// order, with the namespace they state (possibly empty). Files that are
// not YAML, or do not parse, are skipped.
func HelmRepositories(files []workspace.File) []HelmRepository {
	var out []HelmRepository
	for _, f := range files {
		if !bytes.Contains(f.Content, []byte("HelmRepository")) {
			continue // no need to parse it
		}
		for _, o := range objects(f) {
			if o.isHelmRepository() {
				out = append(out, HelmRepository{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, URL: o.Spec.URL, File: f.Path, Line: o.line})
			}
		}
	}
	return out
}

// FindHelmRepository returns a Flux HelmRepository among ws (the workspace,
// paths relative to the repository root) that serves the chart repository
// url and that the cluster target belongs to applies, so that a HelmRelease
// generated into target can name it in its sourceRef instead of bringing
// its own. URLs match once trailing slashes, and the case of scheme and
// host, are set aside; https:// and oci:// URLs alike.
//
// The cluster of target is the folder clusters/<env> above it (the whole
// repository when there is none). A file belongs to the cluster when Flux
// would apply it from there: through the resources and components of
// kustomization.yaml files, through the spec.path of Flux Kustomizations
// (kustomize.toolkit.fluxcd.io) met on the way, and, in a folder without a
// kustomization.yaml, through every manifest below it, as Flux generates
// one. A Flux Kustomization whose source is an ExternalArtifact (Flux 2.7)
// is followed into the folders of this repository an ArtifactGenerator
// the cluster applies copies into that artifact (artifacts.go). A HelmRepository that only another cluster applies is not returned:
// naming it would leave the release without a source.
//
// The namespace is the one Flux applies the object in: the targetNamespace
// of the Flux Kustomization that applies it, else the namespace: of the
// outermost kustomization.yaml on the way that sets one, else the object's
// own metadata.namespace. A HelmRepository whose namespace none of these
// names is not returned, since a sourceRef must name it. Files inside target
// are not considered: the generation replaces them. Among several matches
// the first by file path wins.
func FindHelmRepository(ws []workspace.File, target, url string) (HelmRepository, bool) {
	want := normalURL(url)
	if want == "" {
		return HelmRepository{}, false
	}
	target = strings.TrimSuffix(target, "/")
	idx := newIndex(ws, target)
	var found []HelmRepository
	for _, a := range idx.applied(clusterRoot(target)) {
		for _, o := range idx.objects[a.file] {
			if !o.isHelmRepository() || normalURL(o.Spec.URL) != want {
				continue
			}
			ns := a.namespace
			if ns == "" {
				ns = o.Metadata.Namespace
			}
			if ns == "" || o.Metadata.Name == "" {
				continue
			}
			found = append(found, HelmRepository{Name: o.Metadata.Name, Namespace: ns, URL: o.Spec.URL, File: a.file, Line: o.line})
		}
	}
	if len(found) == 0 {
		return HelmRepository{}, false
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].File != found[j].File {
			return found[i].File < found[j].File
		}
		return found[i].Line < found[j].Line
	})
	return found[0], true
}

// normalURL puts a chart repository URL in a form two spellings of the
// same repository share: lowercase scheme and host, no trailing slash.
func normalURL(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return strings.TrimRight(s, "/")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// clusterRoot returns the folder clusters/<env> that holds target, or "."
// (the whole repository) when target lies in no cluster folder.
func clusterRoot(target string) string {
	parts := strings.Split(target, "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "clusters" && parts[i+1] != "" {
			return strings.Join(parts[:i+2], "/")
		}
	}
	return "."
}

// object is the part of a Kubernetes object the discovery reads.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		URL             string `yaml:"url"`
		Path            string `yaml:"path"`
		TargetNamespace string `yaml:"targetNamespace"`
		SourceRef       ref    `yaml:"sourceRef"`
		Sources         []struct {
			Alias     string `yaml:"alias"`
			Kind      string `yaml:"kind"`
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"sources"`
		// Chart and Version are a HelmChart's spec.chart and
		// spec.version (any: a HelmRelease's spec.chart is a mapping).
		Chart     any `yaml:"chart"`
		Version   any `yaml:"version"`
		Artifacts []struct {
			Name string `yaml:"name"`
			Copy []struct {
				From string `yaml:"from"`
				To   string `yaml:"to"`
			} `yaml:"copy"`
		} `yaml:"artifacts"`
	} `yaml:"spec"`
	line int
}

// ref is a reference to another object (a sourceRef).
type ref struct {
	Kind      string `yaml:"kind"`
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

func (o object) group() string {
	g, _, _ := strings.Cut(o.APIVersion, "/")
	return g
}

func (o object) isHelmRepository() bool {
	return o.Kind == "HelmRepository" && o.group() == "source.toolkit.fluxcd.io"
}

// isFluxKustomization reports whether o is a Flux Kustomization that
// applies a path of this repository (its source is a GitRepository, or
// unnamed).
func (o object) isFluxKustomization() bool {
	k := o.Spec.SourceRef.Kind
	return o.isFlux("Kustomization") && (k == "" || k == "GitRepository")
}

// isFlux reports whether o is a Flux object of kind: only a
// Kustomization (kustomize.toolkit.fluxcd.io) is asked about.
func (o object) isFlux(kind string) bool {
	return kind == "Kustomization" && o.Kind == kind && o.group() == "kustomize.toolkit.fluxcd.io"
}

// objects parses the documents of a YAML file; nil for other files and
// for files that do not parse.
func objects(f workspace.File) []object {
	switch strings.ToLower(path.Ext(f.Path)) {
	case ".yaml", ".yml":
	default:
		return nil
	}
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(f.Content))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		var o object
		if err := doc.Content[0].Decode(&o); err != nil || o.Kind == "" {
			continue
		}
		o.line = doc.Content[0].Line
		out = append(out, o)
	}
	return out
}

// kustomizationFile is the part of a kustomization.yaml the discovery reads.
type kustomizationFile struct {
	Namespace  string   `yaml:"namespace"`
	Resources  []string `yaml:"resources"`
	Components []string `yaml:"components"`
}

// index holds what the discovery reads of the workspace.
type index struct {
	objects        map[string][]object          // YAML file -> its objects
	kustomizations map[string]kustomizationFile // folder -> its kustomization
	files          []string                     // YAML files, sorted
}

func newIndex(ws []workspace.File, target string) *index {
	idx := &index{objects: map[string][]object{}, kustomizations: map[string]kustomizationFile{}}
	for _, f := range ws {
		p, err := workspace.Clean(f.Path)
		if err != nil || (target != "" && target != "." && workspace.Within(target, p)) {
			continue
		}
		if isKustomizationName(path.Base(p)) {
			dir := path.Dir(p)
			if _, ok := idx.kustomizations[dir]; ok {
				continue // kustomize reads the first name only
			}
			var k kustomizationFile
			if err := yaml.Unmarshal(f.Content, &k); err == nil {
				idx.kustomizations[dir] = k
			}
			continue
		}
		if objs := objects(workspace.File{Path: p, Content: f.Content}); len(objs) > 0 {
			idx.objects[p] = objs
			idx.files = append(idx.files, p)
		}
	}
	sort.Strings(idx.files)
	return idx
}

func isKustomizationName(name string) bool {
	for _, n := range kustomize.FileNames {
		if name == n {
			return true
		}
	}
	return false
}

// appliedFile is a file Flux applies, with the namespace it is forced
// into ("" when nothing forces one).
type appliedFile struct {
	file, namespace string
}

// applied walks what Flux applies from the folder root, as
// FindHelmRepository describes, and returns the files reached, in the
// order met. A Flux Kustomization whose source is an ExternalArtifact is
// followed into the folders of the repository that the artifact holds
// (artifacts.go), per the ArtifactGenerators the walk reaches; since one
// may be reached after the Kustomization that reads it, the walk is
// repeated until it reaches no new generator.
func (idx *index) applied(root string) []appliedFile {
	var arts []artifact
	for {
		out := idx.walk(root, arts)
		var next []artifact
		for _, a := range out {
			for _, o := range idx.objects[a.file] {
				if o.isArtifactGenerator() {
					next = append(next, o.artifacts(a.namespace)...)
				}
			}
		}
		if len(next) <= len(arts) {
			return out
		}
		arts = next
	}
}

// walk is one walk of applied, reading ExternalArtifacts through arts.
func (idx *index) walk(root string, arts []artifact) []appliedFile {
	var out []appliedFile
	seen := map[string]bool{}
	var visit func(p, ns string)
	visit = func(p, ns string) {
		key := p + "\x00" + ns
		if seen[key] {
			return
		}
		seen[key] = true
		if objs, ok := idx.objects[p]; ok {
			out = append(out, appliedFile{file: p, namespace: ns})
			for _, o := range objs {
				switch {
				case o.isFluxKustomization():
					if dir, err := workspace.Clean(strings.TrimPrefix(o.Spec.Path, "./")); err == nil && o.Spec.Path != "" {
						visit(dir, o.Spec.TargetNamespace)
					}
				case o.isFlux("Kustomization") && o.Spec.SourceRef.Kind == "ExternalArtifact":
					// The source is in the Kustomization's namespace
					// unless the reference names one.
					srcNS := cmp.Or(o.Spec.SourceRef.Namespace, ns, o.Metadata.Namespace)
					for _, dir := range repoPaths(arts, o.Spec.SourceRef.Name, srcNS, o.Spec.Path) {
						visit(dir, o.Spec.TargetNamespace)
					}
				}
			}
			return
		}
		if k, ok := idx.kustomizations[p]; ok {
			if ns == "" {
				ns = k.Namespace // an outer kustomization's namespace wins
			}
			for _, r := range append(append([]string{}, k.Resources...), k.Components...) {
				if strings.Contains(r, "://") || strings.HasPrefix(r, "github.com/") {
					continue // a remote base: not in this repository
				}
				if next, ok := join(p, r); ok {
					visit(next, ns)
				}
			}
			return
		}
		// A folder without a kustomization.yaml: Flux applies every
		// manifest below it, and a subfolder with a kustomization.yaml as
		// that kustomization.
		for _, f := range idx.files {
			if !workspace.Within(p, f) || f == p {
				continue
			}
			visit(idx.shallowestKustomization(p, f), ns)
		}
	}
	visit(root, "")
	return out
}

// shallowestKustomization returns the highest folder strictly below dir,
// on the way to file, that holds a kustomization; file itself when none.
func (idx *index) shallowestKustomization(dir, file string) string {
	rel := file
	if dir != "." {
		rel = strings.TrimPrefix(file, dir+"/")
	}
	parts := strings.Split(rel, "/")
	cur := dir
	for _, part := range parts[:len(parts)-1] {
		cur = path.Join(cur, part)
		if _, ok := idx.kustomizations[cur]; ok {
			return cur
		}
	}
	return file
}

// join resolves a kustomization entry against its folder; false when it
// climbs out of the repository.
func join(dir, entry string) (string, bool) {
	p := path.Join(dir, entry)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}
