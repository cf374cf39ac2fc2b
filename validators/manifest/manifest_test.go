package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// corpusFiles reads every YAML and JSON file of the repository (its test
// data, examples, charts) and of ../shared/corpora, relative to the module
// root, by path.
func corpusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	out := map[string][]byte{}
	walk := func(dir string) {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				switch d.Name() {
				case ".git", "node_modules":
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[p] = b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	walk(root)
	if corpora := filepath.Join(root, "..", "shared", "corpora"); dirExists(corpora) {
		walk(corpora)
	} else {
		t.Logf("../shared/corpora not found: the repository's files only")
	}
	if len(out) < 100 {
		t.Fatalf("only %d files found", len(out))
	}
	return out
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// edgeCases are files on the splitters' seams.
var edgeCases = map[string]string{
	"leading separator":  "---\na: 1\n",
	"comment separator":  "a: 1\n--- # next\nb: 2\n",
	"tab comment":        "a: 1\n---\t# next\nb: 2\n",
	"separator text":     "a: 1\n--- foo\nb: 2\n",
	"separator glued":    "a: 1\n---foo\n",
	"four dashes":        "a: 1\n----\nb: 2\n",
	"empty docs":         "---\n---\n\n---\na: 1\n---\n",
	"comment doc":        "# only a comment\n---\na: 1\n",
	"no final newline":   "a: 1\n---\nb: |\n  x",
	"crlf":               "a: 1\r\n---\r\nb: 2\r\n",
	"line separator":     "a: 1\u2028---\u2028b: 2\n",
	"next line":          "a: 1\u0085---\u0085b: 2\n",
	"later bom":          "a: 1\n---\n\ufeffb: 2\n",
	"trailing blanks":    "a: 1\n---   \nb: 2\n",
	"list":               "apiVersion: v1\nkind: List\nitems:\n- kind: A\n- kind: B\n",
	"document end":       "a: 1\n...\n---\nb: 2\n",
	"directive":          "%YAML 1.1\n---\na: 1\n",
	"indented dashes":    "a: |\n  ---\n  x\n",
	"dashes in a scalar": "a: |\n  x\n---\nb: 2\n",
	"scalar doc":         "just text\n",
	"sequence doc":       "- 1\n- 2\n",
	"json":               `{"kind": "A", "n": 1.5}`,
	"numbers":            "a: 1\nb: 1.5\nc: 0x1F\nd: 1e3\ne: 9007199254740993\nf: -0.0\ng: 18446744073709551615\n",
	"non-string keys":    "1: a\ntrue: b\n",
	"key collision":      "1: a\n\"1\": b\n",
	"float key":          "1.5: a\n",
	"null key":           "~: a\n",
	"nan":                "a: .nan\n",
	"inf":                "a: .inf\n",
	"yaml 1.1 booleans":  "a: yes\nb: off\nc: \"yes\"\n",
	"anchors":            "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n",
	"binary":             "a: !!binary /w==\n",
	"timestamp":          "a: 2001-12-14\nb: !!timestamp 2001-12-14t21:59:43.10-05:00\n",
	"duplicate key":      "a: 1\na: 2\n",
	"bad yaml":           "a: [1\n",
	"tab indent":         "a:\n\tb: 1\n",
	"empty":              "",
	"blank":              "  \n\n",
	"html":               "a: \"<b>&</b>\"\nb: \"\\u2028\"\n",
	"empty collections":  "a: {}\nb: []\nc:\n",
}

// TestSplitMatchesYAMLReader holds the split of every Plain file to the
// Kubernetes YAML reader's, which helm lint and kubectl use: the same
// documents, in order, each as the reader returns it (the reader ends the
// last line with a newline).
func TestSplitMatchesYAMLReader(t *testing.T) {
	files := corpusFiles(t)
	for name, text := range edgeCases {
		files["edge: "+name] = []byte(text)
	}
	plain, docs := 0, 0
	for p, content := range files {
		got, ok := NewFile(p, content).Docs()
		if ok != Plain(content) {
			t.Fatalf("%s: Docs says plain=%v, Plain %v", p, ok, !ok)
		}
		if !ok {
			continue
		}
		plain++
		want, err := readerDocs(content)
		if err != nil {
			t.Errorf("%s: plain, but the Kubernetes reader fails: %v", p, err)
			continue
		}
		// The reader returns a run of separators as a document of
		// separators, which reads as nothing.
		want = slices.DeleteFunc(want, func(doc []byte) bool {
			for _, line := range bytes.Split(bytes.TrimSuffix(doc, []byte("\n")), []byte("\n")) {
				if !separator(line) {
					return false
				}
			}
			return true
		})
		if len(got) != len(want) {
			t.Errorf("%s: %d documents, the Kubernetes reader finds %d", p, len(got), len(want))
			continue
		}
		lines := bytes.Split(content, []byte("\n"))
		for i, d := range got {
			docs++
			text := d.Text
			if !bytes.HasSuffix(text, []byte("\n")) {
				text = append(append([]byte(nil), text...), '\n')
			}
			// The reader keeps the separators met before a document's
			// first line; YAML reads them as the document's start marker.
			reader := want[i]
			for {
				line, rest, _ := bytes.Cut(reader, []byte("\n"))
				if !separator(line) || len(rest) == 0 {
					break
				}
				reader = rest
			}
			if !bytes.Equal(text, reader) {
				t.Errorf("%s: document %d is %q, the Kubernetes reader's %q", p, i, d.Text, want[i])
			}
			var v any
			err := yaml.Unmarshal(want[i], &v)
			if !d.EndsLines() {
				continue // helm lint decodes it itself
			}
			if (err == nil) != (d.Err == nil) || !reflect.DeepEqual(v, d.Value) && !hasKeyCollision(d.Text) {
				t.Errorf("%s: document %d decodes to %#v (%v), the Kubernetes reader's to %#v (%v)", p, i, d.Value, d.Err, v, err)
			}
			if first, _, _ := bytes.Cut(d.Text, []byte("\n")); !bytes.Equal(lines[d.Line-1], first) {
				t.Errorf("%s: document %d starts at line %d, which is %q, not %q", p, i, d.Line, lines[d.Line-1], first)
			}
		}
	}
	t.Logf("%d files, %d plain, %d documents compared", len(files), plain, docs)
	if plain < len(files)*9/10 {
		t.Errorf("only %d of %d files are plain", plain, len(files))
	}
	for _, name := range []string{"tab comment", "separator text", "separator glued", "four dashes", "crlf", "directive", "line separator", "next line", "later bom"} {
		if Plain([]byte(edgeCases[name])) {
			t.Errorf("edge case %q is plain", name)
		}
	}
}

// readerDocs splits content with k8s.io/apimachinery's YAMLReader.
func readerDocs(content []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(content)))
	var out [][]byte
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, append([]byte(nil), b...))
	}
}

