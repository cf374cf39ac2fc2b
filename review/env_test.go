package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fluxExample = "../validators/testdata/trees/flux2-kustomize-helm-example"

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

// envsOf returns each changed unit's environment, by unit path.
func envsOf(rev *Review) map[string]string {
	out := map[string]string{}
	for _, u := range rev.Units {
		out[u.Path] = u.Environment
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

// checkFluxExampleEnvironments: in fluxcd/flux2-kustomize-helm-example,
// apps/production is production's, apps/staging staging's (not both
// "apps"), and the infrastructure both clusters deploy is both clusters';
// its capacity counts in each.
func checkFluxExampleEnvironments(t *testing.T, rev *Review) {
	t.Helper()
	want := map[string]string{
		"apps/production":            "clusters/production",
		"apps/staging":               "clusters/staging",
		"infrastructure/controllers": "clusters/production, clusters/staging",
	}
	got := envsOf(rev)
	for p, w := range want {
		if got[p] != w {
			t.Errorf("unit %s: environment %q, want %q (units: %v)", p, got[p], w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("units = %v, want %v", got, want)
	}
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
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"#### clusters/production\n", "#### clusters/staging\n", "#### clusters/production, clusters/staging\n"} {
		if !strings.Contains(md.String(), h) {
			t.Errorf("markdown lacks the section %q:\n%s", h, md.String())
		}
	}
}

// The Flux 2.7 layout of the example: each cluster's Flux Kustomizations
// read ExternalArtifacts its ArtifactGenerator cuts from apps/base,
// apps/<env> and infrastructure/.
func TestEnvironmentsOfFluxExternalArtifacts(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.copyTree(fluxExample)
	r.commit("base")
	fluxExampleChange(r)
	checkFluxExampleEnvironments(t, r.review("main"))
}

// The example's layout before ExternalArtifacts: clusters/<env>/apps.yaml
// is a Flux Kustomization with path ./apps/<env> in the GitRepository.
func TestEnvironmentsOfFluxKustomizationPaths(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.copyTree(fluxExample)
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
	checkFluxExampleEnvironments(t, r.review("main"))
}

// Without Flux files, a path's environment is clusters/<name> (and the
// like) as before, else its first two folders unless one is base, so
// sibling environments apps/production and apps/staging (or Argo CD's
// argocd/production and argocd/staging) stay apart.
func TestEnvironmentByPath(t *testing.T) {
	for p, want := range map[string]string{
		"clusters/production/apps": "clusters/production",
		"deploy/overlays/staging":  "deploy/overlays/staging",
		"envs/dev/web":             "envs/dev",
		"apps/production":          "apps/production",
		"apps/staging/web":         "apps/staging",
		"apps/base/web":            "apps",
		"base/web":                 "base",
		"production":               "production",
		".":                        ".",
		"argocd/production":        "argocd/production",
	} {
		if got := environment(p); got != want {
			t.Errorf("environment(%s) = %q, want %q", p, got, want)
		}
	}

	r := newRepo(t)
	r.noPolicy = true
	overlay := func(env string) string {
		return "resources: [../base]\nnamePrefix: " + env + "-\n"
	}
	r.write(map[string]string{
		"apps/base/kustomization.yaml":       "resources: [cache.yaml]\n",
		"apps/base/cache.yaml":               cacheDeployment,
		"apps/production/kustomization.yaml": overlay("production"),
		"apps/staging/kustomization.yaml":    overlay("staging"),
	})
	r.commit("base")
	r.edit("apps/base/cache.yaml", "cache:1.0.0", "cache:1.0.1")
	got := envsOf(r.review("main"))
	if got["apps/production"] != "apps/production" || got["apps/staging"] != "apps/staging" || len(got) != 2 {
		t.Errorf("environments = %v", got)
	}
}
