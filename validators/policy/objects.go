package policy

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/validators/manifest"
)

// Object is one decoded Kubernetes object and where it came from.
type Object struct {
	// File is the file the object was read from.
	File string
	// Line is the 1-based line its YAML document starts at.
	Line int
	// Content is the decoded object. It may be shared with the other
	// checks of a render (manifest.Doc): the policy engine never changes
	// it.
	Content map[string]any
	// Pointer is where the object lies in its document: "" for the
	// document itself, "/items/N" for an item of a v1 List.
	Pointer string
}

// at returns a JSON pointer into the object as one into its document,
// where findings are located (an item of a List is below /items/N).
func (o Object) at(path string) string {
	return o.Pointer + path
}

// DecodeObjects decodes every Kubernetes object in a YAML or JSON stream,
// expanding v1 Lists. Empty documents and documents without a kind are
// skipped.
func DecodeObjects(file string, content []byte) ([]Object, error) {
	return decodeFile(manifest.NewFile(file, content))
}

// decodeFile is DecodeObjects reading f's documents as f split and
// decoded them, which the other checks of a render read too; a file that
// is not manifest.Plain is split here, by splitYAMLLines.
func decodeFile(f *manifest.File) ([]Object, error) {
	docs, ok := f.Docs()
	if !ok {
		return decodeSplit(f.Path, f.Content)
	}
	var out []Object
	for _, d := range docs {
		if len(bytes.TrimSpace(d.Text)) == 0 {
			continue // blank, as splitYAMLLines drops it (a lone tab would not decode)
		}
		if d.Err != nil {
			return nil, fmt.Errorf("decode %s:%d: %w", f.Path, d.Line, d.Err)
		}
		m, isMap := d.Value.(map[string]any)
		if d.Value != nil && !isMap {
			// Not an object: say so as decoding into a map does.
			err := yaml.Unmarshal(d.Text, &m)
			if err == nil {
				err = fmt.Errorf("document is a %T, not a mapping", d.Value)
			}
			return nil, fmt.Errorf("decode %s:%d: %w", f.Path, d.Line, err)
		}
		out = appendObjects(out, f.Path, d.Line, m)
	}
	return out, nil
}

// decodeSplit decodes the documents splitYAMLLines finds in content.
func decodeSplit(file string, content []byte) ([]Object, error) {
	var out []Object
	line := 1
	for _, doc := range splitYAMLLines(content) {
		start := line + doc.offset
		var m map[string]any
		if err := yaml.Unmarshal(doc.text, &m); err != nil {
			return nil, fmt.Errorf("decode %s:%d: %w", file, start, err)
		}
		out = appendObjects(out, file, start, m)
	}
	return out, nil
}

// appendObjects appends the object m decodes to, or the items of a v1
// List, skipping an empty document and one without a kind.
func appendObjects(out []Object, file string, line int, m map[string]any) []Object {
	if m == nil || m["kind"] == nil {
		return out
	}
	if items, ok := m["items"].([]any); ok && fmt.Sprint(m["kind"]) == "List" {
		for i, it := range items {
			if im, ok := it.(map[string]any); ok {
				out = append(out, Object{File: file, Line: line, Content: im, Pointer: fmt.Sprintf("/items/%d", i)})
			}
		}
		return out
	}
	return append(out, Object{File: file, Line: line, Content: m})
}

type yamlDoc struct {
	text   []byte
	offset int // lines before the document's first line
}

func splitYAMLLines(content []byte) []yamlDoc {
	var docs []yamlDoc
	var cur bytes.Buffer
	start, n := 0, 0
	for _, l := range bytes.SplitAfter(content, []byte("\n")) {
		t := bytes.TrimRight(l, " \t\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			if len(bytes.TrimSpace(cur.Bytes())) > 0 {
				docs = append(docs, yamlDoc{text: append([]byte(nil), cur.Bytes()...), offset: start})
			}
			cur.Reset()
			n++
			start = n
			continue
		}
		cur.Write(l)
		n++
	}
	if len(bytes.TrimSpace(cur.Bytes())) > 0 {
		docs = append(docs, yamlDoc{text: cur.Bytes(), offset: start})
	}
	return docs
}
