package workspace

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, map[string]string{
		"clusters/production/apps/redis/values.yaml":  "old\n",
		"clusters/production/apps/kustomization.yaml": "resources: [nginx]\n",
	})
	files := []File{
		{Path: "clusters/production/apps/redis/values.yaml", Content: []byte("replicas: 3\n")},
		{Path: "clusters/production/apps/redis/templates/statefulset.yaml", Content: []byte("kind: StatefulSet\n")},
		{Path: "clusters/production/apps/redis/./empty", Content: nil},
		{Path: "clusters/production/apps/kustomization.yaml", Content: []byte("resources: [nginx, redis]\n")},
	}
	if err := Write(root, "clusters/production/apps", files); err != nil {
		t.Fatalf("Write: %v", err)
	}
	want := map[string]string{
		"clusters/production/apps/redis/values.yaml":                "replicas: 3\n",
		"clusters/production/apps/redis/templates/statefulset.yaml": "kind: StatefulSet\n",
		"clusters/production/apps/redis/empty":                      "",
		"clusters/production/apps/kustomization.yaml":               "resources: [nginx, redis]\n",
	}
	for p, w := range want {
		full := filepath.Join(root, filepath.FromSlash(p))
		got, err := os.ReadFile(full)
		if err != nil || string(got) != w {
			t.Errorf("%s = %q, %v; want %q", p, got, err, w)
		}
		info, err := os.Stat(full)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&^0o022 != 0o644 {
			t.Errorf("%s mode = %v, want 0644 (less the umask)", p, perm)
		}
	}
	info, err := os.Stat(filepath.Join(root, "clusters/production/apps/redis/templates"))
	if err != nil || !info.IsDir() || info.Mode().Perm()&^0o022 != 0o755 {
		t.Errorf("created folder = %v, %v; want a folder 0755", info, err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "clusters/production/apps/redis"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".aiden-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestWriteWholeRepository(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"", "."} {
		if err := Write(root, dir, []File{{Path: "a/b.yaml", Content: []byte("x")}}); err != nil {
			t.Errorf("Write(root, %q, a/b.yaml): %v", dir, err)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, root, outside string)
		dir       string
		bad       File // written along with a good file
		wantErr   string
		pathError bool // the error is a *PathError
	}{
		{name: "sibling of dir", dir: "apps/redis", bad: File{Path: "apps/nginx/values.yaml"}, wantErr: "lies outside apps/redis", pathError: true},
		{name: "prefix of dir's name", dir: "apps/redis", bad: File{Path: "apps/redis-cluster/x"}, wantErr: "lies outside apps/redis", pathError: true},
		{name: "climbing out of dir", dir: "apps/redis", bad: File{Path: "apps/redis/../../policies/p.rego"}, wantErr: "lies outside", pathError: true},
		{name: "climbing out of the root", dir: "apps/redis", bad: File{Path: "../../etc/passwd"}, wantErr: "escapes", pathError: true},
		{name: "absolute", dir: "apps/redis", bad: File{Path: "/etc/passwd"}, wantErr: "absolute", pathError: true},
		{name: "backslashes", dir: "apps/redis", bad: File{Path: `apps\redis\..\..\x`}, wantErr: "backslash", pathError: true},
		{name: "into .git", dir: ".", bad: File{Path: ".git/hooks/pre-commit"}, wantErr: ".git", pathError: true},
		{name: "the root itself", dir: ".", bad: File{Path: "."}, wantErr: "names the root", pathError: true},
		{name: "given twice", dir: "apps/redis", bad: File{Path: "apps/redis/./values.yaml"}, wantErr: "given twice", pathError: true},
		{name: "file and folder at once", dir: "apps/redis", bad: File{Path: "apps/redis/values.yaml/x"}, wantErr: "is a file and the folder of", pathError: true},
		{name: "escaping dir", dir: "../outside", bad: File{Path: "../outside/x"}, wantErr: "escapes", pathError: true},
		{
			name: "symlink in dir pointing outside the repository",
			setup: func(t *testing.T, root, outside string) {
				symlink(t, outside, filepath.Join(root, "apps/redis/templates"))
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/templates/x.yaml"}, wantErr: "symlink leads outside the repository",
		},
		{
			name: "relative symlink pointing outside the repository",
			setup: func(t *testing.T, root, outside string) {
				link := filepath.Join(root, "apps/redis/templates")
				rel, err := filepath.Rel(filepath.Dir(link), outside)
				if err != nil {
					t.Fatal(err)
				}
				symlink(t, rel, link)
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/templates/deep/x.yaml"}, wantErr: "symlink leads outside the repository",
		},
		{
			name: "symlink in dir pointing elsewhere in the repository",
			setup: func(t *testing.T, root, outside string) {
				mkfiles(t, root, map[string]string{"policies/p.rego": "package p\n"})
				symlink(t, "../../policies", filepath.Join(root, "apps/redis/templates"))
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/templates/p.rego"}, wantErr: "symlink leads outside apps/redis",
		},
		{
			name: "existing file symlink pointing outside",
			setup: func(t *testing.T, root, outside string) {
				symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(root, "apps/redis/secret.txt"))
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/secret.txt"}, wantErr: "symlink leads outside the repository",
		},
		{
			name: "dir itself a symlink pointing outside",
			setup: func(t *testing.T, root, outside string) {
				symlink(t, outside, filepath.Join(root, "apps"))
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/x.yaml"}, wantErr: "symlink leads outside the repository",
		},
		{
			name: "dangling symlink as a folder",
			setup: func(t *testing.T, root, outside string) {
				symlink(t, filepath.Join(outside, "missing"), filepath.Join(root, "apps/redis/templates"))
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/templates/x.yaml"}, wantErr: "dangling symlink",
		},
		{
			name: "existing folder in the way",
			setup: func(t *testing.T, root, outside string) {
				mkfiles(t, root, map[string]string{"apps/redis/templates/a.yaml": "a\n"})
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/templates"}, wantErr: "is an existing folder",
		},
		{
			name: "existing file in the way",
			setup: func(t *testing.T, root, outside string) {
				mkfiles(t, root, map[string]string{"apps/redis/templates": "a file\n"})
			},
			dir: "apps/redis", bad: File{Path: "apps/redis/templates/x.yaml"}, wantErr: "not a directory",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			root, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
			mkfiles(t, root, map[string]string{"README.md": "# infra\n"})
			mkfiles(t, outside, map[string]string{"secret.txt": "password\n"})
			if tc.setup != nil {
				tc.setup(t, root, outside)
			}
			before := snapshot(t, base)

			files := []File{
				{Path: "apps/redis/values.yaml", Content: []byte("good\n")},
				{Path: tc.bad.Path, Content: []byte("bad\n")},
			}
			err := Write(root, tc.dir, files)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Write = %v, want an error holding %q", err, tc.wantErr)
			}
			var pe *PathError
			if got := errors.As(err, &pe); got != tc.pathError {
				t.Errorf("errors.As(%v, *PathError) = %v, want %v", err, got, tc.pathError)
			}
			if after := snapshot(t, base); !maps.Equal(after, before) {
				t.Errorf("Write changed the disk after failing:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func TestWriteReplacesSymlinkInside(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, map[string]string{"apps/redis/real.yaml": "real\n"})
	symlink(t, "real.yaml", filepath.Join(root, "apps/redis/link.yaml"))
	if err := Write(root, "apps/redis", []File{{Path: "apps/redis/link.yaml", Content: []byte("new\n")}}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := snapshot(t, root)
	if got["apps/redis/link.yaml"] != "new\n" || got["apps/redis/real.yaml"] != "real\n" {
		t.Errorf("after Write: link.yaml = %q, real.yaml = %q; want the link replaced by a file and its target untouched", got["apps/redis/link.yaml"], got["apps/redis/real.yaml"])
	}
}

func TestWriteMissingRoot(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "missing"), ".", []File{{Path: "a", Content: []byte("x")}})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Write to a missing root = %v, want os.ErrNotExist", err)
	}
}

func TestWriteRemoves(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mkfiles(t, root, map[string]string{
		"apps/web/templates/ingress.yaml": "kind: Ingress\n",
		"apps/web/README.md":              "keep me\n",
		"apps/other/values.yaml":          "x\n",
	})
	mkfiles(t, outside, map[string]string{"secret.txt": "x\n"})
	files := []File{{Path: "apps/web/templates/hpa.yaml", Content: []byte("kind: HorizontalPodAutoscaler\n")}}

	bad := []struct {
		name   string
		remove string
	}{
		{name: "outside dir", remove: "apps/other/values.yaml"},
		{name: "escapes", remove: "apps/web/../../x"},
		{name: "both written and removed", remove: "apps/web/templates/hpa.yaml"},
		{name: "a folder", remove: "apps/web/templates"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := Write(root, "apps/web", files, tt.remove); err == nil {
				t.Errorf("Write removing %q succeeded, want an error", tt.remove)
			}
			if _, err := os.Stat(filepath.Join(root, "apps/web/templates/hpa.yaml")); err == nil {
				t.Errorf("a file was written although a removal was refused")
			}
			if _, err := os.Stat(filepath.Join(root, "apps/other/values.yaml")); err != nil {
				t.Errorf("a file outside dir is gone: %v", err)
			}
		})
	}

	if err := Write(root, "apps/web", files, "apps/web/templates/ingress.yaml", "apps/web/templates/gone.yaml"); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "apps/web/templates/ingress.yaml")); !os.IsNotExist(err) {
		t.Errorf("ingress.yaml still there (err %v)", err)
	}
	for _, keep := range []string{"apps/web/README.md", "apps/web/templates/hpa.yaml"} {
		if _, err := os.Stat(filepath.Join(root, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
}
