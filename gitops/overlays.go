package gitops

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// Patch is a patch an overlay applies to one object of an app: the file
// holding it and the object it targets.
type Patch struct {
	// Path is the patch file's repository path, in the overlay's folder.
	Path string
	// Kind and Name select the object patched.
	Kind, Name string
}

// RegisterOverlay returns the kustomization of the environment overlay in
// folder overlay (found among ws) with the app folder app added to its
// resources (as a path relative to the overlay, ../base/redis) and, when
// patch is not nil, the patch added to its patches with a target naming
// its object. Any patch the overlay already has whose target selects by
// kind alone, and so would patch the new app's object too, is narrowed to
// the object its file names (name: podinfo). Only the lines of those
// lists change: the rest of the file keeps its order, layout and
// comments. It returns false, and no file, when the overlay has no
// kustomization or already lists the app and the patch.
func RegisterOverlay(ws []workspace.File, overlay, app string, patch *Patch) (workspace.File, bool, error) {
	var file workspace.File
	found := false
	for _, name := range kustomize.FileNames {
		for _, f := range ws {
			if !found && f.Path == path.Join(overlay, name) {
				file, found = f, true
			}
		}
	}
	if !found {
		return workspace.File{}, false, nil
	}
	entry, err := relative(overlay, app)
	if err != nil {
		return workspace.File{}, false, err
	}
	out, changed, err := addResource(file.Content, entry)
	if err != nil {
		return workspace.File{}, false, fmt.Errorf("register %s in %s: %w", app, file.Path, err)
	}
	if patch != nil {
		var narrowed, added bool
		if out, narrowed, err = narrowPatches(out, overlay, ws, patch.Kind); err != nil {
			return workspace.File{}, false, fmt.Errorf("register %s in %s: %w", app, file.Path, err)
		}
		rel := strings.TrimPrefix(patch.Path, overlay+"/")
		if out, added, err = addPatch(out, rel, patch.Kind, patch.Name); err != nil {
			return workspace.File{}, false, fmt.Errorf("register %s in %s: %w", app, file.Path, err)
		}
		changed = changed || narrowed || added
	}
	if !changed {
		return workspace.File{}, false, nil
	}
	return workspace.File{Path: file.Path, Content: out}, true, nil
}

// relative returns the path of to relative to the folder from.
func relative(from, to string) (string, error) {
	f, t := strings.Split(path.Clean(from), "/"), strings.Split(path.Clean(to), "/")
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	if i == len(f) && i == len(t) {
		return "", fmt.Errorf("the app folder %s is the overlay itself", to)
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	return path.Join(append(parts, t[i:]...)...), nil
}

// kustomizationRoot parses content and returns its top mapping and lines.
func kustomizationRoot(content []byte) (*yaml.Node, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("not a kustomization: the file is not a mapping")
	}
	lines := strings.SplitAfter(string(content), "\n")
	if last := lines[len(lines)-1]; last == "" {
		lines = lines[:len(lines)-1]
	} else if !strings.HasSuffix(last, "\n") {
		lines[len(lines)-1] += "\n"
	}
	return doc.Content[0], lines, nil
}

// value returns the key and value nodes of key in the mapping m.
func value(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// addPatch adds a patch entry (path, target kind and name) to the
// patches of a kustomization, unless one with that path is there.
func addPatch(content []byte, rel, kind, name string) ([]byte, bool, error) {
	root, lines, err := kustomizationRoot(content)
	if err != nil {
		return nil, false, err
	}
	key, list := value(root, "patches")
	if key == nil {
		out := strings.Join(lines, "") + "patches:\n" + patchEntry("  ", rel, kind, name)
		return []byte(out), true, nil
	}
	if list.Kind != yaml.SequenceNode || list.Style&yaml.FlowStyle != 0 || len(list.Content) == 0 {
		return nil, false, fmt.Errorf("patches at line %d: write it as a block list to have aiden add to it", key.Line)
	}
	for _, item := range list.Content {
		if _, p := value(item, "path"); p != nil && same(p.Value, rel) {
			return content, false, nil
		}
	}
	// The new entry goes after the list's last line: the line before the
	// next top-level key, blank lines and comments aside.
	end := len(lines)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i] == key && i+2 < len(root.Content) {
			end = root.Content[i+2].Line - 1
		}
	}
	for end > list.Line && isBlankOrComment(lines[end-1]) {
		end--
	}
	first := list.Content[0]
	indent := strings.Repeat(" ", max(first.Column-3, 0))
	entry := patchEntry(indent, rel, kind, name)
	out := append(append(append([]string{}, lines[:end]...), entry), lines[end:]...)
	return []byte(strings.Join(out, "")), true, nil
}

func patchEntry(indent, rel, kind, name string) string {
	return fmt.Sprintf("%s- path: %s\n%s  target:\n%s    kind: %s\n%s    name: %s\n", indent, rel, indent, indent, kind, indent, name)
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

// narrowPatches adds the name of the object its file patches to each
// patch of the kustomization in dir whose target selects objects of kind
// by kind alone, so that it keeps patching that object only.
func narrowPatches(content []byte, dir string, ws []workspace.File, kind string) ([]byte, bool, error) {
	root, lines, err := kustomizationRoot(content)
	if err != nil {
		return nil, false, err
	}
	_, list := value(root, "patches")
	if list == nil || list.Kind != yaml.SequenceNode {
		return content, false, nil
	}
	type insert struct {
		after int // line number (1-based) after which to insert
		text  string
	}
	var ins []insert
	for _, item := range list.Content {
		_, p := value(item, "path")
		_, target := value(item, "target")
		if p == nil || target == nil || target.Kind != yaml.MappingNode || target.Style&yaml.FlowStyle != 0 {
			continue
		}
		kk, k := value(target, "kind")
		if _, n := value(target, "name"); n != nil || k == nil || k.Value != kind {
			continue
		}
		if _, ls := value(target, "labelSelector"); ls != nil {
			continue
		}
		name := patchedName(ws, path.Join(dir, p.Value), kind)
		if name == "" {
			continue
		}
		ins = append(ins, insert{after: k.Line, text: strings.Repeat(" ", kk.Column-1) + "name: " + name + "\n"})
	}
	if len(ins) == 0 {
		return content, false, nil
	}
	var out []string
	next := 0
	for i, l := range lines {
		out = append(out, l)
		for next < len(ins) && ins[next].after == i+1 {
			out = append(out, ins[next].text)
			next++
		}
	}
	return []byte(strings.Join(out, "")), true, nil
}

// patchedName returns the name of the object of kind in the patch file p.
func patchedName(ws []workspace.File, p, kind string) string {
	for _, f := range ws {
		if f.Path != p {
			continue
		}
		for _, o := range objects(f) {
			if o.Kind == kind && o.Metadata.Name != "" {
				return o.Metadata.Name
			}
		}
	}
	return ""
}
