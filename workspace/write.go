package workspace

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Write writes files under root, but only inside dir (a path relative to
// root; "" or "." is the whole repository), and removes the paths in remove.
// It is WriteAll with one Change.
func Write(root, dir string, files []File, remove ...string) error {
	return WriteAll(root, Change{Dir: dir, Files: files, Remove: remove})
}

// Change is a set of files to write and paths to remove, all inside Dir.
type Change struct {
	// Dir is the folder, relative to the root, that every path must lie in;
	// "" or "." is the whole repository.
	Dir string
	// Files are the files to write.
	Files []File
	// Remove lists the files to remove (such as stale chart templates).
	Remove []string
}

// WriteAll writes the files and removes the paths of every change under root
// as one transaction: all of it happens, or none of it.
//
// It checks every path before touching the disk, so a bad path writes
// nothing: each path must pass Clean, lie Within its change's Dir, not be
// given twice, and not be both a file and the folder of another file. Its
// real location, found by resolving the symlinks of its existing parents,
// must stay inside the real location of its Dir, so a symlink in the
// repository cannot carry a write outside it; an existing folder may not be
// overwritten by a file or removed. Path errors are *PathError values.
//
// Then every file is first written to a temporary file in its folder
// (folders are created 0o755, new files 0o644; a file overwritten keeps its
// permissions); only when all are staged is each existing file moved aside
// to a backup in its folder and the new one renamed into place, and each
// path in remove moved to a backup. A failure at any step undoes the steps
// before it: backups are moved back, new files and the folders created for
// them are removed, so the tree is as it was. The backups are removed at the
// end; failing that, the new files are in place and the error names the
// backups left. A symlink standing at a file's own path is replaced, not
// followed. The writes go through an os.Root, so a symlink swapped in after
// the checks still cannot lead outside root. A path in remove that does not
// exist is ignored.
func WriteAll(root string, changes ...Change) error {
	return writeAll(root, nil, changes...)
}

// writeAll is WriteAll; wrap, when not nil, wraps the disk the transaction
// changes (tests inject faults with it).
func writeAll(root string, wrap func(fsys) fsys, changes ...Change) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("write %s: %w", root, err)
	}
	resolvedRoot, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("write %s: %w", root, err)
	}
	r, err := os.OpenRoot(resolvedRoot)
	if err != nil {
		return fmt.Errorf("write %s: %w", root, err)
	}
	defer r.Close()

	w := writePlan{paths: map[string][]byte{}, removals: map[string]bool{}, realDirs: map[string]string{}, dirs: map[string]string{}}
	for _, c := range changes {
		if err := w.add(r, resolvedRoot, c); err != nil {
			return err
		}
	}
	order, err := w.check(r, resolvedRoot)
	if err != nil {
		return err
	}
	t := &tx{fs: r}
	if wrap != nil {
		t.fs = wrap(r)
	}
	if err := t.run(order, w.paths, w.removals); err != nil {
		if rerr := t.rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	return t.cleanup()
}

// writePlan is what a set of changes writes and removes, path by path.
type writePlan struct {
	paths    map[string][]byte // path -> content, non-nil even when empty
	removals map[string]bool
	realDirs map[string]string // path -> the real location of its change's Dir
	dirs     map[string]string // path -> its change's Dir, for messages
}

// add takes in the files c writes and removes, refusing paths that are
// not clean, name the root, lie outside c.Dir or are given twice.
func (w *writePlan) add(r *os.Root, resolvedRoot string, c Change) error {
	d, err := Clean(cmp.Or(c.Dir, "."))
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	realDir, _, err := resolve(r, resolvedRoot, d)
	if err != nil {
		return fmt.Errorf("write %s: %w", d, err)
	}
	for _, f := range c.Files {
		p, err := Clean(f.Path)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		switch {
		case p == ".":
			return fmt.Errorf("write: %w", &PathError{Path: f.Path, Reason: "names the root, not a file"})
		case !Within(d, p):
			return fmt.Errorf("write: %w", &PathError{Path: f.Path, Reason: "lies outside " + d})
		case w.paths[p] != nil:
			return fmt.Errorf("write: %w", &PathError{Path: f.Path, Reason: "is given twice"})
		}
		w.paths[p] = append([]byte{}, f.Content...)
		w.realDirs[p], w.dirs[p] = realDir, d
	}
	for _, rp := range c.Remove {
		p, err := Clean(rp)
		if err != nil {
			return fmt.Errorf("remove: %w", err)
		}
		switch {
		case p == ".":
			return fmt.Errorf("remove: %w", &PathError{Path: rp, Reason: "names the root, not a file"})
		case !Within(d, p):
			return fmt.Errorf("remove: %w", &PathError{Path: rp, Reason: "lies outside " + d})
		}
		w.removals[p] = true
		w.realDirs[p], w.dirs[p] = realDir, d
	}
	return nil
}

