// Package yamlpos finds where in a YAML (or JSON) file the node a JSON
// pointer names is written, so that a finding about a field points at its
// line and column rather than at the object's first line.
package yamlpos

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/internal/lazyre"
)

// Position is a place in a file: 1-based line and column.
type Position struct {
	Line, Column int
}

// namedProperty finds the property a schema error names rather than
// points at: "additional properties 'imagez' not allowed" is reported at
// the object holding imagez, but is about imagez.
var namedProperty = lazyre.New(`additional ?[pP]roperties '((?:[^'\\]|\\.)*)'`)

// Locate returns the position, within one YAML or JSON document, of the
// node a JSON pointer ("/spec/template/spec/containers/0/image") leads
// to: the key of a mapping entry or the start of a sequence item. When
// the pointer leads past what the document holds (a missing field), it
// is the deepest node that exists; when message names an additional
// property, it is that property's key. ok is false when doc does not
// parse. Lines count from the first line of doc.
func Locate(doc []byte, pointer, message string) (pos Position, ok bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil || len(root.Content) == 0 {
		return Position{}, false
	}
	return walk(root.Content[0], PointerSegments(pointer, message)), true
}

// walk follows segs from an object's node.
func walk(node *yaml.Node, segs []string) Position {
	at := node
	if node.Kind == yaml.MappingNode && len(node.Content) > 0 {
		at = node.Content[0] // the object itself: its first key
	}
	for _, seg := range segs {
		for node.Kind == yaml.AliasNode && node.Alias != nil {
			node = node.Alias
		}
		next, key := child(node, seg)
		if next == nil {
			break
		}
		node, at = next, key
	}
	return Position{Line: at.Line, Column: at.Column}
}

// Document is one document of a YAML stream.
type Document struct {
	// Line is the 1-based line its content starts on.
	Line int
	// Start is the 1-based line its text starts on: the "---" that opens
	// it (1 for a first document without one), so that the comments above
	// its content (Helm's "# Source:" line) are its own.
	Start int
	// Node is its root node (a mapping for an object).
	Node *yaml.Node
}

// Documents parses a YAML stream into its documents, up to the first
// one that does not parse; empty documents are left out.
func Documents(content []byte) []Document {
	var out []Document
	seps := separatorLines(content)
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) || err != nil {
			return out
		}
		if len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
			continue
		}
		d := Document{Line: n.Content[0].Line, Start: 1, Node: n.Content[0]}
		for _, s := range seps {
			if s <= d.Line {
				d.Start = s
			}
		}
		out = append(out, d)
	}
}

// separatorLines returns the lines of content that start a document
// ("---", alone or followed by a space) or end one ("...").
func separatorLines(content []byte) []int {
	var out []int
	for i, l := range bytes.Split(content, []byte("\n")) {
		l = bytes.TrimRight(l, " \t\r")
		if bytes.Equal(l, []byte("---")) || bytes.HasPrefix(l, []byte("--- ")) || bytes.HasPrefix(l, []byte("---\t")) || bytes.Equal(l, []byte("...")) {
			out = append(out, i+1)
		}
	}
	return out
}

// DocumentAt returns the index of the document of docs that holds line:
// the last one whose text (its leading comments included) starts at or
// before it (the first for a line above every document), or -1 when
// there is none.
func DocumentAt(docs []Document, line int) int {
	if len(docs) == 0 {
		return -1
	}
	i := 0
	for j, d := range docs {
		start := d.Start
		if start == 0 { // a Document built by hand
			start = d.Line
		}
		if start <= line {
			i = j
		}
	}
	return i
}

// LocateIn returns the position in a whole file (a YAML stream) of the
// node a pointer leads to inside the object whose document holds line
// (its first line, or any other). ok is false when no document parses
// there.
func LocateIn(content []byte, line int, pointer, message string) (Position, bool) {
	docs := Documents(content)
	i := DocumentAt(docs, line)
	if i < 0 {
		return Position{}, false
	}
	return walk(docs[i].Node, PointerSegments(pointer, message)), true
}

// Field returns a top-level scalar of an object's node ("kind").
func Field(obj *yaml.Node, key string) string {
	if v, _ := child(obj, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// Has reports whether the node at every segment exists in obj.
func Has(obj *yaml.Node, segs []string) bool {
	n := obj
	for _, s := range segs {
		if n = valueAt(n, s); n == nil {
			return false
		}
	}
	return true
}

// At returns the position the segments lead to in obj, and how many of
// them were found.
func At(obj *yaml.Node, segs []string) (Position, int) {
	n, at, found := obj, obj, 0
	if obj.Kind == yaml.MappingNode && len(obj.Content) > 0 {
		at = obj.Content[0]
	}
	for _, s := range segs {
		next, key := child(n, s)
		if next == nil {
			break
		}
		n, at = next, key
		found++
	}
	return Position{Line: at.Line, Column: at.Column}, found
}

func valueAt(n *yaml.Node, seg string) *yaml.Node {
	v, _ := child(n, seg)
	return v
}

// child returns the value at seg of a mapping or sequence node, and the
// node a position names it by (the key, or the item).
func child(n *yaml.Node, seg string) (value, key *yaml.Node) {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1], n.Content[i]
			}
		}
	case yaml.SequenceNode:
		i, err := strconv.Atoi(seg)
		if err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], n.Content[i]
		}
	}
	return nil, nil
}

// PointerSegments cuts a JSON pointer into its unescaped segments, adding
// the property a message names ("additional properties 'x' not
// allowed"), which the error is about though it points at its parent.
func PointerSegments(pointer, message string) []string {
	var segs []string
	if p := strings.TrimPrefix(pointer, "/"); p != "" {
		for _, s := range strings.Split(p, "/") {
			segs = append(segs, strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~"))
		}
	}
	if m := namedProperty.FindStringSubmatch(message); m != nil {
		segs = append(segs, m[1])
	}
	return segs
}

// Node returns where the node the segments lead to in obj is written: a
// scalar's value (a name, a label's value: what a finding about it is
// about), or the key of a mapping or sequence (labels:). Where a segment
// is missing, or leads to a node added after parsing (which has no line),
// it is the key of the deepest node written in the source; found says
// whether every segment was.
func Node(obj *yaml.Node, segs []string) (pos Position, found bool) {
	n, at := obj, obj
	if obj.Kind == yaml.MappingNode && len(obj.Content) > 0 {
		at = obj.Content[0]
	}
	for _, s := range segs {
		next, key := child(n, s)
		if next == nil || key.Line == 0 {
			return Position{Line: at.Line, Column: at.Column}, false
		}
		n, at = next, key
	}
	if n.Kind == yaml.ScalarNode && n.Line > 0 && n != at {
		at = n
	}
	return Position{Line: at.Line, Column: at.Column}, true
}
