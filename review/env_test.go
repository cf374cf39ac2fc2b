package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators"
)

const (
	fluxExample       = "../validators/testdata/trees/flux2-kustomize-helm-example"
	fluxMultiTenancy  = "../gitops/testdata/trees/flux2-multi-tenancy"
	generationConfig  = ".stackgen/generation-config.yaml"
	budgetPrices      = "review:\n  prices: {cpu: 10, memory: 1, storage: 0.1, currency: \"$\"}\n  budgets:\n"
	fluxKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: flux-system
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: %s
  path: %s
`
)

const cacheDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cache
  namespace: infra
  labels: {app.kubernetes.io/name: cache}
spec:
  replicas: 1
  selector:
    matchLabels: {app: cache}
  template:
    metadata:
      labels: {app: cache}
    spec:
      containers:
        - name: cache
          image: example.com/cache:1.0.0
          resources:
            requests: {cpu: "1", memory: 1Gi}
`

// webDeployment is r's web Deployment at replicas.
func webDeployment(replicas string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ` + replicas + `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources: {requests: {cpu: "1", memory: 1Gi}}
`
}

// fluxKS is a Flux Kustomization reading path of the GitRepository source.
func fluxKS(name, source, path string) string {
	s := fluxKustomization
	for _, v := range []string{name, source, path} {
		s = strings.Replace(s, "%s", v, 1)
	}
	return s
}

// envsOf returns each changed unit's environment, by unit path.
func envsOf(rev *Review) map[string]string {
	out := map[string]string{}
	for _, u := range rev.Units {
		out[u.Path] = u.Environment
	}
	return out
}

func checkEnvs(t *testing.T, rev *Review, want map[string]string) {
	t.Helper()
	got := envsOf(rev)
	for p, w := range want {
		if got[p] != w {
			t.Errorf("unit %s: environment %q, want %q (units: %v)", p, got[p], w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("units = %v, want %v", got, want)
	}
}

func budgetsOf(rev *Review, rule string) []string {
	var out []string
	for _, f := range rev.Budgets {
		if f.Rule == rule {
			out = append(out, f.Message)
		}
	}
	return out
}

// fluxExampleChange changes both environments' podinfo values and adds a
// Deployment to the infrastructure both clusters deploy.
func fluxExampleChange(r *testRepo) {
	r.edit("apps/production/podinfo-values.yaml", "podinfo.production", "podinfo.example.com")
	r.edit("apps/staging/podinfo-values.yaml", "podinfo.staging", "podinfo-staging.example.com")
	r.edit("infrastructure/controllers/kustomization.yaml", "  - envoy-gateway.yaml\n", "  - envoy-gateway.yaml\n  - cache.yaml\n")
	r.write(map[string]string{"infrastructure/controllers/cache.yaml": cacheDeployment})
}

// checkFluxExample: in fluxcd/flux2-kustomize-helm-example, apps/production
// is production's, apps/staging staging's (not both "apps"), and the
// infrastructure both clusters deploy is both clusters'; its capacity
// counts in each, and a budget without environment fires once for each
// cluster, never twice for one.
func checkFluxExample(t *testing.T, rev *Review) {
	t.Helper()
	checkEnvs(t, rev, map[string]string{
		"apps/production":            "clusters/production",
		"apps/staging":               "clusters/staging",
		"infrastructure/controllers": "clusters/production, clusters/staging",
	})
	var caps []string
	for _, c := range rev.Capacity {
		caps = append(caps, c.Environment+"/"+c.App)
		if c.After.CPU != 1 || c.Before.CPU != 0 {
			t.Errorf("capacity of %s/%s: %+v → %+v", c.Environment, c.App, c.Before, c.After)
		}
	}
	if got := strings.Join(caps, ","); got != "clusters/production/cache,clusters/staging/cache" {
		t.Errorf("capacity changes = %s", got)
	}
	over := budgetsOf(rev, RuleBudget)
	if len(over) != 2 || !strings.Contains(over[0], "of clusters/production goes from $0.00 to $11.00") || !strings.Contains(over[1], "of clusters/staging goes from $0.00 to $11.00") {
		t.Errorf("budgets exceeded = %q, want production's and staging's once each", over)
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"#### clusters/production\n", "#### clusters/staging\n", "#### clusters/production, clusters/staging\n", "| Budgets exceeded | 2 |"} {
		if !strings.Contains(md.String(), h) {
			t.Errorf("markdown lacks %q:\n%s", h, md.String())
		}
	}
}

// fluxExampleRepo is the example with a budget of $5 for every
// environment.
func fluxExampleRepo(t *testing.T) *testRepo {
	r := newRepo(t)
	r.noPolicy = true
	r.copyTree(fluxExample)
	r.write(map[string]string{generationConfig: budgetPrices + "    - monthly: 5\n"})
	return r
}

// The Flux 2.7 layout of the example: each cluster's Flux Kustomizations
// read ExternalArtifacts its ArtifactGenerator cuts from apps/base,
// apps/<env> and infrastructure/.
func TestEnvironmentsOfFluxExternalArtifacts(t *testing.T) {
	r := fluxExampleRepo(t)
	r.commit("base")
	fluxExampleChange(r)
	checkFluxExample(t, r.review("main"))
}

// The example's layout before ExternalArtifacts: clusters/<env>/apps.yaml
// is a Flux Kustomization with path ./apps/<env> in the GitRepository.
func TestEnvironmentsOfFluxKustomizationPaths(t *testing.T) {
	r := fluxExampleRepo(t)
	for _, env := range []string{"production", "staging"} {
		if err := os.Remove(filepath.Join(r.dir, "clusters", env, "artifacts.yaml")); err != nil {
			t.Fatal(err)
		}
		r.edit("clusters/"+env+"/apps.yaml", "kind: ExternalArtifact\n    name: apps\n  path: ./"+env+"\n", "kind: GitRepository\n    name: flux-system\n  path: ./apps/"+env+"\n")
		for _, p := range []string{"controllers", "configs"} {
			r.edit("clusters/"+env+"/infrastructure.yaml", "kind: ExternalArtifact\n    name: infrastructure\n  path: ./"+p+"\n", "kind: GitRepository\n    name: flux-system\n  path: ./infrastructure/"+p+"\n")
		}
	}
	r.commit("base")
	fluxExampleChange(r)
	checkFluxExample(t, r.review("main"))
}

// flux2-multi-tenancy's layout: a change to the tenant's base reaches
// tenants/production and tenants/staging, each its own cluster's; the
// tenants' patch files (Kustomizations without sourceRef) and the
// tenant's Kustomization of another GitRepository make no cluster.
func TestEnvironmentsOfMultiTenancy(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.copyTree(fluxMultiTenancy)
	r.commit("base")
	r.edit("tenants/base/dev-team/rbac.yaml", "  name: dev-team-reconciler\n", "  name: dev-team-reconciler\n  annotations: {owner: dev-team}\n")
	checkEnvs(t, r.review("main"), map[string]string{
		"tenants/production": "clusters/production",
		"tenants/staging":    "clusters/staging",
	})
}

// appsRepo is the reviewer's layout: clusters/<env>/apps.yaml applies
// apps/<env>, whose web.yaml is the app's own Flux Kustomization of
// apps/web/overlays/<env>. A budget without environment.
func appsRepo(t *testing.T) *testRepo {
	r := newRepo(t)
	r.noPolicy = true
	files := map[string]string{
		generationConfig:                   budgetPrices + "    - monthly: 30\n",
		"apps/web/base/deployment.yaml":    webDeployment("2"),
		"apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
	}
	for _, env := range []string{"production", "staging"} {
		files["clusters/"+env+"/apps.yaml"] = fluxKS("apps", "flux-system", "./apps/"+env)
		files["apps/"+env+"/web.yaml"] = fluxKS("web", "flux-system", "./apps/web/overlays/"+env)
		files["apps/web/overlays/"+env+"/kustomization.yaml"] = "resources: [../../base]\n"
	}
	r.write(files)
	return r
}

// An app's own Flux Kustomization (apps/production/web.yaml) makes no
// cluster of apps/production: the overlay is clusters/production's alone,
// and the budget without environment fires once for it, not again for
// apps/production.
func TestEnvironmentOfAnAppsOwnKustomization(t *testing.T) {
	r := appsRepo(t)
	r.commit("base")
	r.write(map[string]string{"apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\npatches:\n  - target: {kind: Deployment, name: web}\n    patch: |\n      - op: replace\n        path: /spec/replicas\n        value: 3\n"})
	rev := r.review("main")
	checkEnvs(t, rev, map[string]string{"apps/web/overlays/production": "clusters/production"})
	over := budgetsOf(rev, RuleBudget)
	if len(over) != 1 || !strings.Contains(over[0], "of clusters/production goes from $22.00 to $33.00") {
		t.Errorf("budgets exceeded = %q, want clusters/production's once", over)
	}
}

// A Kustomization of another repository's GitRepository (team-a, defined
// in clusters/production) with path ./apps/staging does not make
// apps/staging production's.
func TestEnvironmentIgnoresOtherRepositories(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.write(map[string]string{
		"apps/base/web/deployment.yaml":      webDeployment("5"),
		"apps/base/web/kustomization.yaml":   "resources: [deployment.yaml]\n",
		"apps/production/kustomization.yaml": "resources: [../base/web]\n",
		"apps/staging/kustomization.yaml":    "resources: [../base/web]\n",
		"clusters/production/apps.yaml":      fluxKS("apps", "flux-system", "./apps/production"),
		"clusters/staging/apps.yaml":         fluxKS("apps", "flux-system", "./apps/staging"),
		"clusters/production/team-a.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: team-a, namespace: team-a}\nspec:\n  url: https://github.com/example/team-a\n  ref: {branch: main}\n---\n" +
			fluxKS("team-a", "team-a", "./apps/staging"),
	})
	r.commit("base")
	r.edit("apps/staging/kustomization.yaml", "resources: [../base/web]\n", "resources: [../base/web]\nnamePrefix: staging-\n")
	checkEnvs(t, r.review("main"), map[string]string{"apps/staging": "clusters/staging"})
}

// The spellings of the source's root in a bootstrap at the top ("./",
// ".", "" and none) all apply the whole repository: one cluster, ".".
func TestEnvironmentPathSpellings(t *testing.T) {
	for _, p := range []string{"./", ".", `""`, ""} {
		r := newRepo(t)
		r.noPolicy = true
		sync := fluxKS("flux-system", "flux-system", p)
		if p == "" {
			sync = strings.Replace(sync, "  path: \n", "", 1)
		}
		r.write(map[string]string{
			"flux-system/gotk-sync.yaml":         sync,
			"apps/production/kustomization.yaml": "resources: [deployment.yaml]\n",
			"apps/production/deployment.yaml":    webDeployment("2"),
		})
		r.commit("base")
		r.edit("apps/production/deployment.yaml", "replicas: 2", "replicas: 3")
		checkEnvs(t, r.review("main"), map[string]string{"apps/production": "."})
	}
}

// A budget naming an environment no unit has (the folder name "apps" of
// the path rule, in a repository whose clusters now name its
// environments) is a warning; one naming a cluster is not.
func TestBudgetWithAnOldEnvironmentName(t *testing.T) {
	r := fluxExampleRepo(t)
	r.write(map[string]string{generationConfig: budgetPrices + "    - environment: apps\n      monthly: 30\n    - environment: clusters/staging\n      monthly: 30\n    - app: nosuchapp\n      monthly: 30\n    - app: cache\n      environment: clusters/production\n      monthly: 30\n"})
	r.commit("base")
	fluxExampleChange(r)
	rev := r.review("main")
	got := budgetsOf(rev, RuleBudgetUnmatched)
	if len(got) != 2 || !strings.Contains(got[0], `environment "apps" is no unit's environment (the environments are clusters/production, clusters/staging)`) || !strings.Contains(got[1], `app "nosuchapp" has no workload in any environment`) {
		t.Errorf("unmatched budgets = %q", got)
	}
	for _, f := range rev.Budgets {
		if f.Rule == RuleBudgetUnmatched && (f.File != generationConfig || f.Line == 0 || f.Severity != validators.SeverityWarning) {
			t.Errorf("unmatched budget finding = %+v", f)
		}
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| Budgets matching nothing | 2 |") {
		t.Errorf("markdown lacks the count of budgets matching nothing:\n%s", md.String())
	}
	// Narrowed to one folder, the review does not see every environment
	// and says nothing of them.
	if got := budgetsOf(r.review("main", filepath.Join(r.dir, "apps/staging")), RuleBudgetUnmatched); len(got) != 0 {
		t.Errorf("unmatched budgets of a narrowed review = %q", got)
	}
}

