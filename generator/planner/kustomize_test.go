package planner

import (
	"context"
	"errors"
	"github.com/stackgen/aiden/genconfig"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// kustomizeCases are intents whose Kustomize output is kept under
// testdata/golden-kustomize and proven clean by TestKustomizeValidates.
var kustomizeCases = []struct {
	name   string
	intent string
	hints  Hints
}{
	{name: "web-per-environment", intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 with 3 replicas in production and 1 in staging, exposed at shop.example.com in production and staging.shop.example.com in staging with TLS"},
	{name: "redis-workspace-environments", intent: "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover",
		hints: Hints{Environments: []string{"production", "staging"}}},
	{name: "worker-hpa-default-environments", intent: "a background worker with image ghcr.io/acme/jobs:2.0.1 that autoscales from 2 to 6 pods at 60% CPU with 4 replicas in production and 1 in dev"},
	{name: "postgresql", intent: "a postgres database with 50 GB of storage", hints: Hints{Environments: []string{"staging", "production"}}},
	{name: "redis-configured-resources", intent: "a redis cache with 3 replicas and automatic failover", hints: Hints{
		Environments: []string{"production", "staging"},
		Resources: map[string]Resources{
			"production": {CPURequest: "250m", CPULimit: "1", MemoryRequest: "256Mi", MemoryLimit: "512Mi"},
			"default":    {CPURequest: "50m", CPULimit: "500m", MemoryRequest: "64Mi", MemoryLimit: "256Mi"},
		}}},
	{name: "cronjob", intent: "a cron job running ghcr.io/acme/backup:1.0.0 every night at 2am UTC in production"},
}

func kustomizePlan(t *testing.T, intent string, h Hints) (*Plan, []workspace.File) {
	t.Helper()
	h.Format = "kustomize"
	plan, err := Parse(intent, h)
	if err != nil {
		t.Fatalf("Parse(%q): %v", intent, err)
	}
	files, err := plan.Files("kustomize")
	if err != nil {
		t.Fatalf("Files(kustomize): %v", err)
	}
	return plan, files
}

func place(root string, files []workspace.File) []workspace.File {
	out := make([]workspace.File, len(files))
	for i, f := range files {
		out[i] = workspace.File{Path: path.Join(root, f.Path), Content: f.Content}
	}
	return out
}

// TestKustomizeValidates builds every overlay of every case (and of every
// chart case) in memory and schema-validates the objects: no finding at
// warning or above, and one built overlay per environment.
func TestKustomizeValidates(t *testing.T) {
	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("validators.New: %v", err)
	}
	type tc struct {
		name, intent string
		hints        Hints
	}
	var cases []tc
	for _, c := range kustomizeCases {
		cases = append(cases, tc{c.name, c.intent, c.hints})
	}
	for _, c := range chartCases {
		cases = append(cases, tc{"chart-" + c.name, c.intent, c.hints})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, files := kustomizePlan(t, c.intent, c.hints)
			root := "apps/" + plan.App
			rep, err := v.Validate(context.Background(), place(root, files), validators.CheckOptions{})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for _, f := range rep.Findings {
				if f.Severity >= validators.SeverityWarning {
					t.Errorf("finding: %s", f)
				}
			}
			checks := map[string]validators.Check{}
			for _, ch := range rep.Checks {
				checks[ch.Name] = ch
			}
			if k := checks["kustomize"]; k.Status != validators.CheckPassed || k.Checked != len(plan.Environments) {
				t.Errorf("kustomize check %+v, want passed for %d overlays", k, len(plan.Environments))
			}
			if s := checks["schema"]; s.Status != validators.CheckPassed || s.Skipped != 0 {
				t.Errorf("schema check %+v, want passed with nothing skipped", s)
			}
		})
	}
}

// built returns each overlay's build output, by environment.
func built(t *testing.T, files []workspace.File) map[string]string {
	t.Helper()
	tree := kustomize.Load(files, nil)
	out := map[string]string{}
	for _, r := range tree.Build(tree.Roots()) {
		if len(r.Problems) > 0 {
			t.Fatalf("%s: %+v", r.Dir, r.Problems)
		}
		out[path.Base(r.Dir)] = string(r.Manifest)
	}
	return out
}

func TestKustomizeOverlaysDifferAsAsked(t *testing.T) {
	plan, files := kustomizePlan(t, kustomizeCases[0].intent, Hints{})
	if got, want := plan.Environments, []string{"production", "staging"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("environments: got %q, want %q", got, want)
	}
	out := built(t, files)
	tests := []struct {
		env, replicas, host string
	}{
		{env: "production", replicas: "replicas: 3", host: "host: shop.example.com"},
		{env: "staging", replicas: "replicas: 1", host: "host: staging.shop.example.com"},
	}
	for _, tt := range tests {
		got := out[tt.env]
		for _, want := range []string{tt.replicas, tt.host, "environment: " + tt.env} {
			if !strings.Contains(got, want) {
				t.Errorf("%s overlay: no %q in\n%s", tt.env, want, got)
			}
		}
		if strings.Contains(got, "helm.sh/chart") || strings.Contains(got, "managed-by: Helm") {
			t.Errorf("%s overlay keeps Helm labels", tt.env)
		}
	}
}

