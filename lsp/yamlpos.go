package lsp

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/stackgen/aiden/internal/lazyre"
)

// yamlDoc is one document of a YAML file: the lines from its separator
// (or the file's start) to the next separator, parsed.
type yamlDoc struct {
	first, last int        // 1-based lines of the region
	root        *yaml.Node // the document's top node, nil when it does not parse
}

// splitDocs cuts text at its document separators and parses each part;
// node lines stay the file's.
func splitDocs(text string) []yamlDoc {
	lines := strings.Split(text, "\n")
	var docs []yamlDoc
	start := 1
	flush := func(end int) {
		if end < start {
			return
		}
		// Blank lines before the region keep the parser's lines the file's.
		part := strings.Repeat("\n", start-1) + strings.Join(lines[start-1:end], "\n")
		var n yaml.Node
		d := yamlDoc{first: start, last: end}
		if yaml.Unmarshal([]byte(part), &n) == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			d.root = n.Content[0]
		}
		docs = append(docs, d)
	}
	for i, l := range lines {
		l = strings.TrimRight(l, " \t\r") // a CRLF file's "---\r" separates too
		if i > 0 && (l == "---" || strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "---\t")) {
			flush(i)
			start = i + 1
		}
	}
	flush(len(lines))
	return docs
}

// docAt returns the document holding the 1-based line (the first for 0).
func docAt(docs []yamlDoc, line int) *yamlDoc {
	for i := range docs {
		if line <= docs[i].last && (line >= docs[i].first || line <= 0) {
			return &docs[i]
		}
	}
	return nil
}

// get returns the key and value nodes of key in a mapping.
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
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

// walk follows a JSON pointer from n; key is the last mapping key passed
// when the pointer ends on a mapping value.
func walk(n *yaml.Node, pointer string) (node, key *yaml.Node, ok bool) {
	node = n
	if pointer == "" || pointer == "/" {
		return node, nil, node != nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch {
		case node == nil:
			return nil, nil, false
		case node.Kind == yaml.MappingNode:
			k, v := get(node, tok)
			if k == nil {
				return node, key, false
			}
			node, key = v, k
		case node.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node.Content) {
				return node, key, false
			}
			node, key = node.Content[i], nil
		default:
			return node, key, false
		}
	}
	return node, key, true
}

// extraFields reads the fields kubeconform names in "additional
// properties 'a', 'b' not allowed".
var extraFields = lazyre.New(`additional propert(?:y|ies) ((?:'[^']*'(?:, )?)+) not allowed`)

// findingRange is where a finding points in text: the field the schema
// does not allow, the key of the field the finding's path names, or the
// first key of the object it names; else the line's text.
func findingRange(text string, line int, pointer, message string) protocol.Range {
	docs := splitDocs(text)
	if d := docAt(docs, line); d != nil && d.root != nil && pointer != "" {
		node, key, ok := walk(d.root, pointer)
		if m := extraFields.FindStringSubmatch(message); m != nil && node != nil {
			name := strings.Trim(strings.SplitN(m[1], ", ", 2)[0], "'")
			if k, _ := get(node, name); k != nil {
				return nodeRange(k)
			}
		}
		switch {
		case ok && key != nil:
			return nodeRange(key)
		case ok && node.Kind == yaml.MappingNode && len(node.Content) > 0:
			return nodeRange(node.Content[0])
		case ok && node.Kind == yaml.ScalarNode:
			return nodeRange(node)
		}
	}
	return lineRange(text, line)
}

// nodeRange is the range of a scalar node's text on its line.
func nodeRange(n *yaml.Node) protocol.Range {
	l, c := protocol.UInteger(n.Line-1), protocol.UInteger(n.Column-1)
	width := len([]rune(n.Value))
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		width += 2
	}
	if n.Kind != yaml.ScalarNode || width == 0 {
		width = 1
	}
	return protocol.Range{Start: protocol.Position{Line: l, Character: c}, End: protocol.Position{Line: l, Character: c + protocol.UInteger(width)}}
}

// lineRange covers the text of a 1-based line, indentation left out; line
// 0 (a finding about the whole file) is the first line.
func lineRange(text string, line int) protocol.Range {
	lines := strings.Split(text, "\n")
	if line < 1 {
		line = 1
	}
	if line > len(lines) {
		line = len(lines)
	}
	s := strings.TrimRight(lines[line-1], "\r")
	start := len([]rune(s)) - len([]rune(strings.TrimLeft(s, " \t")))
	l := protocol.UInteger(line - 1)
	return protocol.Range{Start: protocol.Position{Line: l, Character: protocol.UInteger(start)},
		End: protocol.Position{Line: l, Character: protocol.UInteger(len([]rune(s)))}}
}

// pathAt returns the field path (keys, and indexes of sequence items) of
// the key at a position, and the document's root; ok is false when the
// position is on no key.
func pathAt(text string, pos protocol.Position) (root *yaml.Node, path []string, ok bool) {
	line, col := int(pos.Line)+1, int(pos.Character)+1
	d := docAt(splitDocs(text), line)
	if d == nil || d.root == nil {
		return nil, nil, false
	}
	var find func(n *yaml.Node, prefix []string) ([]string, bool)
	find = func(n *yaml.Node, prefix []string) ([]string, bool) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := append(append([]string{}, prefix...), k.Value)
				if k.Line == line && col >= k.Column && col <= k.Column+len([]rune(k.Value)) {
					return p, true
				}
				if r, ok := find(v, p); ok {
					return r, true
				}
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				if r, ok := find(item, append(append([]string{}, prefix...), strconv.Itoa(i))); ok {
					return r, true
				}
			}
		}
		return nil, false
	}
	path, ok = find(d.root, nil)
	return d.root, path, ok
}
