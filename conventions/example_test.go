package conventions_test

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
)

// exampleRepo is the example GitOps repository. The tests that generate
// into it, through the engine, for every blueprint of the planner and for
// a model answer, are generator's TestExampleRepository and
// TestExampleRepositoryModel.
const exampleRepo = "../examples/gitops"

// TestExampleManifestsFollowTheConfig keeps the example repository's
// few-shot manifests in line with its own generation config.
func TestExampleManifestsFollowTheConfig(t *testing.T) {
	ws, err := workspace.Load(exampleRepo, "clusters/production/apps/podinfo")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	var examples []workspace.File
	for _, f := range ws {
		if strings.HasPrefix(f.Path, cfg.ExamplesDir()+"/") {
			examples = append(examples, f)
		}
	}
	if len(examples) < 3 {
		t.Fatalf("got %d example manifests", len(examples))
	}
	fs, err := conventions.Check(cfg, genconfig.Vars{Env: "production", App: "podinfo"}, examples)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("%s", f)
	}
}
