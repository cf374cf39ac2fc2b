package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fullSnapshot lists every entry under dir with its mode and its content
// (files) or target (symlinks): two equal snapshots are the same tree, byte
// for byte.
func fullSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			m[rel] = fmt.Sprintf("%v -> %s", info.Mode(), target)
		case info.IsDir():
			m[rel] = info.Mode().String()
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = fmt.Sprintf("%v %q", info.Mode(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// faulty is the real disk, failing the nth change (mkdir, create, rename,
// remove) it is asked for.
type faulty struct {
	fsys
	n, calls int
}

var errInjected = errors.New("injected fault")

func (f *faulty) fault() error {
	f.calls++
	if f.calls == f.n {
		return errInjected
	}
	return nil
}

func (f *faulty) Mkdir(name string, perm fs.FileMode) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.fsys.Mkdir(name, perm)
}

func (f *faulty) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.fsys.OpenFile(name, flag, perm)
}

func (f *faulty) Rename(oldname, newname string) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.fsys.Rename(oldname, newname)
}

func (f *faulty) Remove(name string) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.fsys.Remove(name)
}

// faultTree is a repository with an app and its parent's kustomization,
// and the transaction that regenerates the app: files overwritten (one
// executable, one a symlink), created in new folders, and removed.
func faultTree(t *testing.T) (root string, changes []Change) {
	t.Helper()
	root = t.TempDir()
	mkfiles(t, root, map[string]string{
		"apps/kustomization.yaml":            "resources: [web]\n",
		"apps/api/Chart.yaml":                "name: api\nversion: 0.1.0\n",
		"apps/api/values.yaml":               "replicaCount: 3\n",
		"apps/api/templates/ingress.yaml":    "kind: Ingress\n",
		"apps/api/templates/service.yaml":    "kind: Service\n",
		"apps/api/hooks/check.sh":            "#!/bin/sh\n",
		"apps/api/templates/keep/local.yaml": "kind: ConfigMap\n",
	})
	if err := os.Chmod(filepath.Join(root, "apps/api/hooks/check.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, "service.yaml", filepath.Join(root, "apps/api/templates/svc-link.yaml"))
	changes = []Change{
		{Dir: "apps/api", Files: []File{
			{Path: "apps/api/Chart.yaml", Content: []byte("name: api\nversion: 0.2.0\n")},
			{Path: "apps/api/values.yaml", Content: []byte("replicaCount: 5\n")},
			{Path: "apps/api/hooks/check.sh", Content: []byte("#!/bin/sh\nexit 0\n")},
			{Path: "apps/api/templates/deployment.yaml", Content: []byte("kind: Deployment\n")},
			{Path: "apps/api/templates/svc-link.yaml", Content: []byte("kind: Service\n")},
			{Path: "apps/api/templates/hpa/hpa.yaml", Content: []byte("kind: HorizontalPodAutoscaler\n")},
			{Path: "apps/api/.aiden/record.yaml", Content: []byte("version: 1\n")},
		}, Remove: []string{"apps/api/templates/ingress.yaml", "apps/api/templates/gone.yaml"}},
		{Dir: "apps", Files: []File{{Path: "apps/kustomization.yaml", Content: []byte("resources: [web, api]\n")}}},
	}
	return root, changes
}

// TestWriteAllFaultAtEveryStep fails the transaction at each of its steps in
// turn, on the real disk: up to the last rename the tree must be exactly as
// it was (modes, contents, symlinks); a fault while removing the backups
// leaves the new tree and names the backup left.
func TestWriteAllFaultAtEveryStep(t *testing.T) {
	root, changes := faultTree(t)
	before := fullSnapshot(t, root)
	var count *faulty
	if err := writeAll(root, func(r fsys) fsys { count = &faulty{fsys: r}; return count }, changes...); err != nil {
		t.Fatalf("writeAll without a fault: %v", err)
	}
	after := fullSnapshot(t, root)
	if after["apps/api/hooks/check.sh"] != fmt.Sprintf("%v %q", fs.FileMode(0o755), "#!/bin/sh\nexit 0\n") {
		t.Errorf("check.sh = %s, want the new content with its old mode 0755", after["apps/api/hooks/check.sh"])
	}
	if _, ok := after["apps/api/templates/ingress.yaml"]; ok {
		t.Errorf("ingress.yaml was not removed")
	}
	if got := after["apps/api/templates/svc-link.yaml"]; !strings.Contains(got, "kind: Service") || strings.Contains(got, "->") {
		t.Errorf("svc-link.yaml = %s, want the symlink replaced by a file", got)
	}
	total := count.calls
	backups := 6 // Chart.yaml, values.yaml, check.sh, svc-link.yaml, ingress.yaml, kustomization.yaml
	if total < 20 {
		t.Fatalf("the transaction took %d steps; the fixture should need more", total)
	}

	for n := 1; n <= total; n++ {
		t.Run(fmt.Sprintf("fault at step %d of %d", n, total), func(t *testing.T) {
			root, changes := faultTree(t)
			err := writeAll(root, func(r fsys) fsys { return &faulty{fsys: r, n: n} }, changes...)
			if !errors.Is(err, errInjected) {
				t.Fatalf("writeAll = %v, want the injected fault", err)
			}
			got := fullSnapshot(t, root)
			if n <= total-backups {
				if !maps.Equal(got, before) {
					t.Errorf("the tree changed after a failed write:\nbefore %v\nafter  %v", before, got)
				}
				return
			}
			// Everything was in place: only a backup is left over.
			if !strings.Contains(err.Error(), "backup") {
				t.Errorf("error %q does not name the backup left", err)
			}
			for p, v := range after {
				if got[p] != v {
					t.Errorf("%s = %s, want %s", p, got[p], v)
				}
			}
			if len(got) != len(after)+1 {
				t.Errorf("got %d entries, want the %d of the new tree and one backup", len(got), len(after))
			}
		})
	}
}

// TestWriteAllUnwritableFolder puts a folder the process may not write to
// half-way through the list: nothing may change, not even the folders
// created for the files before it. Run as root, the write runs in a child
// process as the user nobody, for whom the permissions hold.
func TestWriteAllUnwritableFolder(t *testing.T) {
	if os.Getenv("AIDEN_TEST_WRITE_ROOT") != "" {
		return // the child process of this test; see TestWriteAllUnwritableHelper
	}
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	mkfiles(t, root, map[string]string{
		"apps/a/values.yaml": "a: 1\n",
		"apps/b/values.yaml": "b: 1\n",
		"apps/c/values.yaml": "c: 1\n",
	})
	before := fullSnapshot(t, root)
	if err := os.Chmod(filepath.Join(root, "apps/b"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "apps/b"), 0o755) })
	before["apps/b"] = fullSnapshot(t, root)["apps/b"]

	var err error
	if os.Geteuid() == 0 {
		err = writeAsNobody(t, base, root)
	} else {
		err = Write(root, "apps", unwritableFiles())
	}
	if err == nil || !strings.Contains(err.Error(), "apps/b/values.yaml") || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Write = %v, want a permission error naming apps/b/values.yaml", err)
	}
	if got := fullSnapshot(t, root); !maps.Equal(got, before) {
		t.Errorf("the tree changed after a failed write:\nbefore %v\nafter  %v", before, got)
	}
}

