package prompts

import (
	"encoding/json"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/stackgen/aiden/examples/fewshot"
	"github.com/stackgen/aiden/workspace"
)

// Example is one few-shot example: a chart, an app folder or a manifest.
type Example struct {
	// Name is the folder or file name, e.g. "web-service".
	Name string
	// Source is where it came from: "workspace" (.stackgen/examples) or
	// "builtin" (aiden's examples/fewshot).
	Source string
	// Files are the example's files, paths relative to the example.
	Files []workspace.File
	// Tokens estimates its size in the prompt.
	Tokens int
	// Score is its relevance to the intent, set by Select.
	Score float64

	// words are the words of Name and Files that Select scores, read once
	// when the example is made (nil: read at each Select).
	words *exampleWords
}

// exampleWords are an example's words, as wordSet reads them.
type exampleWords struct{ name, body map[string]bool }

func wordsOf(e Example) *exampleWords {
	if e.words != nil {
		return e.words
	}
	w := &exampleWords{name: wordSet(e.Name), body: map[string]bool{}}
	for _, f := range e.Files {
		for x := range wordSet(f.Path + " " + string(f.Content)) {
			w.body[x] = true
		}
	}
	return w
}

// ID names an example in reports: source/name.
func (e Example) ID() string { return e.Source + "/" + e.Name }

// Builtin returns aiden's own examples (examples/fewshot). They are read
// once; callers must not modify them.
func Builtin() []Example { return builtin() }

var builtin = sync.OnceValue(func() []Example { return fromFS(fewshot.FS, "builtin") })

// FromWorkspace returns the examples in the repository's
// .stackgen/examples folder: each subfolder is one example, and each file
// directly in it is one example.
func FromWorkspace(files []workspace.File) []Example {
	prefix := workspace.ExamplesDir + "/"
	groups := map[string][]workspace.File{}
	var names []string
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, prefix)
		if !ok || rel == "" {
			continue
		}
		name, inner, nested := strings.Cut(rel, "/")
		if !nested {
			inner = name
		}
		if _, seen := groups[name]; !seen {
			names = append(names, name)
		}
		groups[name] = append(groups[name], workspace.File{Path: inner, Content: f.Content})
	}
	out := make([]Example, 0, len(names))
	for _, n := range names {
		out = append(out, newExample(n, "workspace", groups[n]))
	}
	return out
}

func fromFS(fsys fs.FS, source string) []Example {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil
	}
	var out []Example
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		var files []workspace.File
		_ = fs.WalkDir(fsys, e.Name(), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			files = append(files, workspace.File{Path: strings.TrimPrefix(p, e.Name()+"/"), Content: b})
			return nil
		})
		out = append(out, newExample(e.Name(), source, files))
	}
	return out
}

func newExample(name, source string, files []workspace.File) Example {
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	e := Example{Name: name, Source: source, Files: files}
	e.Tokens = Tokens(exampleJSON(e))
	// The built-in examples are scored for every prompt: their words are
	// read once, here.
	e.words = wordsOf(e)
	return e
}

// exampleJSON shows an example in the output contract, so that it teaches
// the answer's shape as well as its content.
func exampleJSON(e Example) string {
	var a answer
	for _, f := range e.Files {
		a.Files = append(a.Files, struct {
			Path    string `json:"path"`
			Content string `json:"content"`
		}{f.Path, string(f.Content)})
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// Select ranks examples by relevance to the intent and format and keeps
// the best ones whose total stays within budget tokens. Examples with no
// word in common with the intent are still used when room remains:
// structure and style carry over between apps. The team's own examples
// win ties over the built-in ones.
func Select(intent, format string, examples []Example, budget int) (chosen []Example, tokens int) {
	words := wordSet(intent)
	scored := make([]Example, len(examples))
	for i, e := range examples {
		e.Score = score(words, format, e)
		scored[i] = e
	}
	sort.SliceStable(scored, func(i, j int) bool {
		a, b := scored[i], scored[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Source != b.Source {
			return a.Source == "workspace"
		}
		return a.Name < b.Name
	})
	for _, e := range scored {
		if tokens+e.Tokens > budget {
			continue
		}
		chosen = append(chosen, e)
		tokens += e.Tokens
	}
	return chosen, tokens
}

// score counts intent words found in the example's name (weighted) and
// files, and rewards an example of the requested format.
func score(intent map[string]bool, format string, e Example) float64 {
	var s float64
	words := wordsOf(e)
	name, body := words.name, words.body
	for w := range intent {
		if name[w] {
			s += 3
		}
		if body[w] {
			s++
		}
	}
	if exampleFormat(e) == format {
		s += 2
	}
	if e.Source == "workspace" {
		s += 0.5
	}
	return s
}

func exampleFormat(e Example) string {
	for _, f := range e.Files {
		switch path.Base(f.Path) {
		case "Chart.yaml":
			return "helm"
		case "kustomization.yaml", "kustomization.yml":
			return "kustomize"
		}
		if path.Ext(f.Path) == ".tf" {
			return "terraform"
		}
	}
	return ""
}

var stop = map[string]bool{"a": true, "an": true, "the": true, "and": true, "with": true, "in": true, "on": true,
	"of": true, "for": true, "to": true, "deploy": true, "create": true, "run": true, "yaml": true, "name": true,
	"app": true, "kubernetes": true, "io": true, "value": true, "values": true, "true": true, "false": true}

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(w) < 3 || stop[w] {
			continue
		}
		out[strings.TrimSuffix(w, "s")] = true
	}
	return out
}
