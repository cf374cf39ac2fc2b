// Package kustomize builds Kustomize folders held in memory with the
// Kustomize library (krusty), the way `kustomize build` does, and reports
// a broken kustomization (missing resource, patch target not found,
// duplicate names) as a problem naming its kustomization file rather than
// as an error.
package kustomize

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/internal/rendercount"
	"github.com/stackgen/aiden/workspace"
)

// FileNames are the names kustomize accepts for a kustomization, in the
// order it looks for them. Every package that looks for a kustomization
// reads them here.
var FileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomization reports whether p names a kustomization file.
func IsKustomization(p string) bool {
	base := path.Base(p)
	for _, n := range FileNames {
		if base == n {
			return true
		}
	}
	return false
}

// Problem is one thing wrong with a kustomization.
type Problem struct {
	// File is the kustomization file the problem is in.
	File string
	// Message says what kustomize reported, with paths as given.
	Message string
	// Warning is set for what does not stop a build elsewhere, such as a
	// remote resource that cannot be fetched offline.
	Warning bool
	// Line and Column (1-based) are where in File the entry the problem
	// names is written: a missing resource's item of resources:, the
	// patches: item whose target is not there (see place); 0 when the
	// message names nothing the file holds.
	Line, Column int
}

// Result is the outcome of building one kustomization folder.
type Result struct {
	// Dir is the folder built.
	Dir string
	// Manifest is the build output, a YAML stream; nil when the build
	// failed.
	Manifest []byte
	// Problems say why the build failed: in Dir's kustomization or in one
	// it builds on; and, with every result, the files no build could
	// read (a name the in-memory file system refuses).
	Problems []Problem

	source *BuildSource // where the objects of Manifest come from (origin.go)
}

// folder is a kustomization folder of the file set.
type folder struct {
	dir, file string
	k         types.Kustomization
	parseErr  error
	repo      bool     // from the repository's other files: read by builds, never a root
	refs      []string // kustomization folders it includes (resources, components, bases)
	remote    []string // resources that are URLs
	escapes   []string // entries that lead above the repository root
	content   []byte   // the kustomization file, to place problems in
	read      func(p string) ([]byte, bool)
}

// Tree is the kustomization folders of a file set.
type Tree struct {
	files   []workspace.File // the repository's files first, then those checked
	folders map[string]*folder
}

// Load finds the kustomization folders of files. Paths are relative to
// the repository root. repo holds the repository's other files, which
// the kustomizations of files may refer to (a shared base, a Component):
// builds read them, but they are never built as roots, and a file of
// files replaces the repo file at the same path.
func Load(files, repo []workspace.File) *Tree {
	t := &Tree{folders: map[string]*folder{}}
	own := make(map[string]bool, len(files))
	for _, f := range files {
		own[f.Path] = true
	}
	for _, f := range repo {
		if !own[f.Path] {
			t.files = append(t.files, f)
		}
	}
	t.files = append(t.files, files...)
	for i, f := range t.files {
		if !IsKustomization(f.Path) {
			continue
		}
		dir := path.Dir(f.Path)
		if prev, ok := t.folders[dir]; ok && rank(prev.file) < rank(f.Path) {
			continue
		}
		fo := &folder{dir: dir, file: f.Path, repo: i < len(t.files)-len(files), content: f.Content, read: t.read}
		fo.parseErr = yaml.Unmarshal(f.Content, &fo.k)
		t.folders[dir] = fo
	}
	for _, fo := range t.folders {
		for _, e := range localEntries(fo.k) {
			if remote(e) {
				fo.remote = append(fo.remote, e)
				continue
			}
			ref := path.Join(fo.dir, e)
			if escapes(ref) {
				fo.escapes = append(fo.escapes, e)
				continue
			}
			if _, ok := t.folders[ref]; ok {
				fo.refs = append(fo.refs, ref)
			}
		}
	}
	return t
}

