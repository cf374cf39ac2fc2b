package change

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

var update = flag.Bool("update", false, "rewrite the golden diffs in testdata/diffs")

// corpusCase is one change intent on one input app.
type corpusCase struct {
	Name string `json:"name"`
	App  string `json:"app"`  // folder under testdata/apps
	Root string `json:"root"` // where the app sits in the repository
	// Repo says the folder under testdata/apps is a whole repository, the
	// app at Root within it.
	Repo   bool   `json:"repo,omitempty"`
	Intent string `json:"intent"`
	Env    string `json:"environment,omitempty"`
	// Targets are the texts of the lines the change targets: every line
	// the diff removes must hold one of them.
	Targets []string `json:"targets,omitempty"`
}

// corpus reads the change corpus, testdata/corpus.json; each case's
// golden diff is testdata/diffs/<name>.diff. generator's tests run the
// same cases through the engine, with render and checks.
func corpus(t testing.TB) []corpusCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []corpusCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatalf("testdata/corpus.json: %v", err)
	}
	return cs
}

// LoadApp reads an input app of the corpus, placed at root.
func loadApp(t testing.TB, app, root string) []workspace.File {
	t.Helper()
	return workspacetest.Read(t, filepath.Join("testdata", "apps", app), root)
}

func TestCorpus(t *testing.T) {
	cases := corpus(t)
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d cases, want at least 40", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ws := loadApp(t, c.App, c.Root)
			if c.Repo {
				ws = loadApp(t, c.App, "")
			}
			app, ok := Detect(c.Root, ws)
			if !ok {
				t.Fatalf("Detect(%s) found no app", c.Root)
			}
			res, touched, err := apply(context.Background(), app, Request{Intent: c.Intent, Environment: c.Env, Workspace: ws})
			if err != nil {
				t.Fatalf("Apply(%q): %v", c.Intent, err)
			}
			diff := patch.Unified(ws, res.Files, res.Deleted...)
			golden(t, c.Name, diff)
			CheckMinimal(t, ws, res.Files, res.Deleted, diff, c.Targets)
			// Every removed line is one an edit replaced.
			for file, lines := range removedLines(diff) {
				set := map[int]bool{}
				for _, n := range touched[file] {
					set[n] = true
				}
				for _, n := range lines {
					if !set[n] {
						t.Errorf("%s:%d was removed but no edit targeted it", file, n)
					}
				}
			}
			if res.Summary == "" || len(res.Understood) == 0 {
				t.Errorf("summary %q, understood %v: want both", res.Summary, res.Understood)
			}
		})
	}
}

// golden compares got with testdata/diffs/<name>.diff.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "diffs", name+".diff")
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("diff differs from %s:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

var hunkRE = regexp.MustCompile(`^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@`)

// removedLines returns, per file, the line numbers (in the old file) of
// the lines a unified diff removes; deleted files are left out.
func removedLines(diff []byte) map[string][]int {
	out := map[string][]int{}
	var file string
	old := 0
	for _, l := range strings.Split(string(diff), "\n") {
		switch {
		case strings.HasPrefix(l, "--- "):
			file = strings.TrimPrefix(strings.TrimPrefix(l, "--- "), "a/")
		case strings.HasPrefix(l, "+++ "):
			if l == "+++ /dev/null" {
				file = ""
			}
		case hunkRE.MatchString(l):
			old, _ = strconv.Atoi(hunkRE.FindStringSubmatch(l)[1])
		case strings.HasPrefix(l, "-") && file != "" && file != "/dev/null":
			out[file] = append(out[file], old)
			old++
		case strings.HasPrefix(l, " "):
			old++
		}
	}
	return out
}

// CheckMinimal asserts what every change must keep: each comment of the
// input survives in the files after the change (deleted files aside), and
// every line the diff removes holds one of targets.
func CheckMinimal(t testing.TB, ws, changed []workspace.File, deleted []string, diff []byte, targets []string) {
	t.Helper()
	after := map[string]string{}
	for _, f := range ws {
		after[f.Path] = string(f.Content)
	}
	for _, f := range changed {
		after[f.Path] = string(f.Content)
	}
	gone := map[string]bool{}
	for _, p := range deleted {
		gone[p] = true
	}
	for _, f := range ws {
		if gone[f.Path] {
			continue
		}
		for i, l := range strings.Split(string(f.Content), "\n") {
			c := commentOf(f.Path, l)
			if c != "" && !strings.Contains(after[f.Path], c) {
				t.Errorf("%s:%d: the comment %q is gone", f.Path, i+1, c)
			}
		}
	}
	for _, l := range removedText(diff) {
		ok := false
		for _, tg := range targets {
			if strings.Contains(l, tg) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("the diff removes %q, which the change did not target", l)
		}
	}
}

// removedText returns the lines a unified diff removes from files it
// keeps (a deleted file's lines aside).
func removedText(diff []byte) []string {
	var out []string
	lines := strings.Split(string(diff), "\n")
	deleting := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "--- "):
			deleting = i+1 < len(lines) && lines[i+1] == "+++ /dev/null"
		case strings.HasPrefix(l, "+++ "):
		case strings.HasPrefix(l, "-") && !deleting:
			out = append(out, l)
		}
	}
	return out
}