// check refuses a plan that writes and removes one path, writes a file
// where another needs a folder, follows a symlink out of a change's
// folder, or writes over a folder; it returns the paths in order.
func (w *writePlan) check(r *os.Root, resolvedRoot string) ([]string, error) {
	for p := range w.removals {
		if w.paths[p] != nil {
			return nil, fmt.Errorf("remove: %w", &PathError{Path: p, Reason: "is both written and removed"})
		}
	}
	order := make([]string, 0, len(w.paths)+len(w.removals))
	for p := range w.paths {
		order = append(order, p)
	}
	for p := range w.removals {
		order = append(order, p)
	}
	sort.Strings(order)
	for _, p := range order {
		for a := path.Dir(p); a != "."; a = path.Dir(a) {
			if w.paths[a] != nil {
				return nil, fmt.Errorf("write: %w", &PathError{Path: a, Reason: "is a file and the folder of " + p})
			}
		}
		location, exists, err := resolve(r, resolvedRoot, p)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		if !inside(w.realDirs[p], location) {
			return nil, fmt.Errorf("write %s: symlink leads outside %s: %w", p, w.dirs[p], ErrLink)
		}
		if exists {
			if info, err := os.Stat(location); err == nil && info.IsDir() {
				return nil, fmt.Errorf("write %s: is an existing folder", p)
			}
		}
	}
	return order, nil
}

// fsys is what a transaction does to the disk; *os.Root is one. Names are
// OS paths relative to the root.
type fsys interface {
	Mkdir(name string, perm fs.FileMode) error
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	Lstat(name string) (fs.FileInfo, error)
}

// tx is one write transaction: what it has done so far, so that it can be
// undone.
type tx struct {
	fs      fsys
	created []string          // folders made, parents first
	staged  map[string]string // path -> its temporary file, until renamed into place
	steps   []step            // paths changed, in order
}

// step is one path changed: placed when the new file is in place, backup
// when the old one was moved aside.
type step struct {
	name, backup string
	placed       bool
}

