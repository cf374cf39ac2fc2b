package generator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// fluxExampleFiles reads Flux's kustomize-helm example (no generation
// config) as a workspace.
func fluxExampleFiles(t *testing.T) []workspace.File {
	t.Helper()
	return workspacetest.Read(t, "../validators/testdata/trees/flux2-kustomize-helm-example", "")
}

// A model writing into a repository without a config is told what was
// inferred — the conventions and layout, the repository's apps as
// examples — and what it writes is registered like the planner's.
func TestModelSeesInferredConventions(t *testing.T) {
	answer := providertest.JSON(map[string]string{
		"release.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
  namespace: redis
spec:
  interval: 50m
  chart:
    spec:
      chart: redis
      version: "19.6.4"
      sourceRef:
        kind: HelmRepository
        name: redis
  values:
    architecture: replication
    replica:
      replicaCount: 3
`,
		"repository.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: redis
  namespace: redis
spec:
  interval: 5m
  url: https://charts.bitnami.com/bitnami
`,
		"namespace.yaml":     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: redis\n",
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: redis\nresources:\n  - namespace.yaml\n  - repository.yaml\n  - release.yaml\n",
	})
	srv := providertest.OpenAI(t, providertest.Step{Text: answer})
	eng := modelEngine(srv, func(m *generator.ModelOptions) { m.ExampleTokens = 4000 })
	res, err := eng.Generate(context.Background(), generator.Request{
		Intent: "Deploy a Redis cluster with 3 replicas in production", TargetPath: "apps/base/redis", Environment: "production",
		Workspace: fluxExampleFiles(t),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d model requests", len(reqs))
	}
	prompt := strings.Join(reqs[0].Messages(), "\n")
	for _, want := range []string{`apps: "apps/base/{app}"`, `patches: "apps/{env}/{app}-values.yaml"`, "name: podinfo"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("the prompt lacks %q (the inferred config and the podinfo example)", want)
		}
	}
	files := map[string]string{}
	for _, f := range res.Files {
		files[f.Path] = string(f.Content)
	}
	if k := files["apps/production/kustomization.yaml"]; !strings.Contains(k, "- ../base/redis") || !strings.Contains(k, "path: redis-values.yaml") {
		t.Errorf("not registered in production:\n%s", k)
	}
	if v := files["apps/production/redis-values.yaml"]; !strings.Contains(v, "replicaCount: 3") {
		t.Errorf("production values:\n%s", v)
	}
	if _, ok := files[".stackgen/generation-config.yaml"]; ok {
		t.Error("the inferred config is in the result: it is context, not output")
	}
	if !strings.Contains(res.Provenance.Summary, "(inferred from 28 files; no .stackgen/generation-config.yaml)") {
		t.Errorf("summary: %s", res.Provenance.Summary)
	}
	if n := res.Report.Count(validators.SeverityWarning); n != 0 {
		t.Errorf("%d findings at warning or above: %v", n, res.Report.Findings)
	}
}
