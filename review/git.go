package review

import (
	"bufio"
	"bytes"
	"cmp"
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

// workTree lists the work tree's files git lists (tracked, and untracked
// ones no ignore rule excludes: .gitignore, .git/info/exclude,
// core.excludesFile), as slash paths relative to the top, each once, with
// the untracked ones apart: one `git ls-files -t --cached --others
// --exclude-standard`.
func (r *repo) workTree(ctx context.Context) (files, untracked []string, err error) {
	out, err := git(ctx, r.top, "ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, nil, fmt.Errorf("list the work tree's files: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range strings.Split(out, "\x00") {
		tag, name, ok := strings.Cut(e, " ")
		if !ok || name == "" || seen[name] {
			continue // a conflicted file is listed once per stage
		}
		seen[name] = true
		files = append(files, name)
		if tag == "?" {
			untracked = append(untracked, name)
		}
	}
	return files, untracked, nil
}

// changed lists the files that differ between commit and the work tree,
// untracked files (as workTree lists them) included, as slash paths
// relative to the top.
func (r *repo) changed(ctx context.Context, commit string, untracked []string) ([]string, error) {
	out, err := git(ctx, r.top, "diff", "--name-only", "--no-renames", "-z", commit, "--")
	if err != nil {
		return nil, fmt.Errorf("list the changed files: %w", err)
	}
	var files []string
	for _, s := range strings.Split(out, "\x00") {
		if s != "" {
			files = append(files, s)
		}
	}
	return append(files, untracked...), nil
}

// materializeWorkTree writes into dir the work tree's files (as workTree
// lists them: tracked files as they are now, untracked ones not ignored).
// Regular files only, as materialize writes the base: a symbolic link or
// a submodule is left out, and a tracked file the work tree deletes is
// absent.
func (r *repo) materializeWorkTree(files []string, dir string) error {
	for _, name := range files {
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
	return writeFile(dst, in)
}

// materialize writes the files of commit into dir as committed, read
// with git ls-tree and git cat-file: regular files only (a symbolic link
// or a submodule is left out, so nothing read from the base points
// outside dir), and none that .gitattributes shapes for an archive
// (export-ignore, export-subst) dropped or rewritten, so the base holds
// what the commit tracks as the head holds what the work tree tracks.
func (r *repo) materialize(ctx context.Context, commit, dir string) error {
	list, err := git(ctx, r.top, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", commit)
	if err != nil {
		return fmt.Errorf("materialize the base: %w", err)
	}
	var blobs []treeFile
	for _, e := range strings.Split(list, "\x00") {
		// <mode> SP <type> SP <object> TAB <path>
		meta, name, ok := strings.Cut(e, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 || fields[1] != "blob" || (fields[0] != "100644" && fields[0] != "100755") {
			continue
		}
		if clean := path.Clean(name); clean == name && safeTreePath(name) {
			blobs = append(blobs, treeFile{oid: fields[2], name: name})
		}
	}
	if err := writeBlobs(ctx, r.top, dir, blobs); err != nil {
		return fmt.Errorf("materialize the base: %w", err)
	}
	return nil
}

// treeFile is a regular file of a commit's tree.
type treeFile struct{ oid, name string }

// safeTreePath reports whether a tree path stays inside the folder it is
// written to and out of .git, as git itself checks before a checkout.
func safeTreePath(name string) bool {
	if name == "" || path.IsAbs(name) {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || part == "." || strings.EqualFold(part, ".git") {
			return false
		}
	}
	return true
}

// writeBlobs writes each file's blob into dir, read in one git cat-file
// --batch.
func writeBlobs(ctx context.Context, top, dir string, files []treeFile) error {
	if len(files) == 0 {
		return nil
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Dir = top
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		w := bufio.NewWriter(in)
		for _, f := range files {
			fmt.Fprintln(w, f.oid)
		}
		_ = w.Flush()
		_ = in.Close()
	}()
	out := bufio.NewReader(outPipe)
	readErr := func() error {
		for _, f := range files {
			header, err := out.ReadString('\n')
			if err != nil {
				return fmt.Errorf("read %s: %w", f.name, err)
			}
			var oid, typ string
			var size int64
			if _, err := fmt.Sscanf(header, "%s %s %d", &oid, &typ, &size); err != nil || typ != "blob" {
				return fmt.Errorf("read %s: git cat-file answered %q", f.name, strings.TrimSpace(header))
			}
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(f.name)), io.LimitReader(out, size)); err != nil {
				return fmt.Errorf("write %s: %w", f.name, err)
			}
			if _, err := out.Discard(1); err != nil { // the newline after the content
				return fmt.Errorf("read %s: %w", f.name, err)
			}
		}
		return nil
	}()
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %s", cmp.Or(strings.TrimSpace(stderr.String()), err.Error()))
	}
	return readErr
}

// writeFile writes what r reads to the file p, making its folders.
func writeFile(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