// TestUnmarshalMatchesSigs holds Unmarshal to sigs.k8s.io/yaml.Unmarshal
// over every document of the corpus and every whole file: the same value
// (reflect.DeepEqual) and the same error.
func TestUnmarshalMatchesSigs(t *testing.T) {
	files := corpusFiles(t)
	for name, text := range edgeCases {
		files["edge: "+name] = []byte(text)
	}
	n, errs := 0, 0
	for p, content := range files {
		texts := [][]byte{content}
		if docs, ok := NewFile(p, content).Docs(); ok {
			for _, d := range docs {
				texts = append(texts, d.Text)
			}
		}
		for _, text := range texts {
			if hasKeyCollision(text) {
				continue // sigs.k8s.io/yaml keeps either key's value, by map order
			}
			n++
			if compareSigs(t, p, text) {
				errs++
			}
		}
	}
	t.Logf("%d documents and files compared, %d of them errors for both", n, errs)
}

// compareSigs fails t when Unmarshal and sigs.k8s.io/yaml disagree on
// text, and reports whether both failed.
func compareSigs(t testing.TB, name string, text []byte) bool {
	t.Helper()
	var want any
	wantErr := yaml.Unmarshal(text, &want)
	got, err := Unmarshal(text)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Errorf("%s: error %v, sigs.k8s.io/yaml's %v\n%s", name, err, wantErr, text)
	case err != nil && err.Error() != wantErr.Error():
		t.Errorf("%s: error %q, sigs.k8s.io/yaml's %q", name, err, wantErr)
	case !reflect.DeepEqual(got, want):
		t.Errorf("%s: value %#v, sigs.k8s.io/yaml's %#v\n%s", name, got, want, text)
	}
	return err != nil && wantErr != nil
}

// FuzzUnmarshal compares Unmarshal with sigs.k8s.io/yaml.Unmarshal on
// mutations of the edge cases and of documents of the repository's test
// data.
func FuzzUnmarshal(f *testing.F) {
	for _, text := range edgeCases {
		f.Add([]byte(text))
	}
	for _, p := range []string{"../policy/testdata", "../helmchart/testdata", "../testdata"} {
		_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(q, ".yaml") {
				return nil
			}
			if b, err := os.ReadFile(q); err == nil && len(b) < 4096 {
				f.Add(b)
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if hasKeyCollision(text) {
			t.Skip("keys that read the same: sigs.k8s.io/yaml keeps either, by map order")
		}
		compareSigs(t, "fuzz", text)
		if docs, ok := NewFile("fuzz", text).Docs(); ok {
			for _, d := range docs {
				if d.Err == nil && !hasKeyCollision(d.Text) {
					compareSigs(t, "fuzz document", d.Text)
				}
			}
		}
	})
}

// hasKeyCollision reports whether a mapping of text has two keys sigs
// writes alike ("1" and 1), whose value sigs picks by map order.
func hasKeyCollision(text []byte) bool {
	var y any
	if yamlv2.Unmarshal(text, &y) != nil {
		return false
	}
	return collides(y, 0)
}

func collides(y any, depth int) bool {
	if depth > 100 {
		return false
	}
	switch x := y.(type) {
	case []any:
		for _, e := range x {
			if collides(e, depth+1) {
				return true
			}
		}
	case map[any]any:
		seen := map[string]bool{}
		for k, e := range x {
			key := fmt.Sprint(k)
			if f, ok := k.(float64); ok {
				key = strconv.FormatFloat(f, 'g', -1, 32)
			}
			if seen[key] || collides(e, depth+1) {
				return true
			}
			seen[key] = true
		}
	}
	return false
}

// TestSetSharesFiles checks that a Set hands out one File per path and
// content, and a new one when the content differs.
func TestSetSharesFiles(t *testing.T) {
	s := NewSet()
	content := []byte("a: 1\n")
	f := s.File("x.yaml", content)
	if s.File("x.yaml", content) != f || s.File("x.yaml", []byte("a: 1\n")) != f {
		t.Fatal("same path and content: another File")
	}
	g := s.File("x.yaml", []byte("a: 2\n"))
	if g == f {
		t.Fatal("other content: the same File")
	}
	docs, ok := g.Docs()
	if !ok || len(docs) != 1 || !reflect.DeepEqual(docs[0].Value, map[string]any{"a": float64(2)}) {
		t.Fatalf("docs %#v, plain %v", docs, ok)
	}
	var none *Set
	if a, b := none.File("x.yaml", content), none.File("x.yaml", content); a == b {
		t.Fatal("a nil Set kept a File")
	}
}
