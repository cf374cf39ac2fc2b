package main

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/workspace"
)

const workerIntent = "worker image ghcr.io/acme/worker:1.0.0"

// tree lists every file under dir (.git aside) with its mode and content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel] = info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = fmt.Sprintf("%v %s", info.Mode(), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// gitRepo makes a fresh git repository, with git when it is installed.
func gitRepo(t *testing.T) (dir string, commit func()) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return newRepo(t), func() {}
	}
	dir = t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	return dir, func() { git("add", "-A"); git("commit", "-qm", "generated") }
}

// TestRegenerateKeepsHandEdits is issue 11's first repro: a worker chart is
// generated and committed, replicaCount is changed by hand with a comment,
// an untracked template is added, and the same command runs again. It must
// refuse and write nothing (as a second creation, or, where the intent is
// read as a change, as a change the change author cannot make: it asks
// for the app, not for a change); --replace refuses values.yaml by name and
// writes nothing; --replace --force overwrites values.yaml, keeps
// my-cm.yaml and lists it as left alone.
func TestRegenerateKeepsHandEdits(t *testing.T) {
	repo, commit := gitRepo(t)
	out := filepath.Join(repo, "apps/worker")
	if code, _, stderr := aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out); code != exitOK {
		t.Fatalf("first generation: exit %d\n%s", code, stderr)
	}
	recBytes, err := os.ReadFile(filepath.Join(out, record.Path))
	if err != nil {
		t.Fatalf("no record written: %v", err)
	}
	rec, err := record.Parse(recBytes)
	if err != nil || rec.Intent != workerIntent || rec.Author != "planner" || !rec.Has("values.yaml") || !rec.Has("templates/deployment.yaml") {
		t.Fatalf("record = %+v, %v; want the intent, the planner and the chart's files", rec, err)
	}
	commit()

	values := filepath.Join(out, "values.yaml")
	orig, err := os.ReadFile(values)
	if err != nil {
		t.Fatal(err)
	}
	replicas := regexp.MustCompile(`(?m)^replicaCount: \d+$`)
	if !replicas.Match(orig) {
		t.Fatalf("values.yaml has no replicaCount line:\n%s", orig)
	}
	edited := replicas.ReplaceAll(orig, []byte("replicaCount: 5 # five for the backlog"))
	if err := os.WriteFile(values, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	myCM := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-cm\ndata:\n  mine: \"yes\"\n"
	if err := os.WriteFile(filepath.Join(out, "templates/my-cm.yaml"), []byte(myCM), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, repo)

	// The same command again.
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out)
	if code != exitUsage || !regexp.MustCompile(`already holds an app aiden wrote.*--replace|cannot change`).MatchString(stderr) {
		t.Errorf("regenerate: exit %d, want 2 saying what to do\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if after := tree(t, repo); !maps.Equal(after, before) {
		t.Errorf("regenerate changed the tree")
	}

	// --replace: values.yaml was changed by hand.
	code, stdout, stderr = aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out, "--replace")
	if code != exitUsage || !strings.Contains(stderr, "changed by hand") || !strings.Contains(stderr, "values.yaml") || !strings.Contains(stderr, "--force") {
		t.Errorf("--replace: exit %d, want 2 naming values.yaml\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "my-cm.yaml") {
		t.Errorf("--replace names my-cm.yaml, which it would not touch:\n%s", stderr)
	}
	if after := tree(t, repo); !maps.Equal(after, before) {
		t.Errorf("--replace changed the tree")
	}

	// --replace --force --dry-run: the patch, and nothing written.
	code, stdout, stderr = aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out, "--replace", "--force", "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "--- a/apps/worker/values.yaml") || !strings.Contains(stdout, "-replicaCount: 5 # five for the backlog") {
		t.Errorf("--dry-run: exit %d, want a patch restoring values.yaml\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "my-cm.yaml") {
		t.Errorf("the patch touches my-cm.yaml:\n%s", stdout)
	}
	if after := tree(t, repo); !maps.Equal(after, before) {
		t.Errorf("--dry-run changed the tree")
	}

	// --replace --force: values.yaml regenerated, my-cm.yaml kept and listed.
	code, stdout, stderr = aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out, "--replace", "--force")
	if code != exitOK {
		t.Fatalf("--replace --force: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(values); string(got) != string(orig) {
		t.Errorf("values.yaml after --force:\n%s\nwant the generated one:\n%s", got, orig)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "templates/my-cm.yaml")); string(got) != myCM {
		t.Errorf("my-cm.yaml = %q, want it untouched", got)
	}
	for _, want := range []string{"Mode: replace", "Left alone (1):", "apps/worker/templates/my-cm.yaml: not written by aiden; it stays in the chart and renders with it"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	rec2, err := record.Read("apps/worker", readFiles(t, repo, "apps/worker/"+record.Path))
	if err != nil || rec2.State("values.yaml", orig) != record.Unchanged || rec2.Has("templates/my-cm.yaml") {
		t.Errorf("record after --force = %+v, %v; want values.yaml's new digest and no my-cm.yaml", rec2, err)
	}
	// The chart, my-cm.yaml included, still validates.
	if code, stdout, _ := aiden(t, "validate", out); code != exitOK {
		t.Errorf("validate after --force: exit %d\n%s", code, stdout)
	}
}

