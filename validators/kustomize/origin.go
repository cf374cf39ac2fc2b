package kustomize

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/stackgen/aiden/validators/yamlpos"
)

// trackedMetadata are the build metadata options the builds turn on so
// that every object of the output says which file it came from and which
// kustomizations' transformers changed it (`kustomize build` with
// buildMetadata: [originAnnotations, transformerAnnotations]). The
// annotations are taken off the output again unless the kustomization
// asked for them itself.
var trackedMetadata = []string{types.OriginAnnotations, types.TransformerAnnotations}

// withTracking returns a kustomization file's content with the tracking
// build metadata added; content that does not parse is returned as it
// is, for the build to report.
func withTracking(content []byte) []byte {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return content
	}
	m := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "buildMetadata" {
			list = m.Content[i+1]
		}
	}
	if list == nil {
		list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "buildMetadata"}, list)
	}
	if list.Kind != yaml.SequenceNode {
		return content
	}
	for _, opt := range trackedMetadata {
		has := false
		for _, n := range list.Content {
			has = has || n.Value == opt
		}
		if !has {
			list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: opt})
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return content
	}
	return out
}

// objectOrigin is where one object of a build output comes from.
type objectOrigin struct {
	// file is the repository path of the file that declares it, or ""
	// when a generator made it.
	file string
	// generatedBy is the kustomization file whose generator made it.
	generatedBy string
	// patchedBy are the kustomization files whose patches changed it, in
	// the order they were applied.
	patchedBy []string
}

// takeOrigins reads each object's origin and transformations (in the
// output's order) and removes the annotations the kustomization did not
// ask for itself.
func takeOrigins(m resmap.ResMap, dir string, asked []string) ([]objectOrigin, error) {
	out := make([]objectOrigin, 0, m.Size())
	for _, r := range m.Resources() {
		var o objectOrigin
		org, err := r.GetOrigin()
		if err != nil {
			return nil, fmt.Errorf("read origin of %s: %w", r.CurId(), err)
		}
		if org != nil && org.Repo == "" {
			if org.ConfiguredIn != "" {
				o.generatedBy = path.Join(dir, org.ConfiguredIn)
			} else if org.Path != "" {
				o.file = path.Join(dir, org.Path)
			}
		}
		ts, err := r.GetTransformations()
		if err != nil {
			return nil, fmt.Errorf("read transformations of %s: %w", r.CurId(), err)
		}
		for _, t := range ts {
			if t == nil || t.Repo != "" || !strings.Contains(t.ConfiguredBy.Kind, "Patch") {
				continue
			}
			if k := path.Join(dir, t.ConfiguredIn); !slices.Contains(o.patchedBy, k) {
				o.patchedBy = append(o.patchedBy, k)
			}
		}
		out = append(out, o)
	}
	if !slices.Contains(asked, types.OriginAnnotations) {
		if err := m.RemoveOriginAnnotations(); err != nil {
			return nil, fmt.Errorf("remove origin annotations: %w", err)
		}
	}
	if !slices.Contains(asked, types.TransformerAnnotations) {
		if err := m.RemoveTransformerAnnotations(); err != nil {
			return nil, fmt.Errorf("remove transformer annotations: %w", err)
		}
	}
	return out, nil
}

// BuildSource maps places in an overlay's build output back to the files
// that set them: the patch that wrote a field, or else the file that
// declares the object.
type BuildSource struct {
	output  []byte
	origins []objectOrigin
	read    func(p string) ([]byte, bool)

	once sync.Once
	docs []yamlpos.Document // of output, parsed on first use
}

// Source returns what locates findings about the objects of the build
// output, or nil when the build failed.
func (r Result) Source() *BuildSource {
	if r.Manifest == nil || r.source == nil {
		return nil
	}
	return r.source
}

