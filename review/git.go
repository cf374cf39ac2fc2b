package review

import (
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

// git runs git in dir and returns its standard output; the error wraps
// git's exit error and carries git's own message.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitIn(ctx, dir, nil, nil, args...)
}

// gitIn runs git in dir with env added to the environment and stdin (if
// any) as its input.
func gitIn(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin = stdin
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		verb := subcommand(args)
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("git %s: %w: %s", verb, err, msg)
		}
		return "", fmt.Errorf("git %s: %w", verb, err)
	}
	return stdout.String(), nil
}

// subcommand is the git command args run, past "-c name=value" options.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		if args[i] == "-c" {
			i++
			continue
		}
		return args[i]
	}
	return ""
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
// the untracked ones apart, and the tracked files a sparse checkout
// leaves out of the work tree (skip-worktree, tag S) with their index
// entries: one `git ls-files -t -s --cached --others --exclude-standard`.
func (r *repo) workTree(ctx context.Context) (files, untracked []string, sparse []treeFile, err error) {
	out, err := git(ctx, r.top, "ls-files", "-z", "-t", "-s", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list the work tree's files: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range strings.Split(out, "\x00") {
		tag, rest, ok := strings.Cut(e, " ")
		if !ok || rest == "" {
			continue
		}
		name, entry := rest, treeFile{}
		if tag != "?" {
			// <mode> SP <object> SP <stage> TAB <path>
			meta, n, ok := strings.Cut(rest, "\t")
			fields := strings.Fields(meta)
			if !ok || len(fields) != 3 {
				continue
			}
			name, entry = n, treeFile{mode: fields[0], oid: fields[1], name: n}
		}
		if name == "" || seen[name] {
			continue // a conflicted file is listed once per stage
		}
		seen[name] = true
		files = append(files, name)
		switch {
		case tag == "?":
			untracked = append(untracked, name)
		case tag == "S" && regularFile(entry.mode) && entry.name == path.Clean(entry.name) && safeTreePath(entry.name):
			sparse = append(sparse, entry)
		}
	}
	return files, untracked, sparse, nil
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
// lists them: tracked files as they are now, untracked ones not ignored),
// and the tracked files a sparse checkout leaves out of the work tree as
// the index holds them, through the repository's filters as a checkout
// writes them. Regular files only, as materialize writes the base: a
// symbolic link, a file in a folder reached through one, or a submodule
// is left out, and a tracked file the work tree deletes is absent.
func (r *repo) materializeWorkTree(ctx context.Context, files []string, sparse []treeFile, dir string) error {
	inTree := map[string]bool{} // folder: reached without a symbolic link
	for _, name := range files {
		src := filepath.Join(r.top, filepath.FromSlash(name))
		if fi, err := os.Lstat(src); err != nil || !fi.Mode().IsRegular() {
			continue // deleted, a link, or a submodule
		}
		folder := filepath.Dir(src)
		ok, known := inTree[folder]
		if !known {
			resolved, err := filepath.EvalSymlinks(folder)
			ok = err == nil && resolved == folder // the top is resolved
			inTree[folder] = ok
		}
		if !ok {
			continue // in a folder that is a link, maybe out of the repository
		}
		if err := copyFile(src, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			return fmt.Errorf("materialize the work tree: copy %s: %w", name, err)
		}
	}
	if err := checkout(ctx, r.top, dir, sparse, false); err != nil {
		return fmt.Errorf("materialize the work tree: %w", err)
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

// materialize writes the files of commit into dir as a checkout writes
// them (through the repository's filters: git-lfs, git-crypt, clean and
// smudge pairs, line endings), as the work tree holds them: read with git
// ls-tree and written with git checkout-index from a temporary index.
// Regular files only (a symbolic link or a submodule is left out, so
// nothing read from the base points outside dir), and none that
// .gitattributes shapes for an archive (export-ignore, export-subst)
// dropped or rewritten, so the base holds what the commit tracks as the
// head holds what the work tree tracks.
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
		if !ok || len(fields) != 3 || fields[1] != "blob" || !regularFile(fields[0]) {
			continue
		}
		if clean := path.Clean(name); clean == name && safeTreePath(name) {
			blobs = append(blobs, treeFile{mode: fields[0], oid: fields[2], name: name})
		}
	}
	if err := checkout(ctx, r.top, dir, blobs, true); err != nil {
		return fmt.Errorf("materialize the base: %w", err)
	}
	return nil
}

// treeFile is a regular file of a commit's tree or of the index.
type treeFile struct{ mode, oid, name string }

// regularFile reports whether a git file mode is a regular file's.
func regularFile(mode string) bool { return mode == "100644" || mode == "100755" }

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

// checkout writes each file into dir as git checks it out, filters
// applied: the files go into a temporary index (git update-index
// --index-info) that git checkout-index writes out under dir. ownAttrs
// reads the .gitattributes that decide the filters from files alone (a
// commit's), not from the work tree: git looks in the index, then in the
// work tree, which is dir then. The repository's hooks do not run (git
// runs post-index-change for the temporary index).
func checkout(ctx context.Context, top, dir string, files []treeFile, ownAttrs bool) error {
	if len(files) == 0 {
		return nil
	}
	idxDir, err := os.MkdirTemp("", "aiden-review-index-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(idxDir)
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(idxDir, "index")}
	if ownAttrs {
		env = append(env, "GIT_WORK_TREE="+dir)
	}
	var in bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&in, "%s %s\t%s\x00", f.mode, f.oid, f.name)
	}
	noHooks := []string{"-c", "core.hooksPath=" + os.DevNull}
	if _, err := gitIn(ctx, top, env, &in, append(noHooks, "update-index", "-z", "--index-info")...); err != nil {
		return err
	}
	prefix := dir + string(filepath.Separator)
	if _, err := gitIn(ctx, top, env, nil, append(noHooks, "checkout-index", "--all", "--force", "--prefix="+prefix)...); err != nil {
		return err
	}
	return nil
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