// commentOf returns the comment of a line: a YAML or HCL "#" comment, or
// an HCL "//" comment, outside quotes.
func commentOf(path, l string) string {
	s := stripComment(l)
	if len(s) < len(l) {
		return strings.TrimSpace(l[len(s):])
	}
	if strings.HasSuffix(path, ".tf") {
		if i := strings.Index(l, "//"); i >= 0 && !strings.Contains(l[:i], `"`) {
			return strings.TrimSpace(l[i:])
		}
	}
	return ""
}

func TestUnsupported(t *testing.T) {
	for _, c := range []struct{ app, root, intent, want string }{
		{"helm-api", "apps/api", "add a sidecar container running envoy", "sidecar"},
		{"helm-api", "apps/api", "3 replicas in qa", "values-qa.yaml"},
		{"helm-api", "apps/api", "add a PodDisruptionBudget", "already has one"},
		{"kust-api", "apps/api", "add an HPA in production", "change it in the base"},
		{"tf-s3", "infra/logs", "add a DynamoDB table for locks", "DynamoDB"},
		{"helm-redis", "clusters/production/apps/redis", "set the schedule to 0 1 * * *", "no schedule"},
		{"helm-api", "apps/api", "remove the HPA", "already off"},
	} {
		ws := loadApp(t, c.app, c.root)
		app, _ := Detect(c.root, ws)
		_, err := Apply(context.Background(), app, Request{Intent: c.intent})
		var u *UnsupportedError
		if !errors.As(err, &u) {
			t.Errorf("%s: %q: err = %v, want an *UnsupportedError", c.app, c.intent, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || len(u.CanChange) == 0 {
			t.Errorf("%s: %q: %v; want it to name %q and what can change", c.app, c.intent, err, c.want)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		app, root string
		want      Kind
	}{
		{"helm-api", "apps/api", KindHelm},
		{"kust-api", "apps/api", KindKustomize},
		{"kust-web", "apps/web", KindKustomize},
		{"hr-podinfo", "apps/podinfo", KindHelmRelease},
		{"tf-s3", "infra/logs", KindTerraform},
		{"tf-gcs", "infra/backups", KindTerraform},
	} {
		app, ok := Detect(c.root, loadApp(t, c.app, c.root))
		if !ok || app.Kind != c.want || app.Root != c.root {
			t.Errorf("Detect(%s) = %+v, %v; want %s", c.root, app, ok, c.want)
		}
	}
	if _, ok := Detect("apps/api", loadApp(t, "helm-api", "apps/other")); ok {
		t.Error("Detect found an app in an empty folder")
	}
	if app, ok := Detect("apps/api/templates", loadApp(t, "helm-api", "apps/api")); ok {
		t.Errorf("Detect found %s in a chart's templates folder", app.Kind)
	}
}