// Locate maps the node at pointer inside the object of the build output
// whose document holds line to the file that set it: the last patch
// (of those that changed the object) that writes the node, else the
// object's own file, at the node or the deepest part of the pointer the
// file holds; a generated object maps to its generator's kustomization.
// ok is false when the object's origin is unknown.
func (s *BuildSource) Locate(line int, pointer, message string) (string, yamlpos.Position, bool) {
	s.once.Do(func() { s.docs = yamlpos.Documents(s.output) })
	docs := s.docs
	i := yamlpos.DocumentAt(docs, line)
	if i < 0 || len(docs) != len(s.origins) {
		return "", yamlpos.Position{}, false
	}
	obj, o := docs[i].Node, s.origins[i]
	kind := yamlpos.Field(obj, "kind")
	segs := yamlpos.PointerSegments(pointer, message)
	later := map[string]int{} // array pointer -> appends the patches looked at made
	for j := len(o.patchedBy) - 1; j >= 0; j-- {
		if file, pos, ok := s.inPatches(o.patchedBy[j], obj, pointer, message, segs, later); ok {
			return file, pos, true
		}
	}
	switch {
	case o.file != "":
		content, ok := s.read(o.file)
		if !ok {
			return "", yamlpos.Position{}, false
		}
		best, bestFound := yamlpos.Position{}, -1
		for _, d := range yamlpos.Documents(content) {
			if yamlpos.Field(d.Node, "kind") != kind {
				continue
			}
			pos, found := yamlpos.At(d.Node, segs)
			if named(d.Node, obj) {
				found += len(segs) + 1 // the same object: prefer it
			}
			if found > bestFound {
				best, bestFound = pos, found
			}
		}
		if bestFound < 0 {
			return "", yamlpos.Position{}, false
		}
		return o.file, best, true
	case o.generatedBy != "":
		content, ok := s.read(o.generatedBy)
		if !ok {
			return "", yamlpos.Position{}, false
		}
		docs := yamlpos.Documents(content)
		if len(docs) == 0 {
			return "", yamlpos.Position{}, false
		}
		pos, _ := yamlpos.At(docs[0].Node, []string{strings.ToLower(kind[:1]) + kind[1:] + "Generator"})
		return o.generatedBy, pos, true
	}
	return "", yamlpos.Position{}, false
}

// named reports whether a source document declares the output object:
// the same name, or one the build prefixed or suffixed.
func named(src, out *yaml.Node) bool {
	a, b := objectName(src), objectName(out)
	return a != "" && strings.Contains(b, a)
}

// objectName is a document's metadata.name, or "".
func objectName(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "metadata" {
			return yamlpos.Field(n.Content[i+1], "name")
		}
	}
	return ""
}

// targetsName reports whether a patch target's name (a regular expression
// kustomize anchors) may select an object the build named name: the
// build may have added a prefix or suffix, so the pattern need only match
// part of it. An empty pattern selects every name.
func targetsName(pattern, name string) bool {
	if pattern == "" || name == "" {
		return true
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return true // kustomize refuses it; the build says so
	}
	return re.MatchString(name)
}

// inPatches looks through the patches of one kustomization file for one
// that writes the node: a strategic merge patch of the object's kind
// that holds every segment, or a JSON 6902 operation on the pointer or a
// field above it. A patch written inline in the kustomization (patch: |)
// is looked through too, and placed in the kustomization file. later
// counts the appends to each array of the patches applied after this
// one (those looked at before, last first); inPatches adds this file's.
func (s *BuildSource) inPatches(kfile string, obj *yaml.Node, pointer, message string, segs []string, later map[string]int) (string, yamlpos.Position, bool) {
	kind := yamlpos.Field(obj, "kind")
	content, ok := s.read(kfile)
	if !ok {
		return "", yamlpos.Position{}, false
	}
	ps := kustomizationPatches(kfile, kind, objectName(obj), content)
	for j := len(ps) - 1; j >= 0; j-- {
		p := ps[j]
		text, ok := []byte(p.inline), true
		if p.at == nil {
			text, ok = s.read(p.file)
		}
		if !ok {
			continue
		}
		docs := yamlpos.Documents(text)
		for _, d := range docs {
			if pos, ok := patchWrites(d.Node, obj, pointer, message, segs, later); ok {
				return p.file, p.place(pos), true
			}
		}
		for _, d := range docs {
			if d.Node.Kind == yaml.SequenceNode {
				for _, op := range d.Node.Content {
					if parent, ok := strings.CutSuffix(yamlpos.Field(op, "path"), "/-"); ok {
						later[parent]++
					}
				}
			}
		}
	}
	return "", yamlpos.Position{}, false
}

