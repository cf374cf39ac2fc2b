// Package manifest splits a rendered file (a chart template's output, an
// overlay's build, a plain manifest) into its YAML documents and decodes
// each once, for every check that reads the rendered output: helm lint's
// template rules, the policy engine and the conventions check.
//
// A document is what the Kubernetes YAML reader
// (k8s.io/apimachinery/pkg/util/yaml.YAMLReader, which helm lint and
// kubectl use) returns: the lines between two separator lines, a separator
// being "---" alone or followed by a comment. Its value is what
// sigs.k8s.io/yaml.Unmarshal gives: maps of string keys, float64 numbers.
//
// The checks had each their own splitter, and they disagree on a few rare
// lines ("--- foo", "---#", "----"), on carriage returns, byte order marks
// and Unicode line breaks. A file holding
// none of those is Plain: every splitter finds the same documents in it,
// so a check may read its Docs; for any other file a check keeps its own
// splitter, and its findings stay what they were.
package manifest

import (
	"bytes"
	"sync"
)

// Doc is one YAML document of a file.
type Doc struct {
	// Line is the 1-based line of the document's first line.
	Line int
	// Text is the document's lines (without separators), a slice of the
	// file's content.
	Text []byte
	// Value is the document decoded as sigs.k8s.io/yaml.Unmarshal decodes
	// it into an interface value: nil for an empty or comment-only
	// document, map[string]any for an object. Checks must not change it:
	// other checks read the same value.
	Value any
	// Err is the decode error, if any.
	Err error
	// Unique is true when no mapping of the document holds a key twice
	// (Value then holds every key's one value; a YAML node tree reads the
	// same), false when one does or that is not known.
	Unique bool
}

// EndsLines reports whether the document reads the same when its last
// line ends with a newline, as the Kubernetes reader ends every line: it
// does, or the document holds no block scalar ("|", ">"), whose value
// would keep that newline.
func (d Doc) EndsLines() bool {
	return bytes.HasSuffix(d.Text, []byte("\n")) || !bytes.ContainsAny(d.Text, "|>")
}

// File is a rendered file, split and decoded on first use. It is safe for
// concurrent use.
type File struct {
	// Path is the file's repository path.
	Path string
	// Content is the file's text.
	Content []byte

	once  sync.Once
	plain bool
	docs  []Doc
}

// NewFile returns the file at path holding content, not yet split.
func NewFile(path string, content []byte) *File {
	return &File{Path: path, Content: content}
}

// Docs returns the file's documents, split and decoded on the first call,
// and whether the file is Plain. For a file that is not, it returns
// nothing: the caller splits and decodes it its own way.
func (f *File) Docs() ([]Doc, bool) {
	f.once.Do(f.split)
	return f.docs, f.plain
}

// Plain reports whether every splitter of aiden's checks finds the same
// documents in content: it holds no carriage return, byte order mark or
// Unicode line break (NEL, LS, PS), and every line that
// starts with "---" is a separator for all of them ("---" alone, or
// followed by a space and nothing or a comment). A line such as
// "--- foo" separates documents for some ("--- foo" holds the scalar foo
// for YAML itself), is text for others and an error for the Kubernetes
// reader. A directive ("%YAML 1.2") before a separator reads differently
// when the Kubernetes reader keeps a separator before it, so a file with
// one is not Plain either.
func Plain(content []byte) bool {
	if bytes.IndexByte(content, '\r') >= 0 || bytes.Contains(content, bom) {
		return false
	}
	for _, br := range unicodeBreaks {
		if bytes.Contains(content, br) {
			return false
		}
	}
	for rest := content; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if bytes.HasPrefix(line, sep) && !separator(line) || len(line) > 0 && line[0] == '%' {
			return false
		}
	}
	return true
}

var sep = []byte("---")

// bom is the byte order mark, which YAML readers skip at the start of a
// stream and read differently inside one.
var bom = []byte("\xef\xbb\xbf")

// unicodeBreaks are the line breaks YAML reads besides "\n" and "\r"
// (NEL, LS, PS): a separator after one is a separator for YAML, not for
// a splitter that reads lines at "\n".
var unicodeBreaks = [][]byte{[]byte("\u0085"), []byte("\u2028"), []byte("\u2029")}

// separator reports whether line (without its newline) separates two
// documents for every splitter: "---", or "--- " followed by blanks or a
// comment.
func separator(line []byte) bool {
	t := bytes.TrimRight(line, " \t")
	if bytes.Equal(t, sep) {
		return true
	}
	if !bytes.HasPrefix(t, []byte("--- ")) {
		return false
	}
	rest := bytes.TrimLeft(t[3:], " \t")
	return len(rest) == 0 || rest[0] == '#'
}

func (f *File) split() {
	if !Plain(f.Content) {
		return
	}
	f.plain = true
	content := f.Content
	start, startLine := -1, 0 // first byte and line of the current document
	n := 0                    // lines read
	flush := func(end int) {
		if start >= 0 && end > start {
			f.docs = append(f.docs, Doc{Line: startLine, Text: content[start:end:end]})
		}
		start = -1
	}
	for off := 0; off < len(content); {
		end := len(content)
		next := end
		if i := bytes.IndexByte(content[off:], '\n'); i >= 0 {
			end = off + i
			next = end + 1
		}
		n++
		if separator(content[off:end]) {
			flush(off)
		} else if start < 0 {
			start, startLine = off, n
		}
		off = next
	}
	flush(len(content))
	for i := range f.docs {
		d := &f.docs[i]
		d.Value, d.Unique, d.Err = decode(d.Text)
	}
}

// Set holds the files of one render, by path, so that every check of it
// reads one split and decode of each. A nil *Set holds nothing: each
// File call returns a new File. It is safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	files map[string]*File
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{files: map[string]*File{}} }

// File returns the file at path holding content: the one the set holds
// when its content is the same, else a new one, kept.
func (s *Set) File(path string, content []byte) *File {
	if s == nil {
		return NewFile(path, content)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.files[path]; ok && sameBytes(f.Content, content) {
		return f
	}
	f := NewFile(path, content)
	s.files[path] = f
	return f
}

// sameBytes reports whether a and b hold the same bytes, cheaply when they
// are the same slice.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return bytes.Equal(a, b)
}