// exampleRepository returns the files of examples/gitops with paths
// relative to it, and its generation config.
func exampleRepository(t *testing.T) ([]workspace.File, *genconfig.Config) {
	t.Helper()
	repo := filepath.Join("..", "..", "examples", "gitops")
	ws, err := validators.LoadPaths(repo)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ws {
		rel, _ := filepath.Rel(repo, filepath.FromSlash(ws[i].Path))
		ws[i].Path = filepath.ToSlash(rel)
	}
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	return ws, cfg
}

// exampleHints are the hints the engine gives for a Kustomize generation
// into target in the example repository.
func exampleHints(ws []workspace.File, cfg *genconfig.Config, target string) Hints {
	return Hints{Environments: WorkspaceEnvironments(ws, cfg), Resources: ConfigResources(cfg), Components: WorkspaceComponents(ws), TargetPath: target}
}

// builtIn builds every overlay of files over the repository's files ws,
// by environment, failing on any problem; the roots must be files'
// overlays and nothing of the repository.
func builtIn(t *testing.T, files, ws []workspace.File) map[string]string {
	t.Helper()
	tree := kustomize.Load(files, ws)
	out := map[string]string{}
	for _, r := range tree.Build(tree.Roots()) {
		if len(r.Problems) > 0 {
			t.Fatalf("%s: %+v", r.Dir, r.Problems)
		}
		if path.Base(path.Dir(r.Dir)) != "overlays" {
			t.Errorf("built %s, which is not a generated overlay", r.Dir)
		}
		out[path.Base(r.Dir)] = string(r.Manifest)
	}
	return out
}