// TestReplaceLeavesForeignFiles: replacing a chart over files aiden never
// wrote (no record: a chart written by hand) leaves every one of them as it
// is, even with --force, writes only the files that are new, and lists the
// rest with the reason.
func TestReplaceLeavesForeignFiles(t *testing.T) {
	repo := newRepo(t)
	out := filepath.Join(repo, "apps/worker")
	if code, _, stderr := aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// As if written by hand: no record.
	if err := os.RemoveAll(filepath.Join(out, ".aiden")); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(filepath.Join(out, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hand := regexp.MustCompile(`(?m)^replicaCount: \d+$`).ReplaceAllString(string(orig), "replicaCount: 2 # mine")
	if hand == string(orig) {
		t.Fatalf("values.yaml has no replicaCount line:\n%s", orig)
	}
	if err := os.WriteFile(filepath.Join(out, "values.yaml"), []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, repo)

	// auto: as a creation, values.yaml would be overwritten and is
	// refused; as a change, the intent asks for no change.
	code, _, stderr := aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out)
	if code != exitUsage || !regexp.MustCompile(`files aiden did not write.*values\.yaml|cannot change`).MatchString(stderr) {
		t.Errorf("create over a hand-written chart: exit %d, want 2 naming values.yaml\n%s", code, stderr)
	}
	if after := tree(t, repo); !maps.Equal(after, before) {
		t.Errorf("a refused generation changed the tree")
	}

	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", workerIntent, "--output", out, "--replace", "--force")
	if code != exitOK {
		t.Fatalf("--replace --force: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "values.yaml")); string(got) != hand {
		t.Errorf("values.yaml = %q, want the hand-written one kept", got)
	}
	if !strings.Contains(stdout, "apps/worker/values.yaml: not written by aiden, so the generated version of it was not written") {
		t.Errorf("summary does not list values.yaml as left alone:\n%s", stdout)
	}
	// Only the record is new: every other generated file had the same content.
	after := tree(t, repo)
	for p := range after {
		if _, ok := before[p]; !ok && !strings.HasPrefix(p, filepath.FromSlash("apps/worker/.aiden")) {
			t.Errorf("%s written; only the record should be new", p)
		}
	}
	rec, err := record.Read("apps/worker", readFiles(t, repo, "apps/worker/"+record.Path))
	if err != nil || rec == nil || rec.Has("values.yaml") || !rec.Has("Chart.yaml") {
		t.Errorf("record = %+v, %v; want the chart's files but not values.yaml", rec, err)
	}
}

// TestGenerateOutsideRepository: with no repository above the output
// folder (and the current folder elsewhere), paths are relative to the
// output folder's parent: the patch names api/..., never tmp/....
func TestGenerateOutsideRepository(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(base, "x/apps/api")
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", "web API image ghcr.io/acme/api:1.4.2 on port 8080", "--output", out, "--patch")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "diff --git a/api/") || strings.Contains(stdout, strings.TrimPrefix(filepath.ToSlash(base), "/")) {
		t.Errorf("patch paths are not relative to the output folder's parent:\n%.400s", stdout)
	}
	if code, _, stderr := aiden(t, "generate", "-q", "--intent", "web API image ghcr.io/acme/api:1.4.2 on port 8080", "--output", out); code != exitOK {
		t.Fatalf("write: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "Chart.yaml")); err != nil {
		t.Errorf("Chart.yaml not written in %s: %v", out, err)
	}
	rec, err := record.Read("api", readFiles(t, filepath.Dir(out), "api/"+record.Path))
	if err != nil || rec == nil || !rec.Has("Chart.yaml") {
		t.Errorf("record = %+v, %v; want paths relative to the app folder", rec, err)
	}
}

func TestForceNeedsReplace(t *testing.T) {
	code, _, stderr := aiden(t, "generate", "--intent", workerIntent, "--output", filepath.Join(newRepo(t), "apps/w"), "--force")
	if code != exitUsage || !strings.Contains(stderr, "--force works with --replace") {
		t.Errorf("--force alone: exit %d, %s", code, stderr)
	}
}

// readFiles reads the files at paths (relative to root) as workspace files.
func readFiles(t *testing.T, root string, paths ...string) []workspace.File {
	t.Helper()
	var out []workspace.File
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, workspace.File{Path: p, Content: b})
	}
	return out
}
