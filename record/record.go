// Package record reads and writes the record aiden keeps in every app folder
// it writes: which files it wrote there, each with its sha256 digest, the
// intent and the author. The record lets aiden tell its own files, unchanged
// since it wrote them, from files written or changed by hand, which it never
// overwrites or deletes.
//
// The record is a short YAML file, sorted and free of timestamps, so that it
// reads well in a review and changes only when the files do:
//
//	# Written by aiden: the files it wrote in this folder, with their sha256.
//	# aiden overwrites or deletes only the files listed here whose content
//	# still has the digest shown; everything else in the folder is left alone.
//	version: 1
//	intent: Deploy a worker that runs ghcr.io/acme/worker:1.0
//	author: planner
//	aiden: (devel)
//	files:
//	  Chart.yaml: sha256:6b2c…
//	  templates/deployment.yaml: sha256:0f1e…
package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"runtime/debug"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/workspace"
)

// Path is where the record lives, relative to the app folder.
const Path = ".aiden/record.yaml"

// Version is the format version Marshal writes and Parse accepts.
const Version = 1

// Record is what aiden wrote in one app folder.
type Record struct {
	// Version is the format version.
	Version int
	// Intent is the sentence of the generation or change that last wrote
	// files here.
	Intent string
	// Author is "planner", or "model NAME" when a model wrote the files.
	Author string
	// Aiden is the version of aiden that wrote the record.
	Aiden string
	// Files maps each file aiden wrote (a path relative to the app folder)
	// to the digest of the content it wrote (see Digest).
	Files map[string]string
}

// State is what became of a file since aiden wrote it.
type State int

// States of a file.
const (
	// Unknown files are not in the record: aiden did not write them.
	Unknown State = iota
	// Unchanged files still have the content aiden wrote.
	Unchanged
	// Changed files are in the record but their content differs: they
	// were changed by hand since aiden wrote them.
	Changed
)

// Digest is the record's digest of content: "sha256:" and the hex sum.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// New returns an empty record of the current version, written by author
// for intent.
func New(intent, author string) *Record {
	return &Record{Version: Version, Intent: intent, Author: author, Aiden: AidenVersion(), Files: map[string]string{}}
}

// AidenVersion is the version of the running aiden: the module version it
// was built at, or "(devel)" for a build from a work tree.
func AidenVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// State says what became of the file rel (relative to the app folder),
// whose content is now content, since aiden wrote it. A nil record knows
// no file.
func (r *Record) State(rel string, content []byte) State {
	if r == nil {
		return Unknown
	}
	d, ok := r.Files[rel]
	switch {
	case !ok:
		return Unknown
	case d == Digest(content):
		return Unchanged
	}
	return Changed
}

// Has reports whether aiden wrote the file rel (relative to the app
// folder), whatever its content now.
func (r *Record) Has(rel string) bool {
	if r == nil {
		return false
	}
	_, ok := r.Files[rel]
	return ok
}

// file is the record as YAML. Field order is the order written.
type file struct {
	Version int               `yaml:"version"`
	Intent  string            `yaml:"intent"`
	Author  string            `yaml:"author"`
	Aiden   string            `yaml:"aiden"`
	Files   map[string]string `yaml:"files"`
}

const header = `# Written by aiden: the files it wrote in this folder, with their sha256.
# aiden overwrites or deletes only the files listed here whose content
# still has the digest shown; everything else in the folder is left alone.
`

// Marshal returns the record as YAML, files sorted by path.
func (r *Record) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	// yaml.v3 sorts map keys, which keeps the files in path order.
	if err := enc.Encode(file{Version: r.Version, Intent: r.Intent, Author: r.Author, Aiden: r.Aiden, Files: r.Files}); err != nil {
		// Strings and a map of strings always encode.
		panic(fmt.Sprintf("record: encode: %v", err))
	}
	enc.Close()
	return b.Bytes()
}

// Parse reads a record. It refuses an unknown version, unknown fields, a
// file path that is not clean and relative, and a digest that is not a
// sha256 sum, naming what is wrong.
func Parse(data []byte) (*Record, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse record: %w", err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("parse record: version %d is not supported (want %d)", f.Version, Version)
	}
	files := make(map[string]string, len(f.Files))
	for p, d := range f.Files {
		c, err := workspace.Clean(p)
		if err != nil || c != p || c == "." {
			return nil, fmt.Errorf("parse record: file %q is not a clean path relative to the app folder", p)
		}
		sum, ok := strings.CutPrefix(d, "sha256:")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 2*sha256.Size {
			return nil, fmt.Errorf("parse record: file %s: digest %q is not sha256:<64 hex digits>", p, d)
		}
		files[p] = d
	}
	return &Record{Version: f.Version, Intent: f.Intent, Author: f.Author, Aiden: f.Aiden, Files: files}, nil
}

// Read returns the record of the app folder app (a repository path) from
// files (repository paths), or nil when files hold none.
func Read(app string, files []workspace.File) (*Record, error) {
	p := path.Join(app, Path)
	for _, f := range files {
		if c, err := workspace.Clean(f.Path); err == nil && c == p {
			r, err := Parse(f.Content)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			return r, nil
		}
	}
	return nil, nil
}

// Paths returns the record's files, sorted.
func (r *Record) Paths() []string {
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.Files))
	for p := range r.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