// patchSource is one patch a kustomization applies: a file of its own, or
// text inline in the kustomization file at the node at.
type patchSource struct {
	file   string
	inline string
	at     *yaml.Node // the inline patch's scalar; nil for a patch file
	indent int        // the columns a block scalar's lines are indented by
}

// place turns a position in the patch's text into one in its file.
func (p patchSource) place(pos yamlpos.Position) yamlpos.Position {
	switch {
	case p.at == nil:
		return pos
	case p.at.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && p.indent > 0:
		// A block scalar's lines start on the line after its indicator.
		return yamlpos.Position{Line: p.at.Line + pos.Line, Column: pos.Column + p.indent}
	}
	return yamlpos.Position{Line: p.at.Line, Column: p.at.Column}
}

// kustomizationPatches lists, in the order kustomize applies them, the
// patches of the kustomization file kfile (content) that may change an
// object of kind: patchesStrategicMerge entries (files or inline), then
// patches, then patchesJson6902 entries whose target is of that kind or
// names none (by path or inline). Kustomize runs its strategic merge
// patch transformer first and its JSON 6902 one last, after the name,
// label and annotation transformers (api
// internal/target/kusttarget_configplugin.go,
// configureBuiltinTransformers), whatever order the keys are written in.
func kustomizationPatches(kfile, kind, name string, content []byte) []patchSource {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	lines := strings.Split(string(content), "\n")
	dir := path.Dir(kfile)
	inline := func(n *yaml.Node) patchSource {
		p := patchSource{file: kfile, inline: n.Value, at: n}
		for _, l := range lines[min(n.Line, len(lines)):] {
			if t := strings.TrimLeft(l, " "); t != "" {
				p.indent = len(l) - len(t)
				break
			}
		}
		return p
	}
	m := doc.Content[0]
	var out []patchSource
	for _, key := range []string{"patchesStrategicMerge", "patches", "patchesJson6902"} {
		var list *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				list = m.Content[i+1]
			}
		}
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		for _, e := range list.Content {
			if key == "patchesStrategicMerge" {
				if e.Kind != yaml.ScalarNode {
					continue
				}
				if strings.ContainsAny(e.Value, "\n:") {
					out = append(out, inline(e))
				} else {
					out = append(out, patchSource{file: path.Join(dir, e.Value)})
				}
				continue
			}
			if e.Kind != yaml.MappingNode {
				continue
			}
			var file string
			var text *yaml.Node
			targetKind, targetName := "", ""
			for i := 0; i+1 < len(e.Content); i += 2 {
				switch v := e.Content[i+1]; e.Content[i].Value {
				case "path":
					file = v.Value
				case "patch":
					text = v
				case "target":
					targetKind, targetName = yamlpos.Field(v, "kind"), yamlpos.Field(v, "name")
				}
			}
			if targetKind != "" && targetKind != kind || !targetsName(targetName, name) {
				continue
			}
			switch {
			case file != "":
				out = append(out, patchSource{file: path.Join(dir, file)})
			case text != nil && text.Kind == yaml.ScalarNode:
				out = append(out, inline(text))
			}
		}
	}
	return out
}

