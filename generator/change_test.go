package generator_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/workspace"
)

var updateChange = flag.Bool("update-change", false, "rewrite the golden diffs of the model change corpus in testdata/change")

// changeCase is a case of the change corpus (../change/testdata/corpus.json).
type changeCase struct {
	Name    string   `json:"name"`
	App     string   `json:"app"`
	Root    string   `json:"root"`
	Repo    bool     `json:"repo,omitempty"`
	Intent  string   `json:"intent"`
	Env     string   `json:"environment,omitempty"`
	Targets []string `json:"targets,omitempty"`
}

// loadChangeApp reads an input app of the change corpus, placed at root.
func loadChangeApp(t *testing.T, app, root string) []workspace.File {
	t.Helper()
	var files []workspace.File
	for p, c := range providertest.Files(t, filepath.Join("..", "change", "testdata", "apps", app)) {
		files = append(files, workspace.File{Path: path.Join(root, p), Content: []byte(c)})
	}
	return files
}

// TestChangeCorpusValidated runs the built-in author's corpus through the
// engine: each change is found (mode change), gives the corpus's golden
// diff, and leaves an app that renders and passes the checks.
func TestChangeCorpusValidated(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "change", "testdata", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []changeCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	e := generator.New(generator.Options{})
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ws := loadChangeApp(t, c.App, c.Root)
			if c.Repo {
				ws = loadChangeApp(t, c.App, "")
			}
			res, err := e.Generate(context.Background(), generator.Request{Intent: c.Intent, TargetPath: c.Root, Environment: c.Env, Workspace: ws}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != generator.ModeChange {
				t.Errorf("mode %s, want change", res.Mode)
			}
			want, err := os.ReadFile(filepath.Join("..", "change", "testdata", "diffs", c.Name+".diff"))
			if err != nil {
				t.Fatal(err)
			}
			if got := withoutRecord(t, c.Root, res.Patch); string(got) != string(want) {
				t.Errorf("patch differs from the corpus's golden diff:\n%s", got)
			}
			if !res.Valid() {
				t.Errorf("the changed app is not valid: %v", res.Report.Findings)
			}
		})
	}
}

