package policy

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Object is one decoded Kubernetes object and where it came from.
type Object struct {
	// File is the file the object was read from.
	File string
	// Line is the 1-based line its YAML document starts at.
	Line int
	// Content is the decoded object.
	Content map[string]any
}

// DecodeObjects decodes every Kubernetes object in a YAML or JSON stream,
// expanding v1 Lists. Empty documents and documents without a kind are
// skipped.
func DecodeObjects(file string, content []byte) ([]Object, error) {
	var out []Object
	line := 1
	for _, doc := range splitYAMLLines(content) {
		start := line + doc.offset
		var m map[string]any
		if err := yaml.Unmarshal(doc.text, &m); err != nil {
			return nil, fmt.Errorf("decode %s:%d: %w", file, start, err)
		}
		if m == nil || m["kind"] == nil {
			continue
		}
		if items, ok := m["items"].([]any); ok && fmt.Sprint(m["kind"]) == "List" {
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					out = append(out, Object{File: file, Line: start, Content: im})
				}
			}
			continue
		}
		out = append(out, Object{File: file, Line: start, Content: m})
	}
	return out, nil
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
