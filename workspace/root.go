package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FindRoot finds the repository that holds dir and returns its root with
// dir's slash-separated path relative to it ("." when dir is the root).
//
// dir need not exist yet (an output folder that generation will create): the
// search starts from its nearest existing ancestor, which must be a folder.
// Symlinks in the existing part are resolved first, so root is a resolved path
// and rel never climbs out of it.
//
// The root is the nearest folder, walking up, that holds a generation config
// (ConfigPath: a GitOps repository kept in a folder of a larger one) or a
// ".git" entry (a folder, or a file as in worktrees and submodules). Without
// either, the root is the current folder when dir lies below it, and dir's
// parent otherwise; never the filesystem root (a dir whose parent is the
// filesystem root is an error), and never a folder that depends on what
// already exists, so that the same command names the same paths the first
// time and every time after.
func FindRoot(dir string) (root, rel string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("find root of %s: %w", dir, err)
	}
	existing, missing := abs, ""
	for {
		info, err := os.Stat(existing)
		if err == nil {
			if !info.IsDir() {
				return "", "", fmt.Errorf("find root of %s: %s is not a folder", dir, existing)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("find root of %s: %w", dir, err)
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return "", "", fmt.Errorf("find root of %s: %w", dir, err)
		}
		missing = filepath.Join(filepath.Base(existing), missing)
		existing = parent
	}
	resolved, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", "", fmt.Errorf("find root of %s: %w", dir, err)
	}
	target := filepath.Join(resolved, missing)

	root = ""
	for d := resolved; ; {
		if IsRepository(d) {
			root = d
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if root == "" {
		root = filepath.Dir(target)
		if wd, err := os.Getwd(); err == nil {
			if wd, err = filepath.EvalSymlinks(wd); err == nil && !isFSRoot(wd) {
				if r, err := filepath.Rel(wd, target); err == nil && r != "." && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
					root = wd
				}
			}
		}
		if isFSRoot(root) {
			return "", "", fmt.Errorf("find root of %s: it is in no repository, and its parent is the filesystem root: name a deeper folder, or run git init in the folder that should be the root", dir)
		}
	}
	r, err := filepath.Rel(root, target)
	if err != nil {
		return "", "", fmt.Errorf("find root of %s: %w", dir, err)
	}
	return root, filepath.ToSlash(r), nil
}

// isFSRoot reports whether the absolute path dir is a filesystem root.
func isFSRoot(dir string) bool { return filepath.Dir(dir) == dir }

// IsRepository reports whether the folder dir is the root of a repository
// as FindRoot finds them: it holds a ".git" entry or a generation config.
// The folder FindRoot falls back on when there is none is not.
func IsRepository(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(ConfigPath)))
	return err == nil && info.Mode().IsRegular()
}

// FindConfig returns the nearest folder at or above p (an existing file or
// folder) that holds ConfigPath, looking no higher than the repository root
// FindRoot finds for p; found is false when there is none. The folder is a
// resolved path, so that paths below it can be made relative to it.
func FindConfig(p string) (root string, found bool, err error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false, fmt.Errorf("find config for %s: %w", p, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", false, fmt.Errorf("find config for %s: %w", p, err)
	}
	if !info.IsDir() {
		abs = filepath.Dir(abs)
	}
	dir, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", false, fmt.Errorf("find config for %s: %w", p, err)
	}
	top, _, err := FindRoot(dir)
	if err != nil {
		return "", false, fmt.Errorf("find config for %s: %w", p, err)
	}
	for {
		if info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(ConfigPath))); err == nil && info.Mode().IsRegular() {
			return dir, true, nil
		}
		parent := filepath.Dir(dir)
		if dir == top || parent == dir {
			return "", false, nil
		}
		dir = parent
	}
}
