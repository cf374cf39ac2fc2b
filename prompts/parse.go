package prompts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// ErrEmpty is returned by Parse for an answer with no text.
var ErrEmpty = errors.New("the answer is empty")

// ErrUnparseable is wrapped by Parse when an answer holds no files in any
// accepted form.
var ErrUnparseable = errors.New("the answer holds no files in the output contract")

// MaxFiles is the most files an answer may hold; a generation needs a few
// dozen at most.
const MaxFiles = 200

// ErrTooManyFiles is wrapped by Parse for an answer of more than MaxFiles
// files.
var ErrTooManyFiles = fmt.Errorf("the answer holds more than the limit of %d files", MaxFiles)

type answer struct {
	Files []struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	} `json:"files"`
}

var (
	thinkRE = regexp.MustCompile(`(?s)<think>.*?</think>`)
	fenceRE = regexp.MustCompile("(?m)^[ \t]*(```+|~~~+)[ \t]*([^\\s`]*)[^\\n]*\\n")
	pathRE  = regexp.MustCompile(`^[A-Za-z0-9_.\-/]+$`)
	extRE   = regexp.MustCompile(`[^.]\.[A-Za-z0-9]{1,8}$`)
)

// Parse reads a model's answer into files, paths as the model wrote them
// (relative to the target folder; the caller confines them). It accepts,
// in order: the JSON object {"files": [{"path", "content"}]}, bare or in a
// fence; and fenced blocks each preceded by a line naming the file.
// Reasoning models' <think> sections are ignored.
func Parse(text string) ([]workspace.File, error) {
	files, err := parse(text)
	if len(files) > MaxFiles {
		return nil, fmt.Errorf("%w: it holds %d", ErrTooManyFiles, len(files))
	}
	return files, err
}

func parse(text string) ([]workspace.File, error) {
	if strings.Contains(text, "<think>") { // else the copy would change nothing
		text = thinkRE.ReplaceAllString(text, "")
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, ErrEmpty
	}
	if files, ok, err := parseJSON(text); ok {
		return files, err
	}
	blocks := fences(text)
	for _, b := range blocks {
		if b.lang == "json" || b.lang == "" {
			if files, ok, err := parseJSON(b.body); ok {
				return files, err
			}
		}
	}
	var files []workspace.File
	for _, b := range blocks {
		if b.name == "" {
			continue
		}
		files = append(files, workspace.File{Path: b.name, Content: []byte(ensureNewline(b.body))})
	}
	if len(files) > 0 {
		return files, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnparseable, describe(text, len(blocks)))
}

// parseJSON decodes the files object at the start of s; ok is false when s
// is not such an object at all.
func parseJSON(s string) (files []workspace.File, ok bool, err error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		return nil, false, nil
	}
	var a answer
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&a); err != nil {
		return nil, false, nil
	}
	if a.Files == nil {
		return nil, false, nil
	}
	if len(a.Files) == 0 {
		return nil, true, fmt.Errorf("%w: the files list is empty", ErrUnparseable)
	}
	for i, f := range a.Files {
		if strings.TrimSpace(f.Path) == "" {
			return nil, true, fmt.Errorf("%w: file %d has no path", ErrUnparseable, i+1)
		}
		files = append(files, workspace.File{Path: strings.TrimSpace(f.Path), Content: []byte(ensureNewline(f.Content))})
	}
	return files, true, nil
}

type block struct {
	lang string // the fence's info string, lowercased
	name string // the file named on the line before it, if any
	body string
}

// fences splits text into its fenced blocks. An unclosed last fence runs
// to the end (a cut-off answer is reported by the caller, not here).
func fences(text string) []block {
	var out []block
	rest := text
	for {
		loc := fenceRE.FindStringSubmatchIndex(rest)
		if loc == nil {
			return out
		}
		marker := rest[loc[2]:loc[3]]
		lang := strings.ToLower(rest[loc[4]:loc[5]])
		before := rest[:loc[0]]
		body := rest[loc[1]:]
		end := closing(body, marker)
		b := block{lang: lang, name: fileName(lastLine(before))}
		if end < 0 {
			b.body = body
			rest = ""
		} else {
			b.body = body[:end]
			rest = body[end:]
			if i := strings.IndexByte(rest, '\n'); i >= 0 {
				rest = rest[i+1:]
			} else {
				rest = ""
			}
		}
		out = append(out, b)
	}
}

// closing returns the offset of the line closing a fence opened by marker.
func closing(body, marker string) int {
	off := 0
	for off <= len(body) {
		line := body[off:]
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, marker[:3]) && strings.Trim(t, marker[:1]) == "" && len(t) >= len(marker) {
			return off
		}
		if off+len(line) >= len(body) {
			return -1
		}
		off += len(line) + 1
	}
	return -1
}

func lastLine(s string) string {
	s = strings.TrimRight(s, " \t\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// fileName finds the file a line such as "### templates/service.yaml",
// "File: `Chart.yaml`" or "**values.yaml**:" names: its last word that
// looks like a path (has a slash or an extension).
func fileName(line string) string {
	line = strings.NewReplacer("`", " ", "*", " ", "#", " ", "\"", " ", "'", " ").Replace(line)
	fields := strings.Fields(line)
	for i := len(fields) - 1; i >= 0; i-- {
		w := strings.TrimRight(fields[i], ".:,")
		if pathRE.MatchString(w) && (strings.Contains(w, "/") || extRE.MatchString(w)) {
			return strings.TrimPrefix(w, "./")
		}
	}
	return ""
}

func ensureNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// describe says in a few words what an unusable answer looked like.
func describe(text string, blocks int) string {
	head := text
	if len(head) > 80 {
		head = head[:80] + "..."
	}
	head = string(bytes.ToValidUTF8([]byte(head), []byte("?")))
	if blocks > 0 {
		return fmt.Sprintf("%d fenced blocks but no line naming a file before them; it starts %q", blocks, head)
	}
	return fmt.Sprintf("no JSON object and no fenced blocks; it starts %q", head)
}
