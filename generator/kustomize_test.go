package generator_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// exampleWorkspace reads what a generation of target in examples/gitops
// reads (gitops.Load): its clusters' overlays and its components among
// them.
func exampleWorkspace(t *testing.T, target string) []workspace.File {
	t.Helper()
	files, err := gitops.Load(workspace.Limits{}, filepath.Join("..", "examples", "gitops"), target)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func file(files []workspace.File, p string) string {
	for _, f := range files {
		if f.Path == p {
			return string(f.Content)
		}
	}
	return ""
}

func kustomizeCheck(t *testing.T, rep validators.Report) validators.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == "kustomize" {
			return c
		}
	}
	t.Fatalf("no kustomize check in %+v", rep.Checks)
	return validators.Check{}
}

// TestGenerateKustomizeUsesRepositoryComponents: the planner's overlays
// list the Component the repository's production overlay uses, the engine
// reports it, and the overlays build over the repository's files.
func TestGenerateKustomizeUsesRepositoryComponents(t *testing.T) {
	ws := exampleWorkspace(t, "apps/checkout")
	res, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{
		Intent:     "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 with 2 replicas in production and 1 in staging",
		Format:     generator.FormatKustomize,
		TargetPath: "apps/checkout",
		Workspace:  ws,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid() {
		t.Fatalf("not valid: %+v", res.Report.Findings)
	}
	if c := kustomizeCheck(t, res.Report); c.Status != validators.CheckPassed || c.Checked != 2 {
		t.Errorf("kustomize check %+v, want 2 overlays passed", c)
	}
	if k := file(res.Files, "apps/checkout/overlays/production/kustomization.yaml"); !strings.Contains(k, "  - ../../../../components/monitoring\n") {
		t.Errorf("production overlay does not list the component:\n%s", k)
	}
	if !slices.ContainsFunc(res.Provenance.Understood, func(f planner.Fact) bool {
		return f.Key == "kustomize-component" && f.Value == "monitoring in production"
	}) {
		t.Errorf("provenance does not report the component: %v", res.Provenance.Understood)
	}
}

// TestModelKustomizeBuildsInRepository: a model's overlay that lists the
// repository's Component builds (the model is told about it); one that
// lists a Component the repository lacks is a finding at the overlay.
func TestModelKustomizeBuildsInRepository(t *testing.T) {
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app.kubernetes.io/name: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: web}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0
`
	answer := func(component string) string {
		return providertest.JSON(map[string]string{
			"base/kustomization.yaml":                "resources:\n  - deployment.yaml\n",
			"base/deployment.yaml":                   deployment,
			"overlays/production/kustomization.yaml": "resources:\n  - ../../base\ncomponents:\n  - ../../../../components/" + component + "\n",
		})
	}
	for _, tt := range []struct {
		component string
		valid     bool
	}{{"monitoring", true}, {"tracing", false}} {
		t.Run(tt.component, func(t *testing.T) {
			srv := providertest.OpenAI(t, providertest.Step{Text: answer(tt.component)})
			res, err := modelEngine(srv, func(m *generator.ModelOptions) { m.RepairRounds = -1 }).Generate(context.Background(), generator.Request{
				Intent:     "a web app ghcr.io/acme/web:1.0.0 in production",
				Format:     generator.FormatKustomize,
				TargetPath: "apps/web",
				Workspace:  exampleWorkspace(t, "apps/web"),
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			errs := 0
			for _, f := range res.Report.Findings {
				if f.Rule == "kustomize" && f.Severity == validators.SeverityError {
					errs++
					if f.File != "apps/web/overlays/production/kustomization.yaml" {
						t.Errorf("finding at %s, want the overlay: %s", f.File, f)
					}
				}
			}
			if got := errs == 0; got != tt.valid {
				t.Errorf("overlay builds = %v, want %v: %+v", got, tt.valid, res.Report.Findings)
			}
			user := srv.Requests()[0].Messages()[1]
			if !strings.Contains(user, "components/monitoring: used by the overlays for production (clusters/production/apps/podinfo)") {
				t.Errorf("the prompt does not name the repository's component:\n%s", user)
			}
		})
	}
}
