package review

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/yamlpos"
)

// Unit kinds: what renders into objects.
const (
	UnitChart     = "chart"     // a Helm chart folder, rendered
	UnitKustomize = "kustomize" // a Kustomize overlay, built
	UnitManifests = "manifests" // a folder of plain manifests
)

// unitKey names a unit: its kind and its folder (repository path); for
// a HelmRelease's render, the HelmRelease's id and the chart's folder.
type unitKey struct{ kind, path, release, chart string }

// object is one rendered Kubernetes object.
type object struct {
	id   string // Kind/namespace/name or Kind/name
	kind string
	body map[string]any
	file string // the rendered file (group path) it came from
	line int    // where its document starts in file
	root string // the group's folder, relative to the repository's top
	src  validators.Source
	text []byte // the rendered file's content
}

// locate returns where a person edits the field at pointer of o: the
// template, the base or patch, or the manifest; relative to the
// repository's top. For a rendered object whose source cannot tell, it
// is the unit's folder without a line.
func (o *object) locate(pointer string) (string, int, int) {
	if o.src != nil {
		if file, pos, ok := o.src.Locate(o.line, pointer, ""); ok {
			return join(o.root, file), pos.Line, pos.Column
		}
		return join(o.root, o.file), 0, 0
	}
	if pos, ok := yamlpos.LocateIn(o.text, o.line, pointer, ""); ok {
		return join(o.root, o.file), pos.Line, pos.Column
	}
	return join(o.root, o.file), o.line, 0
}

// units returns the objects r rendered, by unit; root is the group's
// folder relative to the repository's top, prefixed to every path.
func units(r validators.Rendered, root string) map[unitKey]map[string]*object {
	out := map[unitKey]map[string]*object{}
	add := func(k unitKey, file string, content []byte) {
		m := out[k]
		if m == nil {
			m = map[string]*object{}
			out[k] = m
		}
		for _, o := range parseObjects(content) {
			o.file, o.root, o.src, o.text = file, root, r.Sources[file], content
			m[o.id] = o
		}
	}
	inChart := map[string]bool{}
	for _, c := range r.Charts {
		k := unitKey{kind: UnitChart, path: join(root, c.Root)}
		out[k] = map[string]*object{}
		for _, f := range c.Objects {
			inChart[f.Path] = true
			add(k, f.Path, f.Content)
		}
	}
	isRoot := map[string]bool{}
	for _, d := range r.Kustomizations {
		isRoot[d] = true
		if b, ok := r.Built[d]; ok {
			add(unitKey{kind: UnitKustomize, path: join(root, d)}, d, b)
		}
	}
	for _, f := range r.Objects {
		if inChart[f.Path] || isRoot[f.Path] {
			continue
		}
		add(unitKey{kind: UnitManifests, path: join(root, path.Dir(f.Path))}, f.Path, f.Content)
	}
	return out
}

func join(root, p string) string {
	if root == "" || root == "." {
		return p
	}
	return path.Join(root, p)
}

// parseObjects reads the Kubernetes objects of a YAML stream; documents
// without a kind are left out, a List's items are objects.
func parseObjects(content []byte) []*object {
	var out []*object
	for _, d := range yamlpos.Documents(content) {
		var m map[string]any
		if err := d.Node.Decode(&m); err != nil || m == nil {
			continue
		}
		if items, ok := m["items"].([]any); ok && strings.HasSuffix(str(m, "kind"), "List") {
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					if o := newObject(im, d.Line); o != nil {
						out = append(out, o)
					}
				}
			}
			continue
		}
		if o := newObject(m, d.Line); o != nil {
			out = append(out, o)
		}
	}
	return out
}

func newObject(m map[string]any, line int) *object {
	kind := str(m, "kind")
	if kind == "" {
		return nil
	}
	meta, _ := m["metadata"].(map[string]any)
	name, ns := str(meta, "name"), str(meta, "namespace")
	id := kind + "/" + name
	if ns != "" {
		id = kind + "/" + ns + "/" + name
	}
	return &object{id: id, kind: kind, body: m, line: line}
}

// str returns m[key] as a string ("" when absent or not a scalar).
func str(m map[string]any, key string) string {
	if m == nil {
		return ""
	}
	switch v := m[key].(type) {
	case string:
		return v
	case nil:
		return ""
	case map[string]any, []any:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// dig follows keys through nested maps.
func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// environment names the environment folder a unit's path lies in:
// clusters/<name> (or environments/, envs/), an overlays/<name> folder,
// else the path's top folder.
func environment(p string) string {
	parts := strings.Split(p, "/")
	for i := 0; i+1 < len(parts); i++ {
		switch parts[i] {
		case "clusters", "environments", "envs", "overlays":
			return strings.Join(parts[:i+2], "/")
		}
	}
	if len(parts) > 1 {
		return parts[0]
	}
	return "."
}

func sortedUnits(m map[unitKey]bool) []unitKey {
	keys := make([]unitKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		if keys[i].kind != keys[j].kind {
			return keys[i].kind < keys[j].kind
		}
		return keys[i].release < keys[j].release
	})
	return keys
}
