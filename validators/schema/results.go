package schema

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"time"
)

// The results cache remembers, across runs, which objects were valid
// against an embedded schema, so that an unchanged object is not
// validated again: kubeconform compiles the schema of every kind it meets
// in each process, which is most of a short run's work (docs/benchmarks.md).
//
// An entry is named by the SHA-256 of the object's bytes, the strict flag,
// the Kubernetes version and the versions of kubeconform and its JSON
// Schema library, and lives in the cache folder of the embedded bundle
// (named by the bundle's hash), beside the schemas it was validated with:
// a change to any of them finds no entry. Only Valid outcomes of kinds
// whose schema is the embedded one (and that kubeconform read with the
// apiVersion and kind the schema was chosen by) are kept; an invalid object, a kind
// from the repository's CRDs or from a schema location, is validated every
// time, so its findings are always computed afresh. The entry holds what
// kubeconform said about the object (its apiVersion, kind, namespace and
// name), so a hit returns the same Result.

// resultEntry is what a cache entry holds.
type resultEntry struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Entries not used for resultsMaxAge are removed, at most once per
// resultsTrimEvery; a hit refreshes an entry's time at most once per
// resultsTouchEvery. Beyond resultsMaxEntries (each entry takes a disk
// block, about 4 KiB: 40 MiB), the least recently used go first, down to
// three quarters; a run that writes many entries checks that after every
// resultsTrimWrites of them.
const (
	resultsMaxAge     = 7 * 24 * time.Hour
	resultsTrimEvery  = 24 * time.Hour
	resultsTouchEvery = time.Hour
	resultsTrimWrites = 1000
)

// resultsMaxEntries is a variable so that a test can lower it.
var resultsMaxEntries = 10000

// validatorVersions names the build of aiden that decided an object's
// validity (its own code splits documents and builds the schemas, beside
// kubeconform and the JSON Schema library), read once: the Go build ID of
// the executable, which changes with any change to what was linked;
// without one, the module's version and VCS revision when the build is
// stamped with them. "" when neither tells builds apart: results are then
// not remembered.
var validatorVersions = sync.OnceValue(func() string {
	if id := goBuildID(); id != "" {
		return "aiden-schema-results-v2 build " + id
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, modified string
	for _, st := range info.Settings {
		switch st.Key {
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			modified = st.Value
		}
	}
	if rev == "" || modified == "true" {
		return ""
	}
	s := "aiden-schema-results-v2 " + info.Main.Version + " " + rev
	for _, m := range info.Deps {
		if m.Replace != nil && m.Replace.Version == "" {
			return "" // a dependency from a local folder: no version names it
		}
	}
	return s
})

// goBuildID returns the Go build ID of the running executable (the ELF
// note the Go linker writes), or "" when it cannot be read.
func goBuildID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	note, err := sec.Data()
	// The note: name size, description size, type (4 bytes each), the
	// name "Go\x00\x00", then the build ID.
	if err != nil || len(note) < 16 || string(note[12:16]) != "Go\x00\x00" {
		return ""
	}
	return string(bytes.TrimRight(note[16:], "\x00"))
}

// resultKey names the cache entry of one object's bytes.
func (v *Validator) resultKey(res []byte) string {
	h := sha256.New()
	h.Write([]byte(validatorVersions()))
	h.Write([]byte{0})
	h.Write([]byte(v.opts.KubernetesVersion + " strict=" + strconv.FormatBool(v.opts.Strict)))
	h.Write([]byte{0})
	h.Write(res)
	return hex.EncodeToString(h.Sum(nil))
}

func (v *Validator) resultPath(key string) string {
	return filepath.Join(v.results, key[:2], key)
}

// cachedResult returns the remembered outcome of d, if the object was
// found valid before against the same embedded schema. key is the
// entry's name when d may be remembered, "" otherwise.
func (v *Validator) cachedResult(d *document) (r Result, key string, hit bool) {
	if v.results == "" {
		return Result{}, "", false
	}
	av, kind, ok := signature(&d.res)
	if !ok {
		return Result{}, "", false
	}
	v.mu.Lock()
	embedded := v.embedded[av+"/"+kind]
	v.mu.Unlock()
	if !embedded {
		return Result{}, "", false
	}
	key = v.resultKey(d.res.Bytes)
	name := v.resultPath(key)
	data, err := os.ReadFile(name)
	if err != nil {
		return Result{}, key, false
	}
	var e resultEntry
	if json.Unmarshal(data, &e) != nil || e.Kind == "" {
		return Result{}, key, false // rewritten after validating
	}
	if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > resultsTouchEvery {
		now := time.Now()
		_ = os.Chtimes(name, now, now) // only delays its trimming
	}
	return Result{File: d.file, Line: d.line, APIVersion: e.APIVersion, Kind: e.Kind,
		Namespace: e.Namespace, Name: e.Name, Status: Valid}, key, true
}

// rememberResult keeps a Valid outcome under key. A failure to write is
// not an error: the object is validated again next time.
func (v *Validator) rememberResult(d *document, key string, r Result) {
	if key == "" || r.Status != Valid || len(r.Notes) > 0 {
		return
	}
	// Only when kubeconform read the kind the schema was chosen by.
	if av, kind, ok := signature(&d.res); !ok || av != r.APIVersion || kind != r.Kind {
		return
	}
	data, err := json.Marshal(resultEntry{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name})
	if err != nil {
		return
	}
	name := v.resultPath(key)
	os.Remove(name) // a malformed entry; writeFile keeps a file that is there
	if writeFile(name, data) == nil && v.writes.Add(1)%resultsTrimWrites == 0 {
		trimResults(v.results, true)
	}
}

// trimResults removes the entries not used for resultsMaxAge and, beyond
// resultsMaxEntries, the least recently used; unless forced, at most once
// per resultsTrimEvery (a marker file's time says when it last ran).
func trimResults(dir string, force bool) {
	marker := filepath.Join(dir, "trimmed")
	if fi, err := os.Stat(marker); !force && err == nil && time.Since(fi.ModTime()) < resultsTrimEvery {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		return
	}
	now := time.Now()
	_ = os.Chtimes(marker, now, now)
	cutoff := now.Add(-resultsMaxAge)
	type entry struct {
		path string
		used time.Time
	}
	var kept []entry
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || p == marker {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return nil
		}
		if fi.ModTime().Before(cutoff) {
			os.Remove(p)
			return nil
		}
		kept = append(kept, entry{p, fi.ModTime()})
		return nil
	})
	if len(kept) <= resultsMaxEntries {
		return
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].used.Before(kept[j].used) })
	for _, e := range kept[:len(kept)-resultsMaxEntries*3/4] {
		os.Remove(e.path)
	}
}
