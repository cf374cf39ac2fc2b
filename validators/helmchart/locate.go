package helmchart

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/internal/lazyre"
	"github.com/stackgen/aiden/validators/yamlpos"
)

// TemplateSource maps a place in a rendered template back to the
// template that produced it, so that a finding about a rendered object
// points at the line a person edits.
type TemplateSource struct {
	// File is the template's path as findings name it (relative to the
	// repository).
	File string
	// Template is the template's text; Rendered is what it rendered to.
	Template, Rendered []byte
}

// Locate maps the node at pointer inside the rendered object whose
// document holds line to a position in the template. The template is not
// YAML, so the mapping reads it as text: the object is the template
// document that renders it (by position, or by its literal kind), and
// each field of the pointer is looked for as a key indented below the
// previous one. Where a field is written by something other than a
// literal key (toYaml, include, a range over values), the position is the
// deepest key found, which is the line that writes it; where nothing is
// found, it is the object's first line in the template. ok is false only
// when line is in no rendered object.
func (t TemplateSource) Locate(line int, pointer, message string) (file string, pos yamlpos.Position, ok bool) {
	if bytes.Equal(t.Template, t.Rendered) {
		// A file Helm does not render (crds/) is its own source.
		p, ok := yamlpos.LocateIn(t.Rendered, line, pointer, message)
		return t.File, p, ok
	}
	docs := yamlpos.Documents(t.Rendered)
	i := yamlpos.DocumentAt(docs, line)
	if i < 0 {
		return "", yamlpos.Position{}, false
	}
	tdocs := templateDocs(t.Template)
	if len(tdocs) == 0 {
		return "", yamlpos.Position{}, false
	}
	var td tdoc
	switch kind := yamlpos.Field(docs[i].Node, "kind"); {
	case len(tdocs) == len(docs):
		td = tdocs[i]
	default:
		td = tdocs[0]
		for _, d := range tdocs {
			if kind != "" && d.kind == kind {
				td = d
				break
			}
		}
	}
	segs := yamlpos.PointerSegments(pointer, message)
	return t.File, td.locate(segs, itemNames(docs[i].Node, segs)), true
}

// itemNames returns, for each segment that is a sequence index, the name
// of that item in the rendered object (its name field), which finds the
// item in the template when items are written conditionally; "" where
// there is none.
func itemNames(obj *yaml.Node, segs []string) []string {
	names := make([]string, len(segs))
	n := obj
	for i, s := range segs {
		if n == nil {
			break
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == s {
					next = n.Content[j+1]
				}
			}
		case yaml.SequenceNode:
			if k, err := strconv.Atoi(s); err == nil && k >= 0 && k < len(n.Content) {
				next = n.Content[k]
				names[i] = yamlpos.Field(next, "name")
			}
		}
		n = next
	}
	return names
}

// tline is one line of a template that holds a YAML key.
type tline struct {
	n      int    // 1-based line number
	indent int    // column of the key, 0-based
	key    string // the key, unquoted
	value  string // what follows the key on the line, unquoted
	dash   int    // column of "- " before the key, or -1
}

// tdoc is one document of a template: the lines between "---" lines.
type tdoc struct {
	first yamlpos.Position // the first key line
	kind  string           // the literal top-level kind, if any
	lines []tline
}

var keyLine = lazyre.New(`^(\s*)(?:(-)\s+)?("[^"]*"|'[^']*'|[A-Za-z0-9_.\-/$]+)\s*:(?:\s|$)`)

