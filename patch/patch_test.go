package patch

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// lines returns n numbered lines, each ending in "\n".
func lines(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func files(pathContent ...string) []workspace.File {
	var fs []workspace.File
	for i := 0; i+1 < len(pathContent); i += 2 {
		fs = append(fs, workspace.File{Path: pathContent[i], Content: []byte(pathContent[i+1])})
	}
	return fs
}

var middle = lines(1, 20)

var cases = []struct {
	name     string
	old, new []workspace.File
	deleted  []string
}{
	{
		name:    "deletions beside a creation",
		old:     files("apps/web/templates/ingress.yaml", "kind: Ingress\n", "apps/web/templates/empty.yaml", "", "apps/web/values.yaml", "a: 1\n"),
		new:     files("apps/web/templates/hpa.yaml", "kind: HorizontalPodAutoscaler\n"),
		deleted: []string{"apps/web/templates/ingress.yaml", "apps/web/templates/empty.yaml", "apps/web/not-there.yaml"},
	},
	{
		name:    "a deleted path that is also generated is kept",
		old:     files("a.txt", "a\n"),
		new:     files("a.txt", "b\n"),
		deleted: []string{"a.txt"},
	},
	{
		name: "new files in nested folders",
		new: files(
			"clusters/production/apps/redis/Chart.yaml", "apiVersion: v2\nname: redis\nversion: 0.1.0\n",
			"clusters/production/apps/redis/templates/statefulset.yaml", "kind: StatefulSet\nspec:\n  replicas: 3\n",
		),
	},
	{
		name: "change in the middle",
		old:  files("values.yaml", middle),
		new:  files("values.yaml", strings.Replace(middle, "line 10\n", "line ten\n", 1)),
	},
	{
		name: "change at the start",
		old:  files("values.yaml", middle),
		new:  files("values.yaml", "# header\n"+strings.Replace(middle, "line 1\n", "line one\n", 1)),
	},
	{
		name: "change at the end",
		old:  files("values.yaml", middle),
		new:  files("values.yaml", strings.Replace(middle, "line 20\n", "line twenty\nline 21\n", 1)),
	},
	{
		name: "two distant changes make two hunks",
		old:  files("a.txt", lines(1, 40)),
		new:  files("a.txt", strings.Replace(strings.Replace(lines(1, 40), "line 5\n", "five\n", 1), "line 35\n", "", 1)),
	},
	{
		name: "near changes merge into one hunk",
		old:  files("a.txt", lines(1, 40)),
		new:  files("a.txt", strings.Replace(strings.Replace(lines(1, 40), "line 10\n", "ten\n", 1), "line 16\n", "sixteen\n", 1)),
	},
	{
		name: "no trailing newline before",
		old:  files("a.txt", "a\nb"),
		new:  files("a.txt", "a\nb\nc\n"),
	},
	{
		name: "no trailing newline after",
		old:  files("a.txt", "a\nb\n"),
		new:  files("a.txt", "a\nb"),
	},
	{
		name: "no trailing newline on either side",
		old:  files("a.txt", lines(1, 8)+"last"),
		new:  files("a.txt", lines(1, 8)+"final"),
	},
	{
		name: "unchanged last line without newline in context",
		old:  files("a.txt", "a\nb\nc\nd"),
		new:  files("a.txt", "a\nB\nc\nd"),
	},
	{
		name: "new file without trailing newline",
		new:  files("a.txt", "only line"),
	},
	{
		name: "empty new file",
		new:  files("apps/redis/.keep", ""),
	},
	{
		name: "file emptied",
		old:  files("a.txt", "a\nb\n"),
		new:  files("a.txt", ""),
	},
	{
		name: "empty file filled",
		old:  files("a.txt", ""),
		new:  files("a.txt", "a\n"),
	},
	{
		name: "CRLF kept byte for byte",
		old:  files("win.txt", "one\r\ntwo\r\nthree\r\n"),
		new:  files("win.txt", "one\r\n2\r\nthree\r\nfour\r\n", "new.txt", "x\r\ny\r\n"),
	},
	{
		name: "name with a space",
		old:  files("my dir/a b.txt", "a\n"),
		new:  files("my dir/a b.txt", "b\n", "my dir/c d.txt", "c\n"),
	},
	{
		name: "several files",
		old: files(
			"clusters/production/apps/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - nginx\n  - postgres\n",
			"clusters/production/apps/nginx/values.yaml", "replicas: 2\n",
			"README.md", "# infra\n",
		),
		new: files(
			"clusters/production/apps/redis/values.yaml", "architecture: replication\nreplica:\n  replicaCount: 3\nsentinel:\n  enabled: true\n",
			"clusters/production/apps/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - nginx\n  - postgres\n  - redis\n",
			"clusters/production/apps/redis/kustomization.yaml", "resources:\n  - helmrelease.yaml\n",
			"clusters/production/apps/nginx/values.yaml", "replicas: 2\n",
			"clusters/production/apps/redis/.keep", "",
		),
	},
}

func TestUnifiedAppliesWithGit(t *testing.T) {
	requireTool(t, "git")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diff := Unified(tc.old, tc.new, tc.deleted...)
			got := applyGit(t, tc.old, diff)
			assertTree(t, got, want(tc.old, tc.new, tc.deleted...), diff)
		})
	}
}

