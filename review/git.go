package review

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// repo is a git repository's work tree, driven through the git CLI.
type repo struct {
	top string // the work tree's top folder, resolved
}

// openRepo finds the git work tree that holds dir.
func openRepo(ctx context.Context, dir string) (*repo, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("find the git repository of %s: %w", dir, err)
	}
	top, err := filepath.EvalSymlinks(strings.TrimSpace(out))
	if err != nil {
		return nil, fmt.Errorf("find the git repository of %s: %w", dir, err)
	}
	return &repo{top: top}, nil
}

// git runs git in dir and returns its standard output; the error carries
// git's own message.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.String(), nil
}

// resolve returns the commit base names and a short name for it. An
// empty base is the merge base of HEAD with the default branch: the
// remote's HEAD (origin/HEAD), else origin/main, origin/master, main or
// master, the first that exists.
func (r *repo) resolve(ctx context.Context, base string) (commit, name string, err error) {
	if base == "" {
		branch, err := r.defaultBranch(ctx)
		if err != nil {
			return "", "", err
		}
		out, err := git(ctx, r.top, "merge-base", "HEAD", branch)
		if err != nil {
			return "", "", fmt.Errorf("find the merge base with %s: %w", branch, err)
		}
		c := strings.TrimSpace(out)
		return c, "merge base with " + branch, nil
	}
	if strings.HasPrefix(base, "-") {
		return "", "", fmt.Errorf("--base %q is not a git revision", base)
	}
	out, err := git(ctx, r.top, "rev-parse", "--verify", "--quiet", "--end-of-options", base+"^{commit}")
	if err != nil {
		return "", "", fmt.Errorf("--base %q is not a commit in %s", base, r.top)
	}
	return strings.TrimSpace(out), base, nil
}

func (r *repo) defaultBranch(ctx context.Context) (string, error) {
	if out, err := git(ctx, r.top, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"); err == nil {
		return strings.TrimSpace(out), nil
	}
	for _, b := range []string{"origin/main", "origin/master", "main", "master"} {
		if _, err := git(ctx, r.top, "rev-parse", "--verify", "--quiet", b+"^{commit}"); err == nil {
			return b, nil
		}
	}
	return "", errors.New("no default branch found (origin/HEAD, origin/main, origin/master, main, master): give --base")
}

// changed lists the files that differ between commit and the work tree,
// untracked files included, as slash paths relative to the top.
func (r *repo) changed(ctx context.Context, commit string) ([]string, error) {
	out, err := git(ctx, r.top, "diff", "--name-only", "--no-renames", "-z", commit, "--")
	if err != nil {
		return nil, fmt.Errorf("list the changed files: %w", err)
	}
	untracked, err := git(ctx, r.top, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, fmt.Errorf("list the untracked files: %w", err)
	}
	var files []string
	for _, s := range strings.Split(out+untracked, "\x00") {
		if s != "" {
			files = append(files, s)
		}
	}
	return files, nil
}

// materializeWorkTree writes into dir the work tree's files git lists:
// the tracked files as they are now and the untracked files no ignore
// rule (.gitignore, .git/info/exclude, core.excludesFile) excludes, as
// `git ls-files --cached --others --exclude-standard` lists them.
// Regular files only, as materialize writes the base: a symbolic link is
// left out, and a tracked file the work tree deletes is absent.
func (r *repo) materializeWorkTree(ctx context.Context, dir string) error {
	out, err := git(ctx, r.top, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
	if err != nil {
		return fmt.Errorf("materialize the work tree: %w", err)
	}
	seen := map[string]bool{}
	for _, name := range strings.Split(out, "\x00") {
		if name == "" || seen[name] {
			continue // a conflicted file is listed once per stage
		}
		seen[name] = true
		src := filepath.Join(r.top, filepath.FromSlash(name))
		if fi, err := os.Lstat(src); err != nil || !fi.Mode().IsRegular() {
			continue // deleted, a link, or a submodule
		}
		if err := copyFile(src, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			return fmt.Errorf("materialize the work tree: copy %s: %w", name, err)
		}
	}
	return nil
}

// copyFile copies the regular file src to dst, making dst's folders.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// materialize writes the tree of commit into dir (git archive), regular
// files and folders only: a symbolic link in the tree is left out, so
// nothing read from the base points outside dir.
func (r *repo) materialize(ctx context.Context, commit, dir string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "archive", "--format=tar", commit)
	cmd.Dir = r.top
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("materialize the base: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("materialize the base: %w", err)
	}
	extractErr := extract(pipe, dir)
	_, _ = io.Copy(io.Discard, pipe)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("materialize the base: git archive: %s", strings.TrimSpace(stderr.String()))
	}
	if extractErr != nil {
		return fmt.Errorf("materialize the base: %w", extractErr)
	}
	return nil
}

func extract(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if name == "." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
