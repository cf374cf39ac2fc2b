package generator_test

import (
	"context"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/conventions/conventionstest"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// exampleRepo is the example GitOps repository the docs use.
const exampleRepo = "../examples/gitops"

// exampleCase is one generation into the example repository.
type exampleCase struct {
	name   string
	target string
	intent string
	format generator.Format
	// component is what the planner must have read from the intent.
	component string
	// noPreferred drops the config's preferred charts, so that the
	// planner writes its own chart for a component the config names one
	// for.
	noPreferred bool
	// preferred says the result is a HelmRelease of the preferred chart,
	// reading it from the HelmRepository in the cluster's infrastructure.
	preferred bool
	// noSource leaves that HelmRepository out of the workspace: the
	// generation must write its own.
	noSource bool
	// summary is part of what the planner says it built.
	summary string
	// external lists the objects (Kind/name) the files name but do not
	// hold, by design: Secrets the team creates, since aiden writes no
	// plaintext Secret.
	external []string
	// builds must appear in the parent folder's kustomize build.
	builds string
}

// TestExampleRepository generates into the example repository for every
// blueprint of the built-in planner, through the engine, and checks the
// final files: they satisfy the generation config (checked again from
// scratch, on what the charts render), every reference by name among the
// objects the cluster ends up with resolves after the renames (the Flux
// HelmRelease's sourceRef included), the patch applies with git apply, and
// the parent kustomization builds with kustomize.
func TestExampleRepository(t *testing.T) {
	const prod = "clusters/production/apps/"
	for _, tc := range []exampleCase{
		{name: "redis-sentinel, preferred chart", target: prod + "redis", component: "redis", preferred: true, summary: "Sentinel",
			intent: "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production", builds: "name: production-redis"},
		{name: "redis, preferred chart", target: prod + "cache", component: "redis", preferred: true,
			intent: "a redis cache in production", builds: "name: production-cache"},
		{name: "redis, preferred chart, staging reads production's sources", target: "clusters/staging/apps/cache", component: "redis", preferred: true,
			intent: "a redis cache", builds: "name: staging-cache"},
		{name: "redis, preferred chart, no HelmRepository in the cluster", target: prod + "cache", component: "redis", noSource: true,
			intent: "a redis cache in production", builds: "url: https://charts.bitnami.com/bitnami"},
		{name: "redis-sentinel chart", target: prod + "sessions", component: "redis", noPreferred: true, summary: "Sentinel",
			intent:   "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production",
			external: []string{"Secret/sessions-auth"}, builds: "chart: ./clusters/production/apps/sessions"},
		{name: "redis chart", target: prod + "cache", component: "redis", noPreferred: true,
			intent: "a redis cache in production", external: []string{"Secret/cache-auth"}, builds: "chart: ./clusters/production/apps/cache"},
		{name: "postgresql chart", target: prod + "orders-db", component: "postgresql",
			intent: "a postgres database with 50 GB of storage in production", external: []string{"Secret/orders-db-auth"}, builds: "chart: ./clusters/production/apps/orders-db"},
		{name: "web chart", target: prod + "api", component: "web",
			intent:   "deploy an API with image ghcr.io/acme/api:1.4.2 on port 3000 exposed at api.example.com with TLS, autoscale between 2 and 10 replicas at 70% CPU in production",
			external: []string{"Secret/production-api-tls"}, builds: "chart: ./clusters/production/apps/api"},
		{name: "worker chart", target: prod + "jobs", component: "worker",
			intent: "4 workers with image ghcr.io/acme/jobs:2.0.1 and 500m cpu in production", builds: "chart: ./clusters/production/apps/jobs"},
		{name: "cronjob chart", target: prod + "backup", component: "cronjob",
			intent: "a cron job running ghcr.io/acme/backup:1.0.0 every night at 2am UTC in production", builds: "chart: ./clusters/production/apps/backup"},
		{name: "image chart", target: prod + "nginx", component: "image",
			intent: "run image nginxinc/nginx-unprivileged:1.27.3 on port 8080 in production", builds: "chart: ./clusters/production/apps/nginx"},
		// The TLS Secret is cert-manager's to create, under the name the
		// Ingress gives; the base is rendered before the conventions apply,
		// so that name keeps the app's own.
		{name: "web, kustomize", target: prod + "api", component: "web", format: generator.FormatKustomize,
			intent:   "deploy an API with image ghcr.io/acme/api:1.4.2 on port 3000 exposed at api.example.com with TLS, autoscale between 2 and 10 replicas at 70% CPU in production",
			external: []string{"Secret/api-tls"}, builds: "name: production-api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := repoWorkspace(t, tc.target, tc.format, tc.noPreferred)
			if tc.noSource {
				for i, f := range ws {
					if f.Path == "clusters/production/infrastructure/sources/bitnami.yaml" {
						ws = append(ws[:i], ws[i+1:]...)
						break
					}
				}
			}
			res, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{
				Intent: tc.intent, TargetPath: tc.target, Format: tc.format, Workspace: ws}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := fact(res, "component"); got != tc.component || !strings.Contains(res.Provenance.Summary, tc.summary) {
				t.Fatalf("component %q, summary %q; want %q, %q", got, res.Provenance.Summary, tc.component, tc.summary)
			}
			checkExample(t, ws, res, tc)
		})
	}
}