func TestUnifiedAppliesWithPatch(t *testing.T) {
	requireTool(t, "patch")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diff := Unified(tc.old, tc.new, tc.deleted...)
			got := applyPatch(t, tc.old, diff)
			assertTree(t, got, want(tc.old, tc.new, tc.deleted...), diff)
		})
	}
}

func TestUnifiedNothingToDo(t *testing.T) {
	tests := []struct {
		name     string
		old, new []workspace.File
	}{
		{name: "no files"},
		{name: "identical", old: files("a", "x\n"), new: files("a", "x\n")},
		{name: "only in old", old: files("a", "x\n")},
		{name: "identical empty", old: files("a", ""), new: files("a", "")},
	}
	for _, tc := range tests {
		if got := Unified(tc.old, tc.new); len(got) != 0 {
			t.Errorf("%s: Unified = %q, want empty", tc.name, got)
		}
	}
}

func TestUnifiedGolden(t *testing.T) {
	tc := cases[len(cases)-1]
	got := Unified(tc.old, tc.new)
	golden := filepath.Join("testdata", "several-files.diff")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Unified differs from %s (run with -update to accept):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestUnifiedRandom applies diffs of random edits with git and checks the
// result byte for byte.
func TestUnifiedRandom(t *testing.T) {
	requireTool(t, "git")
	r := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"a\n", "b\n", "c\n", "d\r\n", "  key: value\n", "\n"}
	gen := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(vocab[r.IntN(len(vocab))])
		}
		if r.IntN(4) == 0 {
			b.WriteString("tail")
		}
		return b.String()
	}
	for i := 0; i < 25; i++ {
		old := files("f.txt", gen(r.IntN(60)))
		new := files("f.txt", gen(r.IntN(60)))
		diff := Unified(old, new)
		got := applyGit(t, old, diff)
		assertTree(t, got, want(old, new), diff)
	}
}

// TestUnifiedHugeChange covers the fallback that replaces a middle section
// whole when it differs by more than maxEditDistance lines.
func TestUnifiedHugeChange(t *testing.T) {
	requireTool(t, "git")
	var o, n strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&o, "old %d\n", i)
		fmt.Fprintf(&n, "new %d\n", i)
		if i%100 == 0 {
			o.WriteString("shared\n")
			n.WriteString("shared\n")
		}
	}
	old := files("big.txt", "head\n"+o.String()+"foot\n")
	new := files("big.txt", "head\n"+n.String()+"foot\n")
	diff := Unified(old, new)
	got := applyGit(t, old, diff)
	assertTree(t, got, want(old, new), diff)
	if c := bytes.Count(diff, []byte("\n@@ ")); c != 1 {
		t.Errorf("hunks = %d, want 1 (a whole replacement)", c)
	}
}

func TestDiffLinesMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 500; i++ {
		a, b := randInts(r, r.IntN(30)), randInts(r, r.IntN(30))
		script := diffLines(a, b)
		edits := 0
		var gotA, gotB []int
		for _, e := range script {
			switch e.kind {
			case keep:
				gotA, gotB = append(gotA, a[e.a]), append(gotB, b[e.b])
			case del:
				edits++
				gotA = append(gotA, a[e.a])
			case ins:
				edits++
				gotB = append(gotB, b[e.b])
			}
		}
		if fmt.Sprint(gotA) != fmt.Sprint(a) || fmt.Sprint(gotB) != fmt.Sprint(b) {
			t.Fatalf("diffLines(%v, %v) = %v does not rebuild the inputs", a, b, script)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Errorf("diffLines(%v, %v): %d edits, want %d", a, b, edits, want)
		}
	}
}

func TestMyersGivesUp(t *testing.T) {
	if _, ok := myers([]int{1, 2, 3}, []int{4, 5, 6}, 5); ok {
		t.Errorf("myers with 6 edits and maxD 5: ok = true, want false")
	}
	if _, ok := myers([]int{1, 2, 3}, []int{4, 5, 6}, 6); !ok {
		t.Errorf("myers with 6 edits and maxD 6: ok = false, want true")
	}
}

func randInts(r *rand.Rand, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = r.IntN(4)
	}
	return s
}

func lcs(a, b []int) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed: %v", name, err)
	}
}

// want is the tree expected after applying: old less deleted, overlaid
// with new.
func want(old, new []workspace.File, deleted ...string) map[string]string {
	m := map[string]string{}
	for _, f := range old {
		m[f.Path] = string(f.Content)
	}
	for _, p := range deleted {
		delete(m, p)
	}
	for _, f := range new {
		m[f.Path] = string(f.Content)
	}
	return m
}

func writeTree(t *testing.T, dir string, fs []workspace.File) {
	t.Helper()
	for _, f := range fs {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func run(t *testing.T, dir string, diff []byte, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\ndiff:\n%s", name, strings.Join(args, " "), err, out, diff)
	}
}

// applyGit applies diff with `git apply --check` then `git apply` in a git
// repository holding old, and returns the resulting tree.
func applyGit(t *testing.T, old []workspace.File, diff []byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(t.TempDir(), "change.diff")
	if err := os.WriteFile(p, diff, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, diff, "git", "init", "-q")
	writeTree(t, dir, old)
	run(t, dir, diff, "git", "apply", "--check", p)
	run(t, dir, diff, "git", "apply", p)
	return readTree(t, dir)
}

// applyPatch applies diff with `patch -p1 --dry-run` then `patch -p1` in a
// plain folder holding old, and returns the resulting tree.
func applyPatch(t *testing.T, old []workspace.File, diff []byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(t.TempDir(), "change.diff")
	if err := os.WriteFile(p, diff, 0o644); err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, old)
	run(t, dir, diff, "patch", "-p1", "--dry-run", "--batch", "-i", p)
	run(t, dir, diff, "patch", "-p1", "--batch", "--no-backup-if-mismatch", "-i", p)
	return readTree(t, dir)
}

func assertTree(t *testing.T, got, want map[string]string, diff []byte) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		if !ok {
			t.Errorf("%s missing after applying, want %q\ndiff:\n%s", p, w, diff)
			continue
		}
		if g != w {
			t.Errorf("%s = %q, want %q\ndiff:\n%s", p, g, w, diff)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s present after applying, want absent\ndiff:\n%s", p, diff)
		}
	}
}
