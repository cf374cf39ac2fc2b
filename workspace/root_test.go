package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindRoot(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(base, "repo")
	mkfiles(t, repo, map[string]string{"clusters/production/apps/nginx/values.yaml": "x"})
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	worktree := filepath.Join(base, "worktree")
	mkfiles(t, worktree, map[string]string{".git": "gitdir: /elsewhere\n", "apps/a.yaml": "x"})
	plain := filepath.Join(base, "plain")
	mkfiles(t, plain, map[string]string{"apps/a.yaml": "x", "file.txt": "x"})
	symlink(t, repo, filepath.Join(base, "link-to-repo"))
	// A GitOps repository kept in a folder of a larger one.
	mkfiles(t, repo, map[string]string{"deploy/gitops/.stackgen/generation-config.yaml": "version: 1\n"})

	tests := []struct {
		name     string
		dir      string
		wantRoot string
		wantRel  string
		wantErr  bool
	}{
		{name: "repository root", dir: repo, wantRoot: repo, wantRel: "."},
		{name: "existing folder in repository", dir: filepath.Join(repo, "clusters/production/apps/nginx"), wantRoot: repo, wantRel: "clusters/production/apps/nginx"},
		{name: "output folder not yet created", dir: filepath.Join(repo, "clusters/production/apps/redis"), wantRoot: repo, wantRel: "clusters/production/apps/redis"},
		{name: "several missing levels", dir: filepath.Join(repo, "clusters/staging/apps/redis"), wantRoot: repo, wantRel: "clusters/staging/apps/redis"},
		{name: "folder with a generation config", dir: filepath.Join(repo, "deploy/gitops/clusters/production/apps/redis"), wantRoot: filepath.Join(repo, "deploy/gitops"), wantRel: "clusters/production/apps/redis"},
		{name: "beside the config's folder: the .git root", dir: filepath.Join(repo, "deploy/other"), wantRoot: repo, wantRel: "deploy/other"},
		{name: ".git file of a worktree", dir: filepath.Join(worktree, "apps/new"), wantRoot: worktree, wantRel: "apps/new"},
		{name: "through a symlink", dir: filepath.Join(base, "link-to-repo/clusters/production/apps/redis"), wantRoot: repo, wantRel: "clusters/production/apps/redis"},
		{name: "no .git, outside the current folder: the folder's parent", dir: filepath.Join(plain, "apps"), wantRoot: plain, wantRel: "apps"},
		{name: "no .git, missing folders: still the folder's parent", dir: filepath.Join(plain, "apps/redis/base"), wantRoot: filepath.Join(plain, "apps/redis"), wantRel: "base"},
		{name: "no .git, the parent is the filesystem root", dir: "/aiden-no-such-folder", wantErr: true},
		{name: "a file is not a folder", dir: filepath.Join(plain, "file.txt"), wantErr: true},
		{name: "below a file", dir: filepath.Join(plain, "file.txt/x"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, rel, err := FindRoot(tc.dir)
			if tc.wantErr {
				if err == nil {
					t.Errorf("FindRoot(%s) = %s, %s, nil; want an error", tc.dir, root, rel)
				}
				return
			}
			if err != nil || root != tc.wantRoot || rel != tc.wantRel {
				t.Errorf("FindRoot(%s) = %s, %s, %v; want %s, %s, nil", tc.dir, root, rel, err, tc.wantRoot, tc.wantRel)
			}
		})
	}
}

func TestFindRootRelative(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mkfiles(t, base, map[string]string{".git/HEAD": "ref: refs/heads/main\n", "clusters/production/x": ""})
	t.Chdir(filepath.Join(base, "clusters"))
	root, rel, err := FindRoot("production/apps/redis")
	if err != nil || root != base || rel != "clusters/production/apps/redis" {
		t.Errorf("FindRoot(production/apps/redis) = %s, %s, %v; want %s, clusters/production/apps/redis, nil", root, rel, err, base)
	}
}

// TestFindRootPlainFolder: outside a repository, paths are relative to the
// current folder, and stay the same once the output folder exists.
func TestFindRootPlainFolder(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(base)
	for range 2 {
		root, rel, err := FindRoot("clusters/production/apps/redis")
		if err != nil || root != base || rel != "clusters/production/apps/redis" {
			t.Fatalf("FindRoot = %s, %s, %v; want %s, clusters/production/apps/redis, nil", root, rel, err, base)
		}
		mkfiles(t, base, map[string]string{"clusters/production/apps/redis/Chart.yaml": "x"})
	}
	// The current folder itself is not its own root: its parent is.
	root, rel, err := FindRoot(".")
	if err != nil || root != filepath.Dir(base) || rel != filepath.Base(base) {
		t.Errorf("FindRoot(.) = %s, %s, %v; want %s, %s, nil", root, rel, err, filepath.Dir(base), filepath.Base(base))
	}
}

// TestFindRootOutsideNeverSlash: outside a repository and outside the
// current folder, paths are relative to the output folder's parent, the
// same before and after it exists, never to the filesystem root.
func TestFindRootOutsideNeverSlash(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	out := filepath.Join(base, "x/apps/api")
	for range 2 {
		root, rel, err := FindRoot(out)
		if err != nil || root != filepath.Join(base, "x/apps") || rel != "api" {
			t.Fatalf("FindRoot(%s) = %s, %s, %v; want %s, api, nil", out, root, rel, err, filepath.Join(base, "x/apps"))
		}
		mkfiles(t, out, map[string]string{"Chart.yaml": "x"})
	}
}

func TestFindConfig(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A GitOps repository kept in a folder of a larger repository, as
	// examples/gitops is in aiden's, and one with the config at its root.
	mono := filepath.Join(base, "mono")
	mkfiles(t, mono, map[string]string{
		".git/HEAD":            "ref: main\n",
		"gitops/" + ConfigPath: "version: 1\n",
		"gitops/clusters/production/apps/a/x.yaml": "x",
		"tools/x.yaml": "x",
	})
	above := filepath.Join(base, "above")
	mkfiles(t, above, map[string]string{
		ConfigPath:           "version: 1\n",
		"repo/.git/HEAD":     "ref: main\n",
		"repo/apps/a/x.yaml": "x",
	})
	for _, tc := range []struct {
		name, p, want string
		found         bool
	}{
		{name: "a folder below the config", p: filepath.Join(mono, "gitops/clusters/production/apps/a"), want: filepath.Join(mono, "gitops"), found: true},
		{name: "a file below the config", p: filepath.Join(mono, "gitops/clusters/production/apps/a/x.yaml"), want: filepath.Join(mono, "gitops"), found: true},
		{name: "the config's folder", p: filepath.Join(mono, "gitops"), want: filepath.Join(mono, "gitops"), found: true},
		{name: "beside the config's folder", p: filepath.Join(mono, "tools")},
		{name: "not above the repository root", p: filepath.Join(above, "repo/apps/a")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := FindConfig(tc.p)
			if err != nil || got != tc.want || found != tc.found {
				t.Errorf("FindConfig(%s) = %q, %v, %v; want %q, %v, nil", tc.p, got, found, err, tc.want, tc.found)
			}
		})
	}
	if _, _, err := FindConfig(filepath.Join(mono, "missing")); err == nil {
		t.Error("FindConfig of a missing path: no error")
	}
}
