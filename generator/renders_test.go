package generator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/internal/rendercount"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// TestRenderOncePerAttempt counts the chart renders and kustomize builds
// one request makes, at the render entry points (helmchart.Renderer.Render
// and kustomize.Tree.BuildContext count into a counter the request's
// context carries): every chart and every Kustomize folder is rendered
// once per attempt, with the conventions, lint, schema and policy checks
// all reading that render.
func TestRenderOncePerAttempt(t *testing.T) {
	const prod = "clusters/production/apps/"
	web := "deploy an API with image ghcr.io/acme/api:1.4.2 on port 3000 exposed at api.example.com with TLS, autoscale between 2 and 10 replicas at 70% CPU"
	for _, tc := range []struct {
		name     string
		engine   func(t *testing.T) *generator.Engine
		req      func(t *testing.T) generator.Request
		attempts int
		// rendered are what must have been rendered (each once per
		// attempt): "chart <name>" or "kustomize <folder>".
		rendered []string
	}{
		{
			name:   "planner, helm chart with conventions to fix",
			engine: func(*testing.T) *generator.Engine { return generator.New(generator.Options{}) },
			req: func(t *testing.T) generator.Request {
				return generator.Request{Intent: "a redis cache in production", TargetPath: prod + "cache", PolicyCheck: true,
					Workspace: repoWorkspace(t, prod+"cache", generator.FormatHelm, true)}
			},
			attempts: 1,
			rendered: []string{"chart cache"},
		},
		{
			name:   "planner, kustomize base and overlays",
			engine: func(*testing.T) *generator.Engine { return generator.New(generator.Options{}) },
			req: func(t *testing.T) generator.Request {
				return generator.Request{Intent: web + " in production", TargetPath: prod + "api", Format: generator.FormatKustomize, PolicyCheck: true,
					Workspace: repoWorkspace(t, prod+"api", generator.FormatKustomize, false)}
			},
			attempts: 1,
		},
		{
			name:   "planner, kustomize overlays of no environment, checked against the conventions",
			engine: func(*testing.T) *generator.Engine { return generator.New(generator.Options{}) },
			req: func(t *testing.T) generator.Request {
				return generator.Request{Intent: web, TargetPath: "apps/api", Format: generator.FormatKustomize, PolicyCheck: true,
					Workspace: repoWorkspace(t, prod+"api", generator.FormatKustomize, false)}
			},
			attempts: 1,
		},
		{
			name: "model, helm chart, one repair round",
			engine: func(t *testing.T) *generator.Engine {
				srv := providertest.OpenAI(t, providertest.Step{Text: answer(t, "bad")}, providertest.Step{Text: answer(t, "good")})
				return modelEngine(srv, nil)
			},
			req: func(t *testing.T) generator.Request {
				req := request()
				req.PolicyCheck = true
				return req
			},
			attempts: 2,
			rendered: []string{"chart shop"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, renders := rendercount.With(context.Background())
			res, err := tc.engine(t).Generate(ctx, tc.req(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := max(len(res.Provenance.Attempts), 1); n != tc.attempts {
				t.Fatalf("%d attempts, want %d", n, tc.attempts)
			}
			counts := renders.Counts()
			t.Logf("renders: %v; checks: %s", counts, checkNames(res.Report))
			if len(counts) == 0 {
				t.Fatal("nothing was rendered")
			}
			for what, n := range counts {
				if n != tc.attempts {
					t.Errorf("%s rendered %d times in %d attempts, want once per attempt", what, n, tc.attempts)
				}
			}
			for _, what := range tc.rendered {
				if counts[what] == 0 {
					t.Errorf("%s was not rendered (rendered: %v)", what, renders.Keys())
				}
			}
		})
	}
}

func checkNames(rep validators.Report) string {
	var out []string
	for _, c := range rep.Checks {
		out = append(out, fmt.Sprintf("%s %s", c.Name, c.Status))
	}
	return strings.Join(out, ", ")
}

// TestValidateRendersOnce: Validate renders each chart and builds each
// Kustomize folder once, the conventions check reading the same render as
// the render, lint, schema and policy checks.
func TestValidateRendersOnce(t *testing.T) {
	ctx := context.Background()
	engine := generator.New(generator.Options{})
	chart, err := engine.Generate(ctx, generator.Request{Intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 in production",
		TargetPath: "clusters/production/apps/api", Workspace: repoWorkspace(t, "clusters/production/apps/api", "", true)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kust, err := engine.Generate(ctx, generator.Request{Intent: "a web app ghcr.io/acme/shop:1.2.0 on port 8080 with 3 replicas in production and 1 in staging",
		Format: generator.FormatKustomize, TargetPath: "base/shop", Workspace: exampleWorkspace(t, "base/shop")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := []workspace.File{exampleFile(t, genconfig.Path), exampleFile(t, "components/monitoring/kustomization.yaml")}
	for _, f := range append(chart.Files, kust.Files...) {
		if workspace.Within("clusters/production/apps/api", f.Path) || workspace.Within("base/shop", f.Path) {
			files = append(files, f)
		}
	}
	cctx, renders := rendercount.With(ctx)
	rep, err := engine.Validate(cctx, files, generator.Check{PolicyCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	counts := renders.Counts()
	t.Logf("renders: %v; checks: %s", counts, checkNames(rep))
	for what, n := range counts {
		if n != 1 {
			t.Errorf("%s rendered %d times, want once", what, n)
		}
	}
	for _, what := range []string{"chart api", "kustomize base/shop/overlays/production", "kustomize base/shop/overlays/staging"} {
		if counts[what] == 0 {
			t.Errorf("%s was not rendered (rendered: %v)", what, renders.Keys())
		}
	}
	var conv *validators.Check
	for i, c := range rep.Checks {
		if c.Name == "conventions" {
			conv = &rep.Checks[i]
		}
	}
	if conv == nil || conv.Status != validators.CheckPassed || !strings.Contains(conv.Detail, "of 2 apps") {
		t.Errorf("conventions check %+v, want both apps checked and passed", conv)
	}
}
