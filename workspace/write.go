package workspace

import (
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
// root; "" or "." is the whole repository).
//
// It checks every file before writing any, so a bad path writes nothing:
// each path must pass Clean, lie Within dir, not be given twice, and not be
// both a file and the folder of another file. Its real location, found by
// resolving the symlinks of its existing parents, must stay inside dir's real
// location, so a symlink in the repository cannot carry a write outside it;
// an existing folder may not be overwritten by a file. Path errors are
// *PathError values.
//
// Folders are created 0o755 and files 0o644. Each file is written to a
// temporary file in its folder and renamed into place, so a reader never sees
// half a file; a symlink standing at a file's own path is replaced, not
// followed. The writes themselves go through an os.Root, so a symlink swapped
// in after the checks still cannot lead outside root. A failure part-way
// (a full disk) can leave the files written before it.
//
// Each path in remove (a file that the new files replace, such as a stale
// chart template) passes the same checks and is removed after the writes; a
// path that does not exist is ignored, and a folder is refused.
func Write(root, dir string, files []File, remove ...string) error {
	if dir == "" {
		dir = "."
	}
	d, err := Clean(dir)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
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

	realDir, _, err := resolve(r, resolvedRoot, d)
	if err != nil {
		return fmt.Errorf("write %s: %w", d, err)
	}

	paths := make(map[string][]byte, len(files))
	for _, f := range files {
		p, err := Clean(f.Path)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		switch {
		case p == ".":
			return fmt.Errorf("write: %w", &PathError{Path: f.Path, Reason: "names the root, not a file"})
		case !Within(d, p):
			return fmt.Errorf("write: %w", &PathError{Path: f.Path, Reason: "lies outside " + d})
		case paths[p] != nil:
			return fmt.Errorf("write: %w", &PathError{Path: f.Path, Reason: "is given twice"})
		}
		paths[p] = append([]byte{}, f.Content...) // non-nil even when empty
	}
	removals := map[string]bool{}
	for _, rp := range remove {
		p, err := Clean(rp)
		if err != nil {
			return fmt.Errorf("remove: %w", err)
		}
		switch {
		case p == ".":
			return fmt.Errorf("remove: %w", &PathError{Path: rp, Reason: "names the root, not a file"})
		case !Within(d, p):
			return fmt.Errorf("remove: %w", &PathError{Path: rp, Reason: "lies outside " + d})
		case paths[p] != nil:
			return fmt.Errorf("remove: %w", &PathError{Path: rp, Reason: "is both written and removed"})
		}
		removals[p] = true
	}
	order := make([]string, 0, len(paths)+len(removals))
	for p := range paths {
		order = append(order, p)
	}
	for p := range removals {
		order = append(order, p)
	}
	sort.Strings(order)
	for _, p := range order {
		for a := path.Dir(p); a != "."; a = path.Dir(a) {
			if paths[a] != nil {
				return fmt.Errorf("write: %w", &PathError{Path: a, Reason: "is a file and the folder of " + p})
			}
		}
		location, exists, err := resolve(r, resolvedRoot, p)
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if !inside(realDir, location) {
			return fmt.Errorf("write %s: symlink leads outside %s: %w", p, d, ErrLink)
		}
		if exists {
			if info, err := os.Stat(location); err == nil && info.IsDir() {
				return fmt.Errorf("write %s: is an existing folder", p)
			}
		}
	}

	for _, p := range order {
		if removals[p] {
			continue
		}
		if err := writeFile(r, p, paths[p]); err != nil {
			return err
		}
	}
	for _, p := range order {
		if !removals[p] {
			continue
		}
		if err := r.Remove(filepath.FromSlash(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	return nil
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

// writeFile writes content to the clean relative path p through r, by way of
// a temporary file renamed into place.
func writeFile(r *os.Root, p string, content []byte) error {
	name := filepath.FromSlash(p)
	parent := filepath.Dir(name)
	if err := r.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := filepath.Join(parent, "."+filepath.Base(name)+".aiden-"+hex.EncodeToString(suffix[:]))
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.Rename(tmp, name)
	}
	if err != nil {
		r.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