// A change the built-in author cannot make is invalid input naming what
// it can change, and writes nothing.
func TestChangeUnsupportedIsInvalidInput(t *testing.T) {
	ws := loadChangeApp(t, "helm-api", "apps/api")
	res, err := generator.New(generator.Options{}).Generate(context.Background(),
		generator.Request{Intent: "add a sidecar container running envoy", TargetPath: "apps/api", Workspace: ws}, nil)
	if !errors.Is(err, generator.ErrInvalidInput) || res != nil {
		t.Fatalf("err = %v, res = %v; want invalid input and no result", err, res)
	}
	for _, want := range []string{"sidecar", "image or tag", "an HPA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// A change that breaks the chart is reported: the whole app is rendered
// and checked after the change.
func TestChangeReportsBrokenApp(t *testing.T) {
	ws := loadChangeApp(t, "helm-shop", "apps/shop")
	for i, f := range ws {
		if strings.HasSuffix(f.Path, "templates/service.yaml") {
			// A hand edit already in the repository breaks the chart; the
			// change keeps it (it edits what is there) and the report says so.
			ws[i].Content = []byte(strings.Replace(string(f.Content), "port: {{ .Values.service.port }}", "port: {{ .Values.service.port | required }}", 1))
		}
	}
	res, err := generator.New(generator.Options{}).Generate(context.Background(),
		generator.Request{Intent: "bump the image tag to 2024.12", TargetPath: "apps/shop", Workspace: ws}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid() || !res.Validated {
		t.Fatalf("valid %v, validated %v; want a validated, invalid result: %v", res.Valid(), res.Validated, res.Report.Findings)
	}
}

// modelChangeCase is a change made by a scripted model: answers are the
// folders testdata/change/<name>/1, 2, ... (files relative to the app
// folder), replayed in order.
type modelChangeCase struct {
	name, app, root, intent, env string
	answers                      int
	// extra files added to the first answer (paths as the model wrote them).
	extra map[string]string
	// inject edits the workspace before the change (hand edits already
	// committed).
	inject func(ws []workspace.File)
	// targets are the texts of the lines the change may remove.
	targets []string
	// prompt lists texts the first prompt must hold; secret, one it must not.
	prompt []string
	secret string
}

var modelChangeCases = []modelChangeCase{
	{name: "model-helm-api-hpa", app: "helm-api", root: "apps/api", intent: "add an HPA to the api: between 2 and 6 replicas at 75% CPU", answers: 1,
		targets: []string{"enabled: false", "maxReplicas: 5", "targetCPUUtilizationPercentage: 80"},
		prompt:  []string{"--- values.yaml\n", "replicaCount: 3 # hand: payments asked for 3 at least (JIRA PAY-412)", "App folder: apps/api (helm)"}},
	{name: "model-kust-api-replicas-production", app: "kust-api", root: "apps/api", intent: "5 replicas in production", answers: 1,
		prompt: []string{"--- overlays/production/kustomization.yaml\n", "never into the base"}},
	{name: "model-tf-s3-lifecycle", app: "tf-s3", root: "infra/logs", intent: "add a lifecycle rule that deletes objects after 90 days", answers: 1,
		prompt: []string{"--- main.tf\n", "keep resource names, bucket names and regions"}},
	{name: "model-helm-shop-startup-probe", app: "helm-shop", root: "apps/shop", intent: "add a startup probe on /healthz allowing 30 failures", answers: 1,
		prompt: []string{"--- templates/deployment.yaml\n", "<redacted:"}, secret: "Zq8vN2xLp4Tr7wYs",
		inject: func(ws []workspace.File) { injectSecret(ws, "apps/shop/values.yaml") }},
	{name: "model-helm-shop-secret-kept", app: "helm-shop", root: "apps/shop", intent: "set LOG_LEVEL to warn", answers: 1, targets: []string{"value: info"},
		secret: "Zq8vN2xLp4Tr7wYs", inject: func(ws []workspace.File) { injectSecret(ws, "apps/shop/values.yaml") }},
	{name: "model-helm-shop-repair", app: "helm-shop", root: "apps/shop", intent: "add an HPA between 3 and 10 replicas at 60% cpu", answers: 2,
		targets: []string{"replicas: {{ .Values.replicaCount }}"}},
	{name: "model-kust-web-outside", app: "kust-web", root: "apps/web", intent: "5 replicas in prod", answers: 2, targets: []string{"value: 3"},
		extra: map[string]string{"../../clusters/prod/web-replicas.yaml": "replicas: 5\n"}},
	{name: "model-hr-podinfo-ui", app: "hr-podinfo", root: "apps/podinfo", intent: "give the podinfo UI the colour #34577c and the message payments", answers: 1},
}

// injectSecret adds a hand-committed literal password to a values file.
func injectSecret(ws []workspace.File, path string) {
	for i, f := range ws {
		if f.Path == path {
			ws[i].Content = []byte(strings.Replace(string(f.Content), "  - name: LOG_LEVEL", "  - name: DB_PASSWORD\n    value: \"Zq8vN2xLp4Tr7wYs\"\n  - name: LOG_LEVEL", 1))
		}
	}
}

func TestModelChangeCorpus(t *testing.T) {
	for _, c := range modelChangeCases {
		t.Run(c.name, func(t *testing.T) {
			ws := loadChangeApp(t, c.app, c.root)
			if c.inject != nil {
				c.inject(ws)
			}
			var steps []providertest.Step
			for n := 1; n <= c.answers; n++ {
				files := providertest.Files(t, filepath.Join("testdata", "change", c.name, strconv.Itoa(n)))
				if n == 1 {
					for p, content := range c.extra {
						files[p] = content
					}
				}
				if c.inject != nil {
					// The model saw the values file redacted, and answers it so.
					for p, content := range files {
						if p == "values.yaml" {
							seen := []workspace.File{{Path: p, Content: []byte(content)}}
							injectSecret(seen, p)
							red, _ := secrets.Redact(seen[0].Content)
							files[p] = string(red)
						}
					}
				}
				steps = append(steps, providertest.Step{Text: providertest.JSON(files)})
			}
			srv := providertest.OpenAI(t, steps...)
			res, err := modelEngine(srv, nil).Generate(context.Background(),
				generator.Request{Intent: c.intent, TargetPath: c.root, Environment: c.env, Workspace: ws}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != generator.ModeChange || res.Provenance.Generator != "model" {
				t.Errorf("mode %s, generator %s; want a change by the model", res.Mode, res.Provenance.Generator)
			}
			if !res.Valid() {
				t.Errorf("the changed app is not valid: %v", res.Report.Findings)
			}
			if got := len(res.Provenance.Attempts); got != c.answers {
				t.Errorf("%d attempts, want %d: %+v", got, c.answers, res.Provenance.Attempts)
			}
			changeGolden(t, c.name, withoutRecord(t, c.root, res.Patch))
			checkKept(t, ws, res.Files, res.Patch, c.targets)
			for _, f := range res.Files {
				if !strings.HasPrefix(f.Path, c.root+"/") {
					t.Errorf("%s is outside the app folder %s", f.Path, c.root)
				}
			}
			reqs := srv.Requests()
			first := strings.Join(reqs[0].Messages(), "\n")
			for _, want := range c.prompt {
				if !strings.Contains(first, want) {
					t.Errorf("the prompt lacks %q", want)
				}
			}
			if c.secret != "" {
				for _, r := range reqs {
					if strings.Contains(strings.Join(r.Messages(), "\n"), c.secret) {
						t.Errorf("a secret of the app was sent to the model")
					}
				}
				if res.Provenance.Redacted == 0 {
					t.Error("nothing was redacted")
				}
				if strings.Contains(string(res.Patch), "redacted") {
					t.Errorf("the patch writes a redacted placeholder:\n%s", res.Patch)
				}
			}
			if c.answers > 1 {
				repair := reqs[1].Last()
				if !strings.Contains(repair, "must be fixed") {
					t.Errorf("the repair request does not list the findings:\n%s", repair)
				}
			}
		})
	}
}

// changeGolden compares a patch with testdata/change/<name>.diff.
// withoutRecord returns patch without the section of the app's record
// (.aiden/record.yaml), which a change adds or updates beside the files it
// edits, after checking that the record lists only files the patch writes
// and that it is the only file of the patch outside the change's golden.
func withoutRecord(t *testing.T, root string, patch []byte) []byte {
	t.Helper()
	header := "diff --git a/" + root + "/" + record.Path + " "
	var out strings.Builder
	text := string(patch)
	for text != "" {
		end := strings.Index(text[1:], "\ndiff --git ")
		sec := text
		if end >= 0 {
			sec = text[:end+2]
		}
		text = text[len(sec):]
		if !strings.HasPrefix(sec, header) {
			out.WriteString(sec)
			continue
		}
		for _, line := range strings.Split(sec, "\n") {
			name, _, ok := strings.Cut(strings.TrimPrefix(line, "+  "), ": sha256:")
			if ok && strings.HasPrefix(line, "+  ") && !strings.Contains(string(patch), " b/"+root+"/"+name+"\n") {
				t.Errorf("the record lists %s, which the change does not write", name)
			}
		}
	}
	return []byte(out.String())
}

func changeGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "change", name+".diff")
	if *updateChange {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update-change to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("patch differs from %s:\n%s", p, got)
	}
}

// checkKept asserts that every comment of the workspace survives the
// change and that every line the patch removes (from files it keeps) is
// one of targets.
func checkKept(t *testing.T, ws, changed []workspace.File, diff []byte, targets []string) {
	t.Helper()
	after := map[string]string{}
	for _, f := range ws {
		after[f.Path] = string(f.Content)
	}
	for _, f := range changed {
		after[f.Path] = string(f.Content)
	}
	for _, f := range ws {
		for _, l := range strings.Split(string(f.Content), "\n") {
			if i := strings.Index(l, "#"); i >= 0 && !strings.Contains(l[:i], `"`) && !strings.Contains(l[:i], "'") {
				if c := l[i:]; !strings.Contains(after[f.Path], c) {
					t.Errorf("%s: the comment %q is gone", f.Path, c)
				}
			}
		}
	}
	lines := strings.Split(string(diff), "\n")
	deleting := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "--- "):
			deleting = i+1 < len(lines) && lines[i+1] == "+++ /dev/null"
		case strings.HasPrefix(l, "+++ "):
		case strings.HasPrefix(l, "-") && !deleting:
			ok := false
			for _, tg := range targets {
				ok = ok || strings.Contains(l, tg)
			}
			if !ok {
				t.Errorf("the patch removes %q, which the change did not target", l)
			}
		}
	}
}
