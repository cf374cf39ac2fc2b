// Package secrets finds credential-looking literals in text files and redacts
// them. Detection is content-based (token shapes, key/value assignments,
// Kubernetes Secret manifests); a file path only adds format hints.
//
// The rules, and the look-alikes each rule deliberately ignores, are
// documented in docs/secrets.md. Find and Redact keep no state and are safe
// for concurrent use.
package secrets

import (
	"bytes"
	"sort"
	"unicode/utf8"
)

// Match is one credential-looking literal.
type Match struct {
	Rule    string // detector id, e.g. aws-access-key-id, generic-password, k8s-secret-data
	Line    int    // 1-based
	Column  int    // 1-based byte column of the secret's start
	Key     string // the key/variable name it was assigned to, if any
	Excerpt string // a masked excerpt safe to print: at most the first 4 characters + "…"
}

// hit is a match before positions are turned into line and column.
type hit struct {
	rule       string
	start, end int // byte span of the secret value
	key        string
	prio       int // on overlap the higher priority names the merged span
}

// Priorities: a recognised token shape beats an Authorization header, which
// beats a Kubernetes Secret value, which beats a generic key/value assignment.
const (
	prioGeneric = 1
	prioKube    = 2
	prioHeader  = 3
	prioToken   = 4
)

// Find returns the credential-looking literals in content, in file order.
// path selects format hints (.tf and .json: unquoted values are expressions,
// not literals); detection works for any text.
func Find(path string, content []byte) []Match {
	hits := scan(path, content)
	if len(hits) == 0 {
		return nil
	}
	idx := newLineIndex(content)
	out := make([]Match, 0, len(hits))
	for _, h := range hits {
		line, col := idx.pos(h.start)
		out = append(out, Match{
			Rule:    h.rule,
			Line:    line,
			Column:  col,
			Key:     h.key,
			Excerpt: excerpt(content[h.start:h.end]),
		})
	}
	return out
}

// Redact replaces each secret value with "<redacted:RULE>" and returns the new
// content and the number of replacements. Quotes, keys and indentation are
// kept, and a multi-line secret keeps its line breaks, so YAML, JSON and HCL
// stay parseable and line numbers stay valid. When nothing is found content is
// returned as is.
func Redact(content []byte) (redacted []byte, n int) {
	hits := scan("", content)
	if len(hits) == 0 {
		return content, 0
	}
	var b bytes.Buffer
	b.Grow(len(content))
	prev := 0
	for _, h := range hits {
		b.Write(content[prev:h.start])
		b.WriteString("<redacted:")
		b.WriteString(h.rule)
		b.WriteByte('>')
		for range bytes.Count(content[h.start:h.end], []byte{'\n'}) {
			b.WriteByte('\n')
		}
		prev = h.end
	}
	b.Write(content[prev:])
	return b.Bytes(), len(hits)
}

// scan runs every detector and resolves overlaps.
func scan(path string, content []byte) []hit {
	f := formatOf(path)
	doc := newDocument(content)
	var hs []hit
	hs = tokenHits(doc, hs)
	hs = assignmentHits(doc, f, hs)
	hs = kubeHits(doc, hs)
	hs = jsonSecretHits(doc, hs)
	return resolve(hs)
}

// resolve sorts hits and merges overlapping ones into one span named by the
// highest-priority rule, so that redaction never leaves a fragment behind.
func resolve(hs []hit) []hit {
	if len(hs) == 0 {
		return nil
	}
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].start != hs[j].start {
			return hs[i].start < hs[j].start
		}
		if hs[i].prio != hs[j].prio {
			return hs[i].prio > hs[j].prio
		}
		if hs[i].end != hs[j].end {
			return hs[i].end > hs[j].end
		}
		return hs[i].rule < hs[j].rule
	})
	out := hs[:1]
	for _, h := range hs[1:] {
		last := &out[len(out)-1]
		if h.start >= last.end {
			out = append(out, h)
			continue
		}
		if h.end > last.end {
			last.end = h.end
		}
		if h.prio > last.prio {
			last.rule, last.prio = h.rule, h.prio
			if h.key != "" {
				last.key = h.key
			}
		}
		if last.key == "" {
			last.key = h.key
		}
	}
	return out
}

// excerpt shows at most a quarter of the secret, and never more than its
// first 4 characters, so that short passwords are not half printed.
func excerpt(s []byte) string {
	n := min(4, utf8.RuneCount(s)/4)
	var b []byte
	for i := 0; i < n; i++ {
		r, size := utf8.DecodeRune(s)
		if r == '\n' || r == '\r' {
			break
		}
		b = append(b, s[:size]...)
		s = s[size:]
	}
	return string(b) + "…"
}

// lineIndex maps byte offsets to 1-based lines and columns.
type lineIndex []int // offsets of line starts

func newLineIndex(content []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range content {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) pos(off int) (line, col int) {
	i := sort.SearchInts(idx, off+1) - 1
	return i + 1, off - idx[i] + 1
}
