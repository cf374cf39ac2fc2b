package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const gitConfig = "[remote \"origin\"]\n\turl = https://x:ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@github.com/acme/gitops\n"

// Probe (issue 12): a symlink inside the target to .git/config was followed
// and the remote URL's ghp_ token reached the patch.
func TestProbeSymlinkToGitConfigIsNotRead(t *testing.T) {
	for _, tc := range []struct{ name, link, target string }{
		{"file link in the target", "apps/redis/config", "../../.git/config"},
		{"folder link in the target", "apps/redis/gitdir", "../../.git"},
		{"link to a file under .git", "apps/redis/head", "../../.git/refs/heads/main"},
		{"link to the target folder itself", "apps/redis", "../.git"},
		{"upper-case .GIT", "apps/redis/config", "../../.GIT/config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			git := ".git"
			if strings.Contains(tc.target, ".GIT") {
				git = ".GIT"
			}
			mkfiles(t, root, map[string]string{
				git + "/config":          gitConfig,
				git + "/refs/heads/main": "0123456789abcdef0123456789abcdef01234567\n",
			})
			if tc.link != "apps/redis" {
				mkfiles(t, root, map[string]string{"apps/redis/values.yaml": "replicas: 1\n"})
			}
			symlink(t, tc.target, filepath.Join(root, filepath.FromSlash(tc.link)))

			files, err := Load(root, "apps/redis")
			if err == nil {
				t.Fatalf("Load = %q, nil; want an error refusing %s", paths(files), tc.link)
			}
			if !errors.Is(err, ErrLink) {
				t.Errorf("error %v does not wrap ErrLink", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.link) || !strings.Contains(msg, ".git folder") {
				t.Errorf("error %q does not name the link %s and the .git folder", msg, tc.link)
			}
			if strings.Contains(msg, root) || strings.Contains(msg, "ghp_") {
				t.Errorf("error %q names an absolute path or the token", msg)
			}
		})
	}
}

// Probe (issue 12): a refused symlink's message named its absolute target.
func TestProbeRefusedSymlinkMessageNamesNoAbsolutePath(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	mkfiles(t, outside, map[string]string{"secret.txt": "token\n", "dir/a.yaml": "a: 1\n"})
	mkfiles(t, root, map[string]string{"apps/redis/values.yaml": "replicas: 1\n"})
	for _, link := range []struct{ name, target string }{
		{"apps/redis/secret.txt", filepath.Join(outside, "secret.txt")},
		{"policies", filepath.Join(outside, "dir")},
	} {
		t.Run(link.name, func(t *testing.T) {
			r := t.TempDir()
			mkfiles(t, r, map[string]string{"apps/redis/values.yaml": "replicas: 1\n"})
			symlink(t, link.target, filepath.Join(r, filepath.FromSlash(link.name)))
			_, err := Load(r, "apps/redis")
			if err == nil {
				t.Fatal("Load: no error")
			}
			if !errors.Is(err, ErrLink) || !strings.Contains(err.Error(), link.name+": symlink leads outside the repository") {
				t.Errorf("error %q: want it to wrap ErrLink and name %s", err, link.name)
			}
			if strings.Contains(err.Error(), outside) || strings.Contains(err.Error(), r) {
				t.Errorf("error %q names an absolute path", err)
			}
		})
	}

	// Writing through a link out of the target or into .git names no
	// absolute path either, and writes nothing.
	symlink(t, "../../.git/hooks", filepath.Join(root, "apps/redis/templates"))
	mkfiles(t, root, map[string]string{".git/hooks/README": "x\n"})
	before := snapshot(t, root)
	err := Write(root, "apps/redis", []File{{Path: "apps/redis/templates/pre-commit", Content: []byte("#!/bin/sh\n")}})
	if err == nil || !errors.Is(err, ErrLink) || strings.Contains(err.Error(), root) {
		t.Errorf("Write through a link into .git = %v; want an ErrLink naming no absolute path", err)
	}
	if got := snapshot(t, root); len(got) != len(before) {
		t.Errorf("Write changed the repository: %v", got)
	}
}

func TestContained(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, map[string]string{
		".git/config":             gitConfig,
		"apps/redis/values.yaml":  "replicas: 1\n",
		"apps/shared/labels.yaml": "team: infra\n",
	})
	symlink(t, "../shared/labels.yaml", filepath.Join(root, "apps/redis/labels.yaml"))
	symlink(t, "../../.git/config", filepath.Join(root, "apps/redis/config"))
	outside := t.TempDir()
	mkfiles(t, outside, map[string]string{"x.yaml": "x: 1\n"})
	symlink(t, filepath.Join(outside, "x.yaml"), filepath.Join(root, "apps/redis/x.yaml"))

	b, err := Contained(filepath.Join(root, "apps/redis/labels.yaml"))
	if err != nil || string(b) != "team: infra\n" {
		t.Errorf("Contained(link inside) = %q, %v", b, err)
	}
	for _, p := range []string{"apps/redis/config", "apps/redis/x.yaml"} {
		b, err := Contained(filepath.Join(root, p))
		if err == nil || !errors.Is(err, ErrLink) {
			t.Errorf("Contained(%s) = %q, %v; want ErrLink", p, b, err)
			continue
		}
		if strings.Contains(err.Error(), outside) || strings.Contains(err.Error(), ".git/config") && strings.Contains(err.Error(), root+"/.git") {
			t.Errorf("Contained(%s) error %q names an absolute target", p, err)
		}
	}
	if _, err := Contained(filepath.Join(root, "apps/redis/missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Contained(missing) = %v; want ErrNotExist", err)
	}
}