// run stages every file, then puts them in place and moves the removals
// aside.
func (t *tx) run(order []string, paths map[string][]byte, removals map[string]bool) error {
	t.staged = map[string]string{}
	for _, p := range order {
		if removals[p] {
			continue
		}
		if err := t.stage(p, paths[p]); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	for _, p := range order {
		name := filepath.FromSlash(p)
		st := step{name: name}
		if _, err := t.fs.Lstat(name); err == nil {
			st.backup = aside(name, "bak")
			if err := t.fs.Rename(name, st.backup); err != nil {
				return fmt.Errorf("write %s: move the old file aside: %w", p, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %s: %w", p, err)
		}
		t.steps = append(t.steps, st)
		if removals[p] {
			continue
		}
		if err := t.fs.Rename(t.staged[name], name); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		delete(t.staged, name)
		t.steps[len(t.steps)-1].placed = true
	}
	return nil
}

// stage writes content to a temporary file in the folder of the clean
// relative path p, creating the folder if need be. The temporary file takes
// the permissions of the file it will replace, if any.
func (t *tx) stage(p string, content []byte) error {
	name := filepath.FromSlash(p)
	if err := t.mkdirs(filepath.Dir(name)); err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if info, err := t.fs.Lstat(name); err == nil && info.Mode().IsRegular() {
		perm = info.Mode().Perm()
	}
	tmp := aside(name, "tmp")
	f, err := t.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	t.staged[name] = tmp
	_, err = f.Write(content)
	if err == nil && perm != 0o644 {
		err = f.Chmod(perm) // OpenFile's permissions pass through the umask
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirs creates the folder dir and its missing parents, remembering each.
func (t *tx) mkdirs(dir string) error {
	if dir == "." {
		return nil
	}
	if info, err := t.fs.Lstat(dir); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("%s is not a folder", filepath.ToSlash(dir))
		}
		return nil
	}
	if err := t.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := t.fs.Mkdir(dir, 0o755); err != nil {
		return err
	}
	t.created = append(t.created, dir)
	return nil
}

// rollback undoes every step, newest first, then removes the temporary
// files and the folders created. It tries everything and reports what
// failed.
func (t *tx) rollback() error {
	var errs []error
	for i := len(t.steps) - 1; i >= 0; i-- {
		st := t.steps[i]
		switch {
		case st.backup != "":
			// Renaming the backup over the new file restores the old one.
			if err := t.fs.Rename(st.backup, st.name); err != nil {
				errs = append(errs, fmt.Errorf("restore %s from %s: %w", filepath.ToSlash(st.name), filepath.ToSlash(st.backup), err))
			}
		case st.placed:
			if err := t.fs.Remove(st.name); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", filepath.ToSlash(st.name), err))
			}
		}
	}
	for _, tmp := range t.staged {
		if err := t.fs.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", filepath.ToSlash(tmp), err))
		}
	}
	for i := len(t.created) - 1; i >= 0; i-- {
		if err := t.fs.Remove(t.created[i]); err != nil {
			errs = append(errs, fmt.Errorf("remove folder %s: %w", filepath.ToSlash(t.created[i]), err))
		}
	}
	return errors.Join(errs...)
}

// cleanup removes the backups once everything is in place.
func (t *tx) cleanup() error {
	var errs []error
	for _, st := range t.steps {
		if st.backup != "" {
			if err := t.fs.Remove(st.backup); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("written, but the backup %s is left: %w", filepath.ToSlash(st.backup), err))
			}
		}
	}
	return errors.Join(errs...)
}

// aside names a hidden file beside name for a transaction's temporary file
// or backup; it does not grow with name's length, so it is never too long
// where name is not.
func aside(name, kind string) string {
	var suffix [6]byte
	rand.Read(suffix[:])
	return filepath.Join(filepath.Dir(name), ".aiden-"+hex.EncodeToString(suffix[:])+"."+kind)
}

// resolve returns the real location of the clean relative path rel under
// root (absolute, symlinks resolved): the symlinks of its longest existing
// prefix resolved and the missing rest appended. exists reports whether the
// whole path exists. The existing prefix must resolve inside root, must be a
// folder, must not be a dangling symlink, and must be reachable through r
// (which also refuses absolute links).
func resolve(r *os.Root, root, rel string) (location string, exists bool, err error) {
	cur, missing := rel, ""
	for {
		full := filepath.Join(root, filepath.FromSlash(cur))
		resolved, err := filepath.EvalSymlinks(full)
		if err == nil {
			if !inside(root, resolved) {
				return "", false, fmt.Errorf("symlink leads outside the repository: %w", ErrLink)
			}
			if r, ok := intoGit(root, resolved); ok {
				return "", false, fmt.Errorf("symlink leads into the .git folder (%s): %w", r, ErrLink)
			}
			// The folder the write will go through must be reachable through r.
			folder := cur
			if missing == "" {
				folder = path.Dir(cur)
			}
			info, err := r.Stat(filepath.FromSlash(folder))
			if err != nil {
				return "", false, err
			}
			if !info.IsDir() {
				return "", false, fmt.Errorf("%s is not a folder", folder)
			}
			return filepath.Join(resolved, filepath.FromSlash(missing)), missing == "", nil
		}
		if !errors.Is(err, fs.ErrNotExist) || cur == "." {
			return "", false, err
		}
		if _, lerr := os.Lstat(full); lerr == nil && missing != "" {
			return "", false, fmt.Errorf("%s is a dangling symlink", cur)
		}
		missing = path.Join(path.Base(cur), missing)
		cur = path.Dir(cur)
	}
}
