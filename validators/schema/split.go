package schema

import (
	"bytes"
	"strings"

	"github.com/yannh/kubeconform/pkg/resource"
)

// document is one YAML or JSON document of a file, or one item of a List.
type document struct {
	file string
	line int // 1-based line where the document's content starts
	res  resource.Resource
	item bool // an item of a List, re-encoded: its bytes are not the file's
}

// split cuts a file into documents the way kubeconform's stream reader does
// (on "\n---" lines, Lists expanded into their items), keeping the line
// each document starts on.
func split(file string, data []byte) []document {
	var docs []document
	pos, line := 0, 1
	for pos < len(data) {
		advance, token, err := resource.SplitYAMLDocument(data[pos:], true)
		if err != nil || advance == 0 {
			break
		}
		start := line + leadingLines(token)
		res := resource.Resource{Path: file, Bytes: token}
		if _, kind, ok := scanSignature(token); ok && !strings.EqualFold(kind, "list") {
			// Resources would parse the whole document just to look for a List.
			docs = append(docs, document{file: file, line: start, res: res})
		} else {
			for _, r := range res.Resources() {
				docs = append(docs, document{file: file, line: start, res: r, item: !bytes.Equal(r.Bytes, token)})
			}
		}
		line += bytes.Count(data[pos:pos+advance], []byte("\n"))
		pos += advance
	}
	return docs
}

// leadingLines counts the blank, comment and "---" lines before a
// document's first content line.
func leadingLines(doc []byte) int {
	n := 0
	for len(doc) > 0 {
		i := bytes.IndexByte(doc, '\n')
		if i < 0 {
			return n
		}
		l := strings.TrimSpace(string(doc[:i]))
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "---") {
			return n
		}
		n++
		doc = doc[i+1:]
	}
	return n
}

// signature returns a document's apiVersion and kind. Block-style YAML is
// scanned for top-level keys without a full parse; anything else (JSON,
// flow style) is parsed.
func signature(res *resource.Resource) (apiVersion, kind string, ok bool) {
	if apiVersion, kind, ok = scanSignature(res.Bytes); ok {
		return apiVersion, kind, true
	}
	sig, err := res.Signature()
	if err != nil || sig == nil {
		return "", "", false
	}
	return sig.Version, sig.Kind, true
}

// scanSignature finds top-level apiVersion and kind keys in block-style
// YAML without parsing it.
func scanSignature(doc []byte) (apiVersion, kind string, ok bool) {
	for rest := doc; len(rest) > 0; {
		var l []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			l, rest = rest, nil
		}
		if v, found := topLevelValue(l, "apiVersion:"); found {
			apiVersion = v
		} else if v, found := topLevelValue(l, "kind:"); found {
			kind = v
		}
		if apiVersion != "" && kind != "" {
			return apiVersion, kind, true
		}
	}
	return "", "", false
}

func topLevelValue(line []byte, key string) (string, bool) {
	if !bytes.HasPrefix(line, []byte(key)) {
		return "", false
	}
	v := string(line[len(key):])
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	if v == "" || strings.ContainsAny(v, "&*!|>{[") {
		return "", false // anchors, tags, flow values: leave to the parser
	}
	return v, true
}
