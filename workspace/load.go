package workspace

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ErrLimit is wrapped by the errors Load returns when the workspace is larger
// than its Limits allow.
var ErrLimit = errors.New("workspace exceeds limits")

// Limits bounds what Load reads, so that a request cannot pull a whole
// monorepo into memory (and into a model's context).
type Limits struct {
	MaxFileBytes  int64 // largest single file; 0 means 1 MiB
	MaxTotalBytes int64 // sum of all files; 0 means 16 MiB
	MaxFiles      int   // number of files; 0 means 2,000
}

// DefaultLimits returns the limits Load uses.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 1 << 20, MaxTotalBytes: 16 << 20, MaxFiles: 2000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	return l
}

// Paths of the repository that every generation reads, relative to the root.
const (
	ConfigPath  = ".stackgen/generation-config.yaml"
	ExamplesDir = ".stackgen/examples"
	PoliciesDir = "policies"
)

// Load reads, with DefaultLimits, the workspace files a generation of target
// needs from the repository at root. See Limits.Load.
func Load(root, target string) ([]File, error) {
	return DefaultLimits().Load(root, target)
}

// Load reads the workspace files a generation of target (a folder relative
// to root) needs: the generation config (ConfigPath), everything under
// ExamplesDir and PoliciesDir, everything already under target, and the
// kustomization.yaml (or .yml) of target's parent folder, which a new app is
// registered in. Missing entries are simply absent from the result; files are
// sorted by path.
//
// Load skips ".git" entries, files that are not regular (devices, FIFOs,
// sockets), names that Clean would reject, and symlinked folders met while
// walking (they are not followed, which also rules out cycles). A symlink to
// a file inside root is read under the link's name. A symlink that resolves
// outside root or into a .git folder is an error wrapping ErrLink that names
// the link by its path relative to root (see CheckLink): its content is
// never read. No error names an absolute path.
// Exceeding a limit is an error wrapping ErrLimit.
func (l Limits) Load(root, target string) ([]File, error) {
	t, err := Clean(target)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	ld, err := l.loader(root, nil, nil)
	if err != nil {
		return nil, err
	}
	entries := []string{ConfigPath, ExamplesDir, PoliciesDir, t}
	if t != "." {
		parent := path.Dir(t)
		entries = append(entries, path.Join(parent, "kustomization.yaml"), path.Join(parent, "kustomization.yml"))
	}
	for _, e := range entries {
		if err := ld.add(e); err != nil {
			return nil, err
		}
	}
	return ld.sorted(), nil
}

// More reads, as Load does (confined to root, within the limits), the
// files and folders entries name (clean paths relative to root) that have
// lacks; have counts against the limits. In folders only the files whose
// path keep accepts are read (nil keeps all). Absent entries are skipped.
// It returns the files read, sorted by path.
func (l Limits) More(root string, have []File, keep func(rel string) bool, entries ...string) ([]File, error) {
	ld, err := l.loader(root, have, keep)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		c, err := Clean(e)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		if err := ld.add(c); err != nil {
			return nil, err
		}
	}
	return ld.sorted(), nil
}

// Follow reads the files and folders entries name, then those refs names
// for what was read, and so on until refs names nothing new: the files a
// set of files refers to, transitively (kustomize.Refs, for example). It
// reads as More does. Paths that Clean rejects, such as one leading above
// the root, are not read; the caller reports them. It returns the files
// read, sorted by path.
func (l Limits) Follow(root string, have []File, entries []string, refs func(read []File) []string) ([]File, error) {
	ld, err := l.loader(root, have, nil)
	if err != nil {
		return nil, err
	}
	visited := map[string]bool{}
	for len(entries) > 0 {
		start := len(ld.files)
		for _, e := range entries {
			c, err := Clean(e)
			if err != nil || visited[c] {
				continue
			}
			visited[c] = true
			if err := ld.add(c); err != nil {
				return nil, err
			}
		}
		entries = refs(ld.files[start:])
	}
	return ld.sorted(), nil
}

// loader returns a loader for the repository at root that already holds
// have.
func (l Limits) loader(root string, have []File, keep func(string) bool) (*loader, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	if info, err := os.Stat(resolved); err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	} else if !info.IsDir() {
		return nil, fmt.Errorf("load %s: not a folder", root)
	}
	ld := &loader{lim: l.withDefaults(), root: resolved, seen: map[string]bool{}, keep: keep, held: len(have)}
	for _, f := range have {
		ld.seen[f.Path] = true
		ld.total += int64(len(f.Content))
	}
	return ld, nil
}

type loader struct {
	lim   Limits
	root  string // absolute, symlinks resolved
	seen  map[string]bool
	keep  func(rel string) bool // which files of a folder to read; nil: all
	files []File
	held  int // files the caller already holds, counted against MaxFiles
	total int64
}

func (ld *loader) sorted() []File {
	sort.Slice(ld.files, func(i, j int) bool { return ld.files[i].Path < ld.files[j].Path })
	return ld.files
}

