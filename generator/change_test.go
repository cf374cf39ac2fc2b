package generator_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/workspace"
)

var updateChange = flag.Bool("update-change", false, "rewrite the golden diffs of the model change corpus in testdata/change")

// changeCase is a case of the change corpus (../change/testdata/corpus.json).
type changeCase struct {
	Name    string   `json:"name"`
	App     string   `json:"app"`
	Root    string   `json:"root"`
	Intent  string   `json:"intent"`
	Env     string   `json:"environment,omitempty"`
	Targets []string `json:"targets,omitempty"`
}

// loadChangeApp reads an input app of the change corpus, placed at root.
func loadChangeApp(t *testing.T, app, root string) []workspace.File {
	t.Helper()
	var files []workspace.File
	for p, c := range providertest.Files(t, filepath.Join("..", "change", "testdata", "apps", app)) {
		files = append(files, workspace.File{Path: root + "/" + p, Content: []byte(c)})
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
			if string(res.Patch) != string(want) {
				t.Errorf("patch differs from the corpus's golden diff:\n%s", res.Patch)
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