func unwritableFiles() []File {
	return []File{
		{Path: "apps/a/values.yaml", Content: []byte("a: 2\n")},
		{Path: "apps/a/templates/new/deployment.yaml", Content: []byte("kind: Deployment\n")},
		{Path: "apps/b/values.yaml", Content: []byte("b: 2\n")},
		{Path: "apps/c/values.yaml", Content: []byte("c: 2\n")},
	}
}

// writeAsNobody runs the write of TestWriteAllUnwritableFolder in a child
// process as uid and gid 65534, with the tree owned by that user, and
// returns the error it reports.
func writeAsNobody(t *testing.T, base, root string) error {
	t.Helper()
	const nobody = 65534
	for d := root; ; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if d == filepath.Dir(base) {
			break
		}
	}
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The test binary sits in a folder only its owner may enter.
	bin, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "workspace.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestWriteAllUnwritableHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AIDEN_TEST_WRITE_ROOT="+root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	msg, ok := strings.CutPrefix(strings.SplitN(string(out), "\n", 2)[0], "write error: ")
	if !ok {
		t.Fatalf("child process did not report the write's result:\n%s", out)
	}
	if msg == "<nil>" {
		return nil
	}
	return errors.New(msg)
}

// TestWriteAllUnwritableHelper is the child process of
// TestWriteAllUnwritableFolder; it does nothing in a normal run.
func TestWriteAllUnwritableHelper(t *testing.T) {
	root := os.Getenv("AIDEN_TEST_WRITE_ROOT")
	if root == "" {
		return
	}
	fmt.Printf("write error: %v\n", Write(root, "apps", unwritableFiles()))
}