// patchWrites reports where one patch document writes the node at
// pointer of the build output's object obj: a strategic merge patch of
// the object's kind that holds every segment; the last JSON 6902
// operation on the pointer, else the first on a field above it, else one that writes below it a value
// named as the message quotes it (an appended container "debug" a
// finding about the pod spec names). An operation that appends
// (".../containers/-") writes the item its append made (see opPaths;
// later counts the appends of the patches applied after this one).
func patchWrites(d, obj *yaml.Node, pointer, message string, segs []string, later map[string]int) (yamlpos.Position, bool) {
	if d.Kind == yaml.SequenceNode { // JSON 6902 operations
		paths := opPaths(d.Content, obj, later)
		for i := len(d.Content) - 1; i >= 0; i-- { // the last operation on the pointer
			if paths[i] == pointer {
				return yamlpos.Position{Line: d.Content[i].Line, Column: d.Content[i].Column}, true
			}
		}
		for i, op := range d.Content {
			if p := paths[i]; p != "" && strings.HasPrefix(pointer, p+"/") {
				return yamlpos.Position{Line: op.Line, Column: op.Column}, true
			}
		}
		for i, op := range d.Content {
			if p := paths[i]; p != "" && strings.HasPrefix(p, pointer+"/") && quotesName(message, op) {
				return yamlpos.Position{Line: op.Line, Column: op.Column}, true
			}
		}
		return yamlpos.Position{}, false
	}
	if yamlpos.Field(d, "kind") != yamlpos.Field(obj, "kind") || len(segs) == 0 || identity(segs) {
		return yamlpos.Position{}, false
	}
	pos, found := yamlpos.At(d, segs)
	return pos, found == len(segs)
}

// opPaths returns the path each JSON 6902 operation writes in the output
// object obj: its path, with an append's final "-" the index the item
// has in obj: the one item of obj's array with the name the appended
// value has, else counted back from the end of the array past this
// document's appends and later's (the appends the patches applied after
// it made).
func opPaths(ops []*yaml.Node, obj *yaml.Node, later map[string]int) []string {
	out := make([]string, len(ops))
	appends := map[string]int{} // array pointer -> appends to it
	for i, op := range ops {
		out[i] = yamlpos.Field(op, "path")
		if parent, ok := strings.CutSuffix(out[i], "/-"); ok {
			appends[parent]++
		}
	}
	seen := map[string]int{}
	for i, p := range out {
		parent, ok := strings.CutSuffix(p, "/-")
		if !ok {
			continue
		}
		arr := nodeAt(obj, yamlpos.PointerSegments(parent, ""))
		index := -1
		if arr != nil && arr.Kind == yaml.SequenceNode {
			index = len(arr.Content) - appends[parent] - later[parent] + seen[parent]
			if name := valueName(ops[i]); name != "" {
				// The item it added carries that name, or it is not
				// in this object (a patch of another one).
				index = namedItem(arr, name)
			}
		}
		seen[parent]++
		out[i] = ""
		if index >= 0 {
			out[i] = parent + "/" + strconv.Itoa(index)
		}
	}
	return out
}

// valueName is the name of the value a JSON 6902 operation writes, or "".
func valueName(op *yaml.Node) string {
	for i := 0; i+1 < len(op.Content); i += 2 {
		if op.Content[i].Value == "value" {
			return yamlpos.Field(op.Content[i+1], "name")
		}
	}
	return ""
}

// namedItem is the index of the one item of the sequence arr named name,
// or -1 when name is empty or no item or several have it.
func namedItem(arr *yaml.Node, name string) int {
	at := -1
	if name == "" {
		return at
	}
	for i, item := range arr.Content {
		if yamlpos.Field(item, "name") == name {
			if at >= 0 {
				return -1
			}
			at = i
		}
	}
	return at
}

// nodeAt follows segs (mapping keys, sequence indexes) from n; nil when
// one is missing.
func nodeAt(n *yaml.Node, segs []string) *yaml.Node {
	for _, seg := range segs {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return nil
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}

// quotesName reports whether message quotes the name of the value a JSON
// 6902 operation writes (`container "debug"`).
func quotesName(message string, op *yaml.Node) bool {
	name := valueName(op)
	return name != "" && strings.Contains(message, `"`+name+`"`)
}

// identity reports whether segs name a field a strategic merge patch
// writes to say which object it patches, not to change it.
func identity(segs []string) bool {
	switch {
	case len(segs) == 1:
		return segs[0] == "apiVersion" || segs[0] == "kind"
	case len(segs) == 2 && segs[0] == "metadata":
		return segs[1] == "name" || segs[1] == "namespace"
	}
	return false
}