// localEntries returns what a kustomization reads besides itself, as
// written: resources, components, bases, CRDs, patch files, generator
// sources, replacement files. Inline patches are left out.
func localEntries(k types.Kustomization) []string {
	var out []string
	out = append(out, k.Resources...)
	out = append(out, k.Components...)
	//lint:ignore SA1019 old kustomizations still use bases
	out = append(out, k.Bases...)
	out = append(out, k.Crds...)
	for _, p := range k.Patches {
		out = append(out, p.Path)
	}
	//lint:ignore SA1019 still read by kustomize
	for _, p := range k.PatchesJson6902 {
		out = append(out, p.Path)
	}
	//lint:ignore SA1019 still read by kustomize
	for _, p := range k.PatchesStrategicMerge {
		if s := string(p); !strings.ContainsAny(s, "\n:") {
			out = append(out, s)
		}
	}
	for _, r := range k.Replacements {
		out = append(out, r.Path)
	}
	sources := func(a types.GeneratorArgs) {
		for _, f := range a.FileSources {
			if _, p, ok := strings.Cut(f, "="); ok {
				f = p
			}
			out = append(out, f)
		}
		out = append(out, a.EnvSources...)
		out = append(out, a.EnvSource)
	}
	for _, g := range k.ConfigMapGenerator {
		sources(g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		sources(g.GeneratorArgs)
	}
	var kept []string
	for _, e := range out {
		if e = strings.TrimSpace(e); e != "" {
			kept = append(kept, e)
		}
	}
	return kept
}

// escapes reports whether a joined, clean path leads above the root.
func escapes(p string) bool {
	return p == ".." || strings.HasPrefix(p, "../")
}

// Refs returns the repository paths (files or folders) that the
// kustomizations among files read, sorted and without duplicates: what a
// caller holding only some of a repository's files must add for them to
// build. URLs and paths that lead above the repository root are left out;
// Build reports those.
func Refs(files []workspace.File) []string {
	return refs(files, localEntries)
}

// ComponentRefs is Refs for the components: lists alone, which is what
// a caller needs to learn which Components a repository's overlays use
// without reading everything else they build from.
func ComponentRefs(files []workspace.File) []string {
	return refs(files, func(k types.Kustomization) []string { return k.Components })
}

func refs(files []workspace.File, entries func(types.Kustomization) []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		if !IsKustomization(f.Path) {
			continue
		}
		var k types.Kustomization
		if yaml.Unmarshal(f.Content, &k) != nil {
			continue
		}
		dir := path.Dir(f.Path)
		for _, e := range entries(k) {
			ref := path.Join(dir, e)
			if remote(e) || escapes(ref) || seen[ref] {
				continue
			}
			seen[ref] = true
			out = append(out, ref)
		}
	}
	sort.Strings(out)
	return out
}

// Components returns the folders whose kustomization is a Component
// (kind: Component), sorted.
func (t *Tree) Components() []string {
	var out []string
	for _, d := range t.Dirs() {
		if t.folders[d].component() {
			out = append(out, d)
		}
	}
	return out
}

// ComponentsOf returns the Components that dir's kustomization lists,
// as repository paths, in its order.
func (t *Tree) ComponentsOf(dir string) []string {
	fo := t.folders[dir]
	if fo == nil {
		return nil
	}
	var out []string
	for _, e := range fo.k.Components {
		ref := path.Join(fo.dir, e)
		if c := t.folders[ref]; c != nil && c.component() {
			out = append(out, ref)
		}
	}
	return out
}

func rank(p string) int {
	for i, n := range FileNames {
		if path.Base(p) == n {
			return i
		}
	}
	return len(FileNames)
}

// remote reports whether a resource entry is a URL or a git repository,
// which kustomize would fetch over the network.
func remote(e string) bool {
	return strings.Contains(e, "://") || strings.HasPrefix(e, "github.com/") || strings.HasPrefix(e, "git@") || strings.Contains(e, "?ref=")
}