// templateDocs cuts a template into documents and reads the key of
// every line that has one; template directives, comments and values
// are skipped.
func templateDocs(tpl []byte) []tdoc {
	var docs []tdoc
	cur := tdoc{}
	flush := func() {
		if len(cur.lines) > 0 {
			docs = append(docs, cur)
		}
		cur = tdoc{}
	}
	for i, raw := range strings.Split(string(tpl), "\n") {
		if strings.HasPrefix(raw, "---") {
			flush()
			continue
		}
		trim := strings.TrimSpace(raw)
		if trim == "" || strings.HasPrefix(trim, "#") || strings.HasPrefix(trim, "{{") {
			continue
		}
		m := keyLine.Regexp().FindStringSubmatchIndex(raw)
		if m == nil {
			continue
		}
		key := strings.Trim(raw[m[6]:m[7]], `"'`)
		l := tline{n: i + 1, indent: m[6], key: key, dash: -1,
			value: strings.Trim(strings.TrimSpace(raw[m[1]:]), `"'`)}
		if m[4] >= 0 {
			l.dash = m[4]
		}
		if len(cur.lines) == 0 {
			cur.first = yamlpos.Position{Line: l.n, Column: l.indent + 1}
		}
		if l.indent == 0 && key == "kind" {
			cur.kind = strings.Trim(strings.TrimSpace(raw[m[1]:]), `"'`)
		}
		cur.lines = append(cur.lines, l)
	}
	flush()
	return docs
}

// locate follows the pointer's segments through the document's keys.
// names[k], when set, is the name of the rendered item segs[k] indexes.
func (d tdoc) locate(segs, names []string) yamlpos.Position {
	pos := d.first
	parent := -1  // column of the current node: its key, or its item's dash
	item := false // whether the current node is a sequence item
	start := 0    // index into d.lines where the current node's lines begin
	// ends reports whether line j no longer belongs to the current node.
	ends := func(j int) bool {
		l := d.lines[j]
		if item {
			if j == start {
				return false // "- key: ...": the item's own line
			}
			return l.dash >= 0 && l.dash <= parent || l.dash < 0 && l.indent <= parent
		}
		return l.dash < 0 && l.indent <= parent || l.dash >= 0 && l.dash < parent
	}
	for k, seg := range segs {
		if n, err := strconv.Atoi(seg); err == nil && !item {
			// The n-th item of a sequence below the current key, when the
			// template writes the items out; else stay at the key.
			// By the rendered item's name where the template writes it
			// literally (items may be left out conditionally), else by
			// position.
			idx := -1
			if names[k] != "" {
				idx = d.item(start, ends, func(j, _ int) bool { return d.itemName(j) == names[k] })
			}
			if idx < 0 {
				idx = d.item(start, ends, func(_, count int) bool { return count == n })
			}
			if idx < 0 {
				return pos
			}
			l := d.lines[idx]
			pos = yamlpos.Position{Line: l.n, Column: l.dash + 1}
			parent, item, start = l.dash, true, idx
			continue
		}
		found := -1
		for j := start; j < len(d.lines) && !ends(j); j++ {
			if l := d.lines[j]; l.key == seg && l.indent > parent {
				found = j
				break
			}
		}
		if found < 0 {
			return pos
		}
		l := d.lines[found]
		pos = yamlpos.Position{Line: l.n, Column: l.indent + 1}
		parent, item, start = l.indent, false, found+1
	}
	return pos
}

// itemName returns the literal name of the sequence item starting at
// line j: "- name: x", or a name: key right below the dash.
func (d tdoc) itemName(j int) string {
	l := d.lines[j]
	if l.key == "name" {
		return l.value
	}
	for i := j + 1; i < len(d.lines); i++ {
		c := d.lines[i]
		if c.dash >= 0 && c.dash <= l.dash || c.dash < 0 && c.indent <= l.dash {
			break
		}
		if c.key == "name" && c.indent == l.indent && c.dash < 0 {
			return c.value
		}
	}
	return ""
}

// item returns the index of the first sequence item, among the lines of
// the node from start, that match says is the one, or -1; match gets the
// line and how many items came before it.
func (d tdoc) item(start int, ends func(int) bool, match func(j, count int) bool) int {
	count, col := 0, -1
	for j := start; j < len(d.lines) && !ends(j); j++ {
		l := d.lines[j]
		if l.dash < 0 || col >= 0 && l.dash != col {
			continue
		}
		col = l.dash
		if match(j, count) {
			return j
		}
		count++
	}
	return -1
}