// TestKustomizeExampleEnvironments generates into the example repository
// the way the engine does: the environments are its clusters (production,
// staging), the resources its generation config's, and the Components
// those its overlays use (clusters/production/apps/podinfo lists
// components/monitoring). Every overlay builds over the repository's
// files, the overlays differ as the intent asks, and the checks pass.
func TestKustomizeExampleEnvironments(t *testing.T) {
	ws, cfg := exampleRepository(t)
	h := exampleHints(ws, cfg, "apps/checkout")
	if want := []string{"production", "staging"}; !reflect.DeepEqual(h.Environments, want) {
		t.Fatalf("WorkspaceEnvironments: got %q, want %q", h.Environments, want)
	}
	wantComponents := []Component{{Path: "components/monitoring", UsedBy: map[string]string{"production": "clusters/production/apps/podinfo"}}}
	if !reflect.DeepEqual(h.Components, wantComponents) {
		t.Fatalf("WorkspaceComponents: got %+v, want %+v", h.Components, wantComponents)
	}
	plan, files := kustomizePlan(t, "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 with 3 replicas in production and 1 in staging, 2 CPU in production", h)
	if !reflect.DeepEqual(plan.Environments, h.Environments) {
		t.Errorf("plan environments %q, want %q", plan.Environments, h.Environments)
	}
	placed := place("apps/checkout", files)
	kfiles := map[string]string{}
	for _, f := range placed {
		kfiles[f.Path] = string(f.Content)
	}
	if k := kfiles["apps/checkout/overlays/production/kustomization.yaml"]; !strings.Contains(k, "components:\n  - ../../../../components/monitoring\n") {
		t.Errorf("the production overlay does not list the monitoring component as production's podinfo does:\n%s", k)
	}
	if k := kfiles["apps/checkout/overlays/staging/kustomization.yaml"]; strings.Contains(k, "components:") {
		t.Errorf("the staging overlay lists a component no staging overlay of the repository uses:\n%s", k)
	}
	if !slices.ContainsFunc(plan.Understood, func(f Fact) bool {
		return f.Key == "kustomize-component" && f.Value == "monitoring in production" && strings.Contains(f.From, "clusters/production/apps/podinfo")
	}) {
		t.Errorf("understood does not report the component: %v", plan.Understood)
	}

	out := builtIn(t, placed, ws)
	if len(out) != 2 {
		t.Fatalf("got overlays %q, want production and staging", keys(out))
	}
	// Replicas and production's CPU from the intent, the rest of the
	// resources from the generation config (production: 256Mi to 512Mi;
	// default: 50m/64Mi to 500m/256Mi), the scrape annotation from the
	// component in production only.
	for env, want := range map[string][]string{
		"production": {"replicas: 3", `cpu: "2"`, "memory: 256Mi", "memory: 512Mi", `prometheus.io/scrape: "true"`, "environment: production"},
		"staging":    {"replicas: 1", "cpu: 50m", "memory: 64Mi", "cpu: 500m", "memory: 256Mi", "environment: staging"},
	} {
		for _, w := range want {
			if !strings.Contains(out[env], w) {
				t.Errorf("%s overlay: no %q in\n%s", env, w, out[env])
			}
		}
	}
	if strings.Contains(out["staging"], "prometheus.io/scrape") {
		t.Errorf("staging overlay has the monitoring annotation:\n%s", out["staging"])
	}
	if out["production"] == out["staging"] {
		t.Error("the overlays build the same objects")
	}

	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Validate(context.Background(), placed, validators.CheckOptions{Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Count(validators.SeverityWarning); n != 0 {
		t.Errorf("%d findings: %+v", n, rep.Findings)
	}
	checks := map[string]validators.Check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	if k := checks["kustomize"]; k.Status != validators.CheckPassed || k.Checked != 2 {
		t.Errorf("kustomize check %+v, want passed for 2 overlays", k)
	}
	if s := checks["schema"]; s.Status != validators.CheckPassed || s.Skipped != 0 {
		t.Errorf("schema check %+v, want passed with nothing skipped", s)
	}

	// Without the repository's files the production overlay cannot build:
	// the component is outside the generated folder.
	rep, err = v.Validate(context.Background(), placed, validators.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(validators.SeverityError) == 0 {
		t.Error("the overlays built without the repository's component")
	}
}

// TestKustomizeComponentNamedInIntent: "with monitoring" lists the
// repository's monitoring component in every overlay, and the cron job's
// overlays build with it (its patch targets Deployments only).
func TestKustomizeComponentNamedInIntent(t *testing.T) {
	ws, cfg := exampleRepository(t)
	for _, tt := range []struct{ name, intent string }{
		{"worker", "a background worker with image ghcr.io/acme/jobs:2.0.1 with monitoring"},
		{"cronjob", "a cron job running ghcr.io/acme/backup:1.0.0 every night at 2am, with the monitoring component"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan, files := kustomizePlan(t, tt.intent, exampleHints(ws, cfg, "apps/jobs"))
			if len(plan.Ignored) != 0 {
				t.Errorf("ignored %q", plan.Ignored)
			}
			if !slices.ContainsFunc(plan.Understood, func(f Fact) bool {
				return f.Key == "kustomize-component" && f.Value == "monitoring in every environment" && strings.Contains(f.From, "monitoring")
			}) {
				t.Errorf("understood does not report the named component: %v", plan.Understood)
			}
			placed := place("apps/jobs", files)
			for _, f := range placed {
				if strings.HasSuffix(f.Path, "/kustomization.yaml") && strings.Contains(f.Path, "/overlays/") &&
					!strings.Contains(string(f.Content), "  - ../../../../components/monitoring\n") {
					t.Errorf("%s does not list the component:\n%s", f.Path, f.Content)
				}
			}
			out := builtIn(t, placed, ws)
			for env, m := range out {
				if want := tt.name == "worker"; strings.Contains(m, "prometheus.io/scrape") != want {
					t.Errorf("%s: scrape annotation present = %v, want %v:\n%s", env, !want, want, m)
				}
			}
		})
	}

	// Without Components in the hints the word is not understood, and the
	// intent is declined naming it rather than answered without it.
	_, err := Parse("a background worker with image ghcr.io/acme/jobs:2.0.1 with monitoring", Hints{Format: "kustomize", TargetPath: "apps/jobs"})
	if !errors.Is(err, ErrNotCovered) || !strings.Contains(err.Error(), `"monitoring"`) {
		t.Errorf("without components: %v, want a decline naming monitoring", err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestWorkspaceEnvironmentsFromConfig(t *testing.T) {
	files := []workspace.File{{Path: workspace.ConfigPath, Content: []byte("version: 1\nresources:\n  production: {requests: {cpu: 100m}}\n  qa: {requests: {cpu: 50m}}\n  default: {requests: {cpu: 10m}}\n")}}
	cfg, err := genconfig.FromWorkspace(files)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := WorkspaceEnvironments(files, cfg), []string{"production", "qa"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestKustomizeGolden(t *testing.T) {
	for _, tc := range kustomizeCases {
		t.Run(tc.name, func(t *testing.T) {
			plan, files := kustomizePlan(t, tc.intent, tc.hints)
			got := map[string]string{"plan.txt": describePlan(tc.intent, plan)}
			for _, f := range files {
				got[f.Path] = string(f.Content)
			}
			golden(t, filepath.Join("testdata", "golden-kustomize", tc.name), got)
		})
	}
}

// golden compares got (file name to content) with the files under dir,
// or rewrites them with -update.
func golden(t *testing.T, dir string, got map[string]string) {
	t.Helper()
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for name, content := range got {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		want[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("read golden files (run go test -update): %v", err)
	}
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: missing from the output", name)
		case g != w:
			t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, firstDiff(g, w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: not in the golden files", name)
		}
	}
}