// Dirs returns every kustomization folder, sorted.
func (t *Tree) Dirs() []string {
	out := make([]string, 0, len(t.folders))
	for d := range t.folders {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Roots returns the folders to build: the kustomizations of the checked
// files that no other of them includes (overlays, standalone apps),
// sorted. Bases are built as part of the overlays that use them;
// components cannot be built alone; the repository's other folders are
// only read.
func (t *Tree) Roots() []string {
	included := map[string]bool{}
	for _, fo := range t.folders {
		if fo.repo {
			continue
		}
		for _, r := range fo.refs {
			included[r] = true
		}
	}
	var out []string
	for _, d := range t.Dirs() {
		if fo := t.folders[d]; !included[d] && !fo.component() && !fo.repo {
			out = append(out, d)
		}
	}
	return out
}

func (fo *folder) component() bool { return fo.k.Kind == types.ComponentKind }

// read returns the content of a file of the tree.
func (t *Tree) read(p string) ([]byte, bool) {
	for i := len(t.files) - 1; i >= 0; i-- {
		if t.files[i].Path == p {
			return t.files[i].Content, true
		}
	}
	return nil, false
}

// Build builds each of dirs. A failed build is a Result with problems; the
// problem names the deepest kustomization that fails to build on its own,
// so a broken base is reported once, at the base, and not again for every
// overlay built on it.
func (t *Tree) Build(dirs []string) []Result {
	return t.BuildContext(context.Background(), dirs)
}

// BuildContext is Build on behalf of ctx: each folder kustomize runs on is
// counted by a counter ctx carries (internal/rendercount), and each is
// run at most once however many of dirs include it.
func (t *Tree) BuildContext(ctx context.Context, dirs []string) []Result {
	fs := filesys.MakeFsInMemory()
	// A file the in-memory file system refuses (a name with a space) is
	// left out of every build and reported with each result, so that
	// whoever reads any of them sees it (the builds that need the file
	// fail on its absence).
	var unloaded []Problem
	for _, f := range t.files {
		content := f.Content
		if IsKustomization(f.Path) {
			content = withTracking(content)
		}
		if err := fs.WriteFile("/"+f.Path, content); err != nil {
			unloaded = append(unloaded, Problem{File: f.Path, Message: fmt.Sprintf("load into memory, so no build reads it: %v", err)})
		}
	}
	b := &builder{ctx: ctx, t: t, fs: fs, k: krusty.MakeKustomizer(krusty.MakeDefaultOptions()), done: map[string]*Result{}}
	out := make([]Result, 0, len(dirs))
	for _, d := range dirs {
		r := *b.build(d)
		r.Problems = append(append([]Problem{}, unloaded...), r.Problems...)
		out = append(out, r)
	}
	return out
}

type builder struct {
	ctx  context.Context
	t    *Tree
	fs   filesys.FileSystem
	k    *krusty.Kustomizer
	done map[string]*Result
}

// build builds dir after the kustomizations it includes, memoized.
func (b *builder) build(dir string) *Result {
	if r, ok := b.done[dir]; ok {
		return r
	}
	res := &Result{Dir: dir}
	b.done[dir] = res
	fo := b.t.folders[dir]
	if fo == nil {
		res.Problems = []Problem{{File: dir, Message: "no kustomization.yaml in " + dir}}
		return res
	}
	if fo.parseErr != nil {
		res.Problems = fo.problem(fmt.Sprintf("invalid kustomization: %v", fo.parseErr), false)
		return res
	}
	if len(fo.escapes) > 0 {
		res.Problems = fo.problem(fmt.Sprintf("%s %s outside the repository root, so this kustomization was not built: aiden reads nothing above the root",
			strings.Join(fo.escapes, ", "), leadsOrLead(len(fo.escapes))), false)
		return res
	}
	if len(fo.remote) > 0 {
		res.Problems = fo.problem(fmt.Sprintf("remote resources are not fetched offline, so this kustomization was not built: %s", strings.Join(fo.remote, ", ")), true)
		return res
	}
	for _, ref := range fo.refs {
		build := b.build
		if b.t.folders[ref].component() {
			build = b.component
		}
		if r := build(ref); r.Manifest == nil {
			// The included folder's problem was reported at it.
			res.Problems = append(res.Problems, r.Problems...)
			return res
		}
	}
	rendercount.Add(b.ctx, "kustomize "+dir)
	m, err := b.k.Run(b.fs, "/"+dir)
	if err != nil {
		res.Problems = fo.problem(clean(err.Error()), false)
		return res
	}
	origins, err := takeOrigins(m, dir, fo.k.BuildMetadata)
	if err != nil {
		res.Problems = fo.problem(clean(err.Error()), false)
		return res
	}
	out, err := m.AsYaml()
	if err != nil {
		res.Problems = fo.problem(clean(err.Error()), false)
		return res
	}
	if out == nil {
		out = []byte{}
	}
	res.Manifest = out
	res.source = &BuildSource{output: out, origins: origins, read: b.t.read}
	return res
}

// component builds the Component at dir on its own, applied to nothing,
// memoized: what is broken in the component itself (a missing resource
// or patch file, an invalid file) is then reported at its file, not at
// every overlay that uses it. A patch that fails only on an overlay's
// objects is reported at the overlay.
func (b *builder) component(dir string) *Result {
	if r, ok := b.done[dir]; ok {
		return r
	}
	res := &Result{Dir: dir}
	b.done[dir] = res
	fo := b.t.folders[dir]
	switch {
	case fo.parseErr != nil:
		res.Problems = fo.problem(fmt.Sprintf("invalid kustomization: %v", fo.parseErr), false)
		return res
	case len(fo.escapes) > 0:
		res.Problems = fo.problem(fmt.Sprintf("%s %s outside the repository root, so this component was not built: aiden reads nothing above the root",
			strings.Join(fo.escapes, ", "), leadsOrLead(len(fo.escapes))), false)
		return res
	case len(fo.remote) > 0:
		res.Manifest = []byte{} // the overlays report it
		return res
	}
	scratch := "/.aiden-component"
	for i := 1; b.fs.Exists(scratch); i++ {
		scratch = fmt.Sprintf("/.aiden-component-%d", i)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncomponents:\n  - ../" + dir + "\n"
	if err := b.fs.WriteFile(scratch+"/kustomization.yaml", []byte(k)); err != nil {
		res.Problems = fo.problem(fmt.Sprintf("load into memory: %v", err), false)
		return res
	}
	defer b.fs.RemoveAll(scratch)
	rendercount.Add(b.ctx, "kustomize component "+dir)
	if _, err := b.k.Run(b.fs, scratch); err != nil {
		res.Problems = fo.problem(clean(strings.ReplaceAll(err.Error(), scratch+"/", "")), false)
		return res
	}
	res.Manifest = []byte{}
	return res
}

func leadsOrLead(n int) string {
	if n == 1 {
		return "leads"
	}
	return "lead"
}

// problem is a problem of the kustomization, placed at the entry it names.
func (fo *folder) problem(msg string, warning bool) []Problem {
	p := Problem{File: fo.file, Message: msg, Warning: warning}
	if pos, ok := place(fo.content, fo.dir, msg, fo.read); ok {
		p.Line, p.Column = pos.Line, pos.Column
	}
	return []Problem{p}
}

// clean removes the in-memory root from the paths in a kustomize error.
func clean(msg string) string {
	r := strings.NewReplacer("'/", "'", "\"/", "\"", " /", " ")
	return r.Replace(msg)
}