// TestExampleRepositoryModel does the same for a scripted model answer
// that breaks the conventions on purpose: names without the environment
// (one with capitals and an underscore), no labels, annotations or
// namespace, references by the old names.
func TestExampleRepositoryModel(t *testing.T) {
	srv := providertest.OpenAI(t, providertest.Step{Text: manifests(t, "careless")})
	tc := exampleCase{target: target, builds: "name: production-shop-web"}
	ws := repoWorkspace(t, tc.target, "", false)
	req := request()
	req.Workspace = ws
	res, err := modelEngine(srv, nil).Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkExample(t, ws, res, tc)
}

// repoWorkspace loads the workspace of a generation into target from the
// example repository as the CLI does (gitops.Load for Kustomize,
// gitops.LoadSources for helm), without the config's preferred charts when
// noPreferred.
func repoWorkspace(t *testing.T, target string, format generator.Format, noPreferred bool) []workspace.File {
	t.Helper()
	load := gitops.LoadSources
	if format == generator.FormatKustomize {
		load = gitops.Load
	}
	ws, err := load(workspace.DefaultLimits(), exampleRepo, target)
	if err != nil {
		t.Fatal(err)
	}
	if noPreferred {
		for i, f := range ws {
			if f.Path == genconfig.Path {
				c := regexp.MustCompile(`(?ms)^charts:.*?\n\n`).ReplaceAll(f.Content, nil)
				if string(c) == string(f.Content) {
					t.Fatal("no charts: section in the example config")
				}
				ws[i].Content = c
			}
		}
	}
	return ws
}

func checkExample(t *testing.T, ws []workspace.File, res *generator.Result, tc exampleCase) {
	t.Helper()
	ctx := context.Background()
	if !res.Valid() {
		for _, f := range res.Report.Findings {
			t.Logf("%s", f)
		}
		t.Fatalf("result not valid: %d errors", res.Report.Count(validators.SeverityError))
	}
	for _, c := range res.Report.Checks {
		if c.Name == "conventions" && c.Status != validators.CheckPassed {
			t.Errorf("conventions check %+v", c)
		}
	}

	// The final files satisfy the config, checked from scratch.
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	var app []workspace.File
	for _, f := range res.Files {
		if workspace.Within(tc.target, f.Path) {
			app = append(app, f)
		}
	}
	env := strings.Split(tc.target, "/")[1]
	vars := genconfig.Vars{Env: env, App: path.Base(tc.target), Team: cfg.Team}
	fs, _, err := conventions.CheckFiles(ctx, cfg, vars, app)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("the final files break the config: %s", f)
	}
	hasRepo := false
	for _, f := range app {
		hasRepo = hasRepo || strings.Contains(string(f.Content), "kind: HelmRepository\nmetadata")
	}
	if tc.preferred && hasRepo {
		t.Errorf("a HelmRepository was written although the cluster has bitnami in flux-system")
	}
	if tc.noSource && !hasRepo {
		t.Errorf("no HelmRepository was written although the cluster has none for the chart")
	}

	// The patch applies; the cluster's folders build; every reference
	// among what the cluster gets resolves.
	dir := conventionstest.Apply(t, exampleRepo, res.Patch)
	cluster := path.Join("clusters", env)
	apps := conventionstest.Build(t, dir, path.Dir(tc.target))
	if !strings.Contains(string(apps.Content), tc.builds) {
		t.Errorf("kustomize build %s lacks %q:\n%s", path.Dir(tc.target), tc.builds, apps.Content)
	}
	// The build holds what kustomize makes of the folder; a chart in it is
	// Flux's to render, so it is rendered here as its HelmRelease says.
	var objects []workspace.File
	if fileContent(app, tc.target+"/Chart.yaml") != nil {
		if objects, err = conventionstest.Render(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	objects = append(objects, apps,
		conventionstest.Build(t, dir, cluster+"/infrastructure"),
		conventionstest.Build(t, dir, cluster+"/flux-system"))
	problems, err := conventionstest.References(objects, tc.external...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("reference: %s", p)
	}
	if tc.preferred {
		release := string(fileContent(res.Files, tc.target+"/helmrelease.yaml"))
		if !strings.Contains(release, "name: bitnami\n        namespace: flux-system\n") {
			t.Errorf("HelmRelease does not read the chart from flux-system/bitnami:\n%s", release)
		}
	}
}

func fact(res *generator.Result, key string) string {
	for _, f := range res.Provenance.Understood {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

func fileContent(files []workspace.File, p string) []byte {
	for _, f := range files {
		if f.Path == p {
			return f.Content
		}
	}
	return nil
}
