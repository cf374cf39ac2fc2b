// Package kustomize builds Kustomize folders held in memory with the
// Kustomize library (krusty), the way `kustomize build` does, and reports
// a broken kustomization (missing resource, patch target not found,
// duplicate names) as a problem naming its kustomization file rather than
// as an error.
package kustomize

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// fileNames are the names kustomize accepts for a kustomization, in the
// order it looks for them.
var fileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomization reports whether p names a kustomization file.
func IsKustomization(p string) bool {
	base := path.Base(p)
	for _, n := range fileNames {
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
}

// Result is the outcome of building one kustomization folder.
type Result struct {
	// Dir is the folder built.
	Dir string
	// Manifest is the build output, a YAML stream; nil when the build
	// failed.
	Manifest []byte
	// Problems say why the build failed: in Dir's kustomization or in one
	// it builds on.
	Problems []Problem
}

// folder is a kustomization folder of the file set.
type folder struct {
	dir, file string
	k         types.Kustomization
	parseErr  error
	refs      []string // kustomization folders it includes (resources, components, bases)
	remote    []string // resources that are URLs
}

// Tree is the kustomization folders of a file set.
type Tree struct {
	files   []workspace.File
	folders map[string]*folder
}

// Load finds the kustomization folders of files.
func Load(files []workspace.File) *Tree {
	t := &Tree{files: files, folders: map[string]*folder{}}
	for _, f := range files {
		if !IsKustomization(f.Path) {
			continue
		}
		dir := path.Dir(f.Path)
		if prev, ok := t.folders[dir]; ok && rank(prev.file) < rank(f.Path) {
			continue
		}
		fo := &folder{dir: dir, file: f.Path}
		fo.parseErr = yaml.Unmarshal(f.Content, &fo.k)
		t.folders[dir] = fo
	}
	for _, fo := range t.folders {
		var entries []string
		entries = append(entries, fo.k.Resources...)
		entries = append(entries, fo.k.Components...)
		entries = append(entries, fo.k.Bases...) //nolint:staticcheck // old kustomizations still use bases
		for _, e := range entries {
			if remote(e) {
				fo.remote = append(fo.remote, e)
				continue
			}
			ref := path.Clean(path.Join(fo.dir, e))
			if _, ok := t.folders[ref]; ok {
				fo.refs = append(fo.refs, ref)
			}
		}
	}
	return t
}

func rank(p string) int {
	for i, n := range fileNames {
		if path.Base(p) == n {
			return i
		}
	}
	return len(fileNames)
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

// Roots returns the folders to build: the kustomizations no other
// kustomization of the set includes (overlays, standalone apps), sorted.
// Bases are built as part of the overlays that use them; components
// cannot be built alone.
func (t *Tree) Roots() []string {
	included := map[string]bool{}
	for _, fo := range t.folders {
		for _, r := range fo.refs {
			included[r] = true
		}
	}
	var out []string
	for _, d := range t.Dirs() {
		if !included[d] && !t.folders[d].component() {
			out = append(out, d)
		}
	}
	return out
}

func (fo *folder) component() bool { return fo.k.Kind == types.ComponentKind }

// Build builds each of dirs. A failed build is a Result with problems; the
// problem names the deepest kustomization that fails to build on its own,
// so a broken base is reported once, at the base, and not again for every
// overlay built on it.
func (t *Tree) Build(dirs []string) []Result {
	fs := filesys.MakeFsInMemory()
	for _, f := range t.files {
		if err := fs.WriteFile("/"+f.Path, f.Content); err != nil {
			return []Result{{Problems: []Problem{{File: f.Path, Message: fmt.Sprintf("load into memory: %v", err)}}}}
		}
	}
	b := &builder{t: t, fs: fs, k: krusty.MakeKustomizer(krusty.MakeDefaultOptions()), done: map[string]*Result{}}
	out := make([]Result, 0, len(dirs))
	for _, d := range dirs {
		out = append(out, *b.build(d))
	}
	return out
}

type builder struct {
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
	if len(fo.remote) > 0 {
		res.Problems = fo.problem(fmt.Sprintf("remote resources are not fetched offline, so this kustomization was not built: %s", strings.Join(fo.remote, ", ")), true)
		return res
	}
	for _, ref := range fo.refs {
		if b.t.folders[ref].component() {
			continue
		}
		if r := b.build(ref); r.Manifest == nil {
			// The included folder's problem was reported at it.
			res.Problems = append(res.Problems, r.Problems...)
			return res
		}
	}
	m, err := b.k.Run(b.fs, "/"+dir)
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
	return res
}

func (fo *folder) problem(msg string, warning bool) []Problem {
	return []Problem{{File: fo.file, Message: msg, Warning: warning}}
}

// clean removes the in-memory root from the paths in a kustomize error.
func clean(msg string) string {
	r := strings.NewReplacer("'/", "'", "\"/", "\"", " /", " ")
	return r.Replace(msg)
}