// add loads the file or folder at the clean relative path rel.
func (ld *loader) add(rel string) error {
	full := filepath.Join(ld.root, filepath.FromSlash(rel))
	resolved, err := CheckLink(ld.root, full, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // absent, or a dangling link: nothing to read
	}
	if err != nil {
		return fmt.Errorf("load %w", err)
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return fmt.Errorf("load %s: %w", rel, bare(err))
	}
	if info.IsDir() {
		return ld.walk(rel, resolved)
	}
	return ld.read(rel, resolved, info)
}

// walk loads the folder whose real path is dir under the name rel.
func (ld *loader) walk(rel, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("load %s: %w", rel, bare(err))
		}
		if strings.EqualFold(d.Name(), ".git") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		sub, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("load %s: %w", rel, err)
		}
		name := path.Join(rel, filepath.ToSlash(sub))
		if _, err := Clean(name); err != nil {
			return nil // a name no caller could address
		}
		if ld.keep != nil && !ld.keep(name) {
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 {
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("load %s: %w", name, bare(err))
			}
			return ld.read(name, p, info)
		}
		target, err := CheckLink(ld.root, p, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load %w", err)
		}
		info, err := os.Stat(target)
		if err != nil {
			return fmt.Errorf("load %s: %w", name, bare(err))
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		return ld.read(name, target, info)
	})
}

// read loads the regular file at the real path p under the name rel.
func (ld *loader) read(rel, p string, info fs.FileInfo) error {
	if ld.seen[rel] || !info.Mode().IsRegular() {
		return nil
	}
	ld.seen[rel] = true
	if ld.held+len(ld.files) >= ld.lim.MaxFiles {
		return fmt.Errorf("load %s: %w: more than %d files", rel, ErrLimit, ld.lim.MaxFiles)
	}
	if info.Size() > ld.lim.MaxFileBytes {
		return fmt.Errorf("load %s: %w: file is %d bytes, the limit is %d", rel, ErrLimit, info.Size(), ld.lim.MaxFileBytes)
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("load %s: %w", rel, bare(err))
	}
	defer f.Close()
	// The file may grow after Stat; read one byte past the limit to notice.
	content, err := io.ReadAll(io.LimitReader(f, ld.lim.MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("load %s: %w", rel, bare(err))
	}
	if int64(len(content)) > ld.lim.MaxFileBytes {
		return fmt.Errorf("load %s: %w: file is over %d bytes", rel, ErrLimit, ld.lim.MaxFileBytes)
	}
	if ld.total+int64(len(content)) > ld.lim.MaxTotalBytes {
		return fmt.Errorf("load %s: %w: files total more than %d bytes", rel, ErrLimit, ld.lim.MaxTotalBytes)
	}
	ld.total += int64(len(content))
	ld.files = append(ld.files, File{Path: rel, Content: content})
	return nil
}

// inside reports whether the absolute path p is root or lies below it.
func inside(root, p string) bool {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return r == "." || (r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r))
}

// scanMaxBytes bounds what Scan reads in all.
const scanMaxBytes = 64 << 20

// Scan looks through the whole repository at root for the files that have
// lacks, whose path name accepts and that keep accepts once read, and
// returns them, sorted by path. It is a search, so it is best effort and
// never fails for what it meets: it skips hidden folders, node_modules and
// vendor, symlinks, names Clean rejects and files over MaxFileBytes, and it
// stops, returning what it found, once it has read scanMaxBytes or when the
// files held (have and those found) would pass half of MaxFiles or of
// MaxTotalBytes, which leaves room for what More and Follow read next. An
// error means root cannot be read.
func (l Limits) Scan(root string, have []File, name func(rel string) bool, keep func(rel string, content []byte) bool) ([]File, error) {
	ld, err := l.loader(root, have, nil)
	if err != nil {
		return nil, err
	}
	var read int64
	errStop := errors.New("stop")
	_ = filepath.WalkDir(ld.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != ld.root {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if n := d.Name(); p != ld.root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symlinks are not followed here
		}
		rel, err := filepath.Rel(ld.root, p)
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if _, err := Clean(rel); err != nil || ld.seen[rel] || !name(rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > ld.lim.MaxFileBytes {
			return nil
		}
		if read += info.Size(); read > scanMaxBytes {
			return errStop
		}
		content, err := os.ReadFile(p)
		if err != nil || int64(len(content)) > ld.lim.MaxFileBytes || !keep(rel, content) {
			return nil
		}
		if ld.held+len(ld.files) >= ld.lim.MaxFiles/2 || ld.total+int64(len(content)) > ld.lim.MaxTotalBytes/2 {
			return errStop
		}
		ld.seen[rel] = true
		ld.total += int64(len(content))
		ld.files = append(ld.files, File{Path: rel, Content: content})
		return nil
	})
	return ld.sorted(), nil
}
