package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrLink is wrapped by the errors of links that must not be read: a
// symlink that resolves outside the repository, or into its .git folder
// (whose config can hold a remote URL with a token, and whose hooks are
// code).
var ErrLink = errors.New("refused")

// CheckLink resolves the real location of the path full (absolute, under
// the absolute, symlink-free root) and reports whether it may be read: it
// returns the real location when it lies inside root and outside any .git
// folder, and otherwise an error wrapping ErrLink that names rel, the path
// as the caller knows it, and never the link's absolute target. A missing
// file or a dangling link is an error wrapping fs.ErrNotExist.
//
// Every reader of repository files goes through it (Limits.Load, More,
// Follow, and the CLI's validate paths through Contained), so a link cannot
// smuggle .git/config or a file outside the repository into a workspace,
// a prompt or a patch.
func CheckLink(root, full, rel string) (string, error) {
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, bare(err))
	}
	if !inside(root, resolved) {
		return "", fmt.Errorf("%s: symlink leads outside the repository: %w", rel, ErrLink)
	}
	if r, ok := intoGit(root, resolved); ok {
		return "", fmt.Errorf("%s: symlink leads into the .git folder (%s): %w", rel, r, ErrLink)
	}
	return resolved, nil
}

// intoGit reports whether the real location p, inside root, lies in a .git
// folder (in any letter case), and returns it relative to root.
func intoGit(root, p string) (string, bool) {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return "", false
	}
	r = filepath.ToSlash(r)
	for _, elem := range strings.Split(r, "/") {
		if strings.EqualFold(elem, ".git") {
			return r, true
		}
	}
	return "", false
}

// Contained reads the file at p (a path as a user typed it) when it may be
// read: a symlink among p's elements must resolve inside the repository
// holding p (see FindRoot) and outside its .git folder. Errors name p as
// given and never an absolute target.
func Contained(p string) ([]byte, error) {
	root, _, err := FindRoot(filepath.Dir(p))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, bare(err))
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, bare(err))
	}
	real, err := CheckLink(root, abs, p)
	if err != nil {
		return nil, fmt.Errorf("read %w", err)
	}
	b, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, bare(err))
	}
	return b, nil
}

// bare strips the path from errors of package os, which would name an
// absolute location: "open /home/u/repo/x: permission denied" becomes
// "permission denied". errors.Is still sees the cause.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