// Without Flux files, environment names are the path's, as before:
// apps/production and the base it reads are "apps", so a budget on
// "apps" still matches and fires.
func TestEnvironmentWithoutFlux(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.write(map[string]string{
		generationConfig:                          budgetPrices + "    - environment: apps\n      monthly: 30\n",
		"apps/base/web/deployment.yaml":           webDeployment("2"),
		"apps/base/web/kustomization.yaml":        "resources: [deployment.yaml]\n",
		"apps/production/kustomization.yaml":      "resources: [../base/web]\n",
		"clusters/staging/web/kustomization.yaml": "resources: [../../../apps/base/web]\n",
		"deploy/overlays/dev/kustomization.yaml":  "resources: [../../../apps/base/web]\n",
	})
	r.commit("base")
	r.edit("apps/base/web/deployment.yaml", "replicas: 2", "replicas: 5")
	rev := r.review("main")
	checkEnvs(t, rev, map[string]string{
		"apps/production":      "apps",
		"clusters/staging/web": "clusters/staging",
		"deploy/overlays/dev":  "deploy/overlays/dev",
	})
	if over := budgetsOf(rev, RuleBudget); len(over) != 1 || !strings.Contains(over[0], "of apps goes") {
		t.Errorf("budgets exceeded = %q, want apps's", over)
	}
	if got := budgetsOf(rev, RuleBudgetUnmatched); len(got) != 0 {
		t.Errorf("unmatched budgets = %q", got)
	}
}
