package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/catalog"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// fluxExample copies Flux's kustomize-helm example (a fixture of the
// validators) into a new repository, without a generation config.
func fluxExample(t *testing.T) string {
	t.Helper()
	repo := newRepo(t)
	copyTree(t, "../../validators/testdata/trees/flux2-kustomize-helm-example", repo)
	return repo
}

// build runs kustomize (krusty) on dir of repo and returns the objects by
// kind/namespace/name.
func build(t *testing.T, repo, dir string) map[string]*resource.Resource {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(repo, dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out := map[string]*resource.Resource{}
	for _, r := range res.Resources() {
		out[r.GetKind()+"/"+r.GetNamespace()+"/"+r.GetName()] = r
	}
	return out
}

func yamlOf(t *testing.T, r *resource.Resource) string {
	t.Helper()
	b, err := r.AsYAML()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGenerateFitsRepositoryWithoutConfig is issue 20's done-when: in a
// copy of Flux's kustomize-helm example, which has no generation config,
// the redis intent produces a HelmRelease beside podinfo's, in its own
// namespace, with a source the cluster has, registered in the production
// overlay (with its production values there) and not in staging; the
// result passes aiden validate with no finding at warning.
func TestGenerateFitsRepositoryWithoutConfig(t *testing.T) {
	repo := fluxExample(t)
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", redisIntent, "--output", filepath.Join(repo, "apps/base/redis"))
	if code != exitOK {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"layout and conventions flux-helmrelease, apps in apps/base/{app}, listed by apps/{env}, namespace {app}",
		"inferred     layout.overlays: apps/{env}",
		"apps/production/kustomization.yaml, apps/staging/kustomization.yaml",
		"registered   in apps/production/kustomization.yaml",
		"values       apps/production/redis-values.yaml",
		"Findings: 0 error, 0 warning",
		"Wrote 5 files to ",
		"Wrote (from the repository root): ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("generate output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"release.yaml", "repository.yaml", "namespace.yaml", "kustomization.yaml"} {
		if _, err := os.Stat(filepath.Join(repo, "apps/base/redis", f)); err != nil {
			t.Errorf("apps/base/redis/%s, named as podinfo's file of that kind: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "apps/base/redis/Chart.yaml")); err == nil {
		t.Error("a chart folder was written: nothing in this repository deploys one")
	}

	prod := build(t, repo, "apps/production")
	redisChart, _ := catalog.Lookup("redis")
	rel, ok := prod["HelmRelease/redis/redis"]
	if !ok {
		t.Fatalf("kustomize build apps/production has no HelmRelease redis in namespace redis: %v", keys(prod))
	}
	relYAML := yamlOf(t, rel)
	for _, want := range []string{"chart: redis", "kind: HelmRepository", "name: redis", "replicaCount: 3", "architecture: replication"} {
		if !strings.Contains(relYAML, want) {
			t.Errorf("production's redis HelmRelease lacks %q (its production values):\n%s", want, relYAML)
		}
	}
	if strings.Contains(relYAML, "podinfo") {
		t.Errorf("podinfo's production patch reached redis's HelmRelease:\n%s", relYAML)
	}
	if !strings.Contains(yamlOf(t, prod["HelmRelease/podinfo/podinfo"]), "podinfo.production") {
		t.Error("podinfo lost its production values")
	}
	if src, ok := prod["HelmRepository/redis/redis"]; !ok || !strings.Contains(yamlOf(t, src), redisChart.Repository) {
		t.Errorf("no HelmRepository redis/redis for the catalogue's chart: %v", keys(prod))
	}
	if _, ok := prod["Namespace//redis"]; !ok {
		t.Errorf("no Namespace redis, as podinfo brings its own: %v", keys(prod))
	}
	for k := range build(t, repo, "apps/staging") {
		if strings.Contains(k, "redis") {
			t.Errorf("staging deploys %s; the intent says production", k)
		}
	}

	code, stdout, stderr = aiden(t, "validate", "--fail-on", "warning", filepath.Join(repo, "apps"))
	if code != exitOK || !strings.Contains(stdout, "Findings: none") {
		t.Errorf("validate apps: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func keys(m map[string]*resource.Resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestGenerateFlagWinsOverInference: --format says what to write, whatever
// the repository's apps are.
func TestGenerateFlagWinsOverInference(t *testing.T) {
	repo := fluxExample(t)
	code, stdout, stderr := aiden(t, "generate", "-q", "--format", "helm", "--intent", "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 in staging", "--output", filepath.Join(repo, "apps/base/api"))
	if code != exitOK {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(repo, "apps/base/api/Chart.yaml")); err != nil {
		t.Fatalf("--format helm wrote no chart: %v", err)
	}
	// The chart is installed as the repository's apps are: a HelmRelease
	// in the app's namespace, listed by the staging overlay.
	staging := build(t, repo, "apps/staging")
	rel, ok := staging["HelmRelease/api/api"]
	if !ok || !strings.Contains(yamlOf(t, rel), "chart: ./apps/base/api") {
		t.Errorf("staging does not install the chart: %v", keys(staging))
	}
	if _, ok := build(t, repo, "apps/production")["HelmRelease/api/api"]; ok {
		t.Error("production deploys api; the intent says staging")
	}
}

// TestInitOnFluxExample: init proposes, --patch prints, --write writes a
// config that config validate accepts and that the repository's apps
// already satisfy; a second --write does not overwrite it.
func TestInitOnFluxExample(t *testing.T) {
	repo := fluxExample(t)
	code, stdout, stderr := aiden(t, "init", repo)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"# .stackgen/generation-config.yaml",
		`apps: "apps/base/{app}"`,
		"# 2 of 2 patches of an app in an overlay: apps/production/podinfo-values.yaml, apps/staging/podinfo-values.yaml",
		"podinfo              apps/base/podinfo  HelmRelease/podinfo  in production, staging",
		"HelmRepository podinfo/podinfo https://stefanprodan.github.io/podinfo (apps/base/podinfo/repository.yaml:1)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, ".stackgen")); err == nil {
		t.Fatal("init without --write wrote .stackgen")
	}
	code, stdout, _ = aiden(t, "init", "--patch", repo)
	if code != exitOK || !strings.Contains(stdout, "+++ b/.stackgen/generation-config.yaml") || !strings.Contains(stdout, "+++ b/.stackgen/examples/podinfo/release.yaml") {
		t.Errorf("init --patch: exit %d\n%s", code, stdout)
	}

	if code, stdout, stderr = aiden(t, "init", "--write", repo); code != exitOK {
		t.Fatalf("init --write: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ = aiden(t, "config", "validate", repo); code != exitOK {
		t.Errorf("config validate: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr = aiden(t, "validate", "--fail-on", "warning", repo)
	if code != exitOK || !strings.Contains(stdout, "conventions 3 objects of 1 app against .stackgen/generation-config.yaml: no errors") {
		t.Errorf("validate with the proposed config: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr = aiden(t, "init", "--write", repo); code != exitUsage || !strings.Contains(stderr, "already exists: not overwritten") {
		t.Errorf("second init --write: exit %d, %s", code, stderr)
	}
}

// init on a folder with nothing to infer proposes the defaults and says
// so; a file is not a repository.
func TestInitNothingToInfer(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "README.md"), "# notes\n")
	code, stdout, stderr := aiden(t, "init", repo)
	if code != exitOK || !strings.Contains(stdout, "Found no app folder, layout or convention to propose") || !strings.Contains(stdout, "version: 1\n") {
		t.Errorf("init: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := aiden(t, "init", filepath.Join(repo, "README.md")); code != exitUsage || !strings.Contains(stderr, "is not a folder") {
		t.Errorf("init on a file: exit %d, %s", code, stderr)
	}
	if code, _, stderr := aiden(t, "init", "--write", "--patch", repo); code != exitUsage || !strings.Contains(stderr, "choose one") {
		t.Errorf("init --write --patch: exit %d, %s", code, stderr)
	}
}
