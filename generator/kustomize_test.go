package generator_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/conventions/conventionstest"
	"github.com/stackgen/aiden/genconfig"
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
// Either way the overlay gets the environment's part of the conventions.
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
			// The model's overlay goes through the same conventions: the
			// config's {env} parts are its own.
			if k := file(res.Files, "apps/web/overlays/production/kustomization.yaml"); !strings.Contains(k, "namePrefix: production-\n") || !strings.Contains(k, "namespace: payments-production\n") {
				t.Errorf("the model's overlay lacks the environment's conventions:\n%s", k)
			}
			user := srv.Requests()[0].Messages()[1]
			if !strings.Contains(user, "components/monitoring: used by the overlays for production (clusters/production/apps/podinfo)") {
				t.Errorf("the prompt does not name the repository's component:\n%s", user)
			}
		})
	}
}

// TestGenerateKustomizeEnvConventions: the example repository's config
// uses {env} in its naming pattern, namespace and a label, and a Kustomize
// generation for two environments knows no single one; each overlay
// applies its environment's part, so that what it builds is named, placed
// and labelled for it, its references still resolve, and no rule is left
// unapplied.
func TestGenerateKustomizeEnvConventions(t *testing.T) {
	ws := exampleWorkspace(t, "apps/shop")
	res, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{
		Intent:     "Deploy a web app ghcr.io/acme/shop:1.2.0 on port 8080 with 3 replicas in production and 1 in staging",
		Format:     generator.FormatKustomize,
		TargetPath: "apps/shop",
		Workspace:  ws,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid() {
		t.Fatalf("not valid: %+v", res.Report.Findings)
	}
	for _, c := range res.Report.Checks {
		if c.Status != validators.CheckPassed {
			t.Errorf("check %s: %s, want passed: %s", c.Name, c.Status, c.Detail)
		}
		if c.Name == "schema" && c.Checked != 8 {
			t.Errorf("schema check %+v, want the 4 objects of each overlay", c)
		}
	}
	fixed := map[string]int{}
	for _, f := range res.Report.Findings {
		if f.Severity != validators.SeverityInfo && !f.Fixed {
			t.Errorf("finding left: %s", f)
		}
		if f.Fixed && strings.HasSuffix(f.File, "/kustomization.yaml") {
			fixed[f.File]++
		}
	}
	for _, env := range []string{"production", "staging"} {
		if p := "apps/shop/overlays/" + env + "/kustomization.yaml"; fixed[p] != 2 {
			t.Errorf("%d fixes in %s, want namePrefix and namespace", fixed[p], p)
		}
	}

	dir := conventionstest.Apply(t, exampleRepo, res.Patch)
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"production", "staging"} {
		built := conventionstest.Build(t, dir, "apps/shop/overlays/"+env)
		kinds := map[string]bool{}
		dec := yaml.NewDecoder(bytes.NewReader(built.Content))
		for {
			var o struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
			}
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			kinds[o.Kind] = true
			if o.Metadata.Name != env+"-shop" || o.Metadata.Namespace != "payments-"+env {
				t.Errorf("%s: %s %s/%s, want %s-shop in payments-%s", env, o.Kind, o.Metadata.Namespace, o.Metadata.Name, env, env)
			}
		}
		if len(kinds) != 4 || !kinds["ServiceAccount"] || !kinds["PodDisruptionBudget"] {
			t.Errorf("%s builds %v, want a Deployment, Service, PodDisruptionBudget and ServiceAccount", env, kinds)
		}
		if got := strings.Count(string(built.Content), "environment: "+env+"\n"); got != 5 {
			t.Errorf("%s: environment=%s on %d objects and pod templates, want 5:\n%s", env, env, got, built.Content)
		}
		fs, err := conventions.Check(cfg, genconfig.Vars{Env: env, App: "shop", Team: cfg.Team}, []workspace.File{built})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			t.Errorf("%s build breaks the config: %s", env, f)
		}
		problems, err := conventionstest.References([]workspace.File{built})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s reference: %s", env, p)
		}
		if !strings.Contains(string(built.Content), "serviceAccountName: "+env+"-shop\n") {
			t.Errorf("%s: the Deployment does not name the prefixed ServiceAccount:\n%s", env, built.Content)
		}
	}
}
