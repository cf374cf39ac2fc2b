package gitops

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// flux2Example is fluxcd/flux2-kustomize-helm-example (Flux 2.7): each
// cluster's Flux Kustomizations apply ExternalArtifacts that an
// ArtifactGenerator of the cluster cuts from the repository
// (apps/base + apps/<env>, infrastructure/).
const flux2Example = "../validators/testdata/trees/flux2-kustomize-helm-example"

// copyRepo copies the folder src into a new repository (a .git marker)
// and returns it.
func copyRepo(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, ".git"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestFindHelmRepositoryThroughExternalArtifact finds the podinfo
// HelmRepository each cluster of the Flux 2.7 example applies: through
// the Flux Kustomization "apps", whose source is the ExternalArtifact
// "apps" the cluster's ArtifactGenerator copies from apps/base and
// apps/<env>, whose kustomization includes ../base/podinfo.
func TestFindHelmRepositoryThroughExternalArtifact(t *testing.T) {
	root := copyRepo(t, flux2Example)
	for _, env := range []string{"production", "staging"} {
		target := "clusters/" + env + "/apps/cache"
		files, err := LoadSources(workspace.Limits{}, root, target)
		if err != nil {
			t.Fatal(err)
		}
		repo, ok := FindHelmRepository(files, target, "https://stefanprodan.github.io/podinfo/")
		if !ok || repo.Namespace+"/"+repo.Name != "podinfo/podinfo" || repo.File != "apps/base/podinfo/repository.yaml" {
			t.Errorf("%s: FindHelmRepository = %+v, %v; want podinfo/podinfo from apps/base/podinfo/repository.yaml", env, repo, ok)
		}
	}

	// Without the generator, nothing says what the ExternalArtifact
	// holds, so the HelmRepository is not known to be applied.
	if err := os.Remove(filepath.Join(root, "clusters/staging/artifacts.yaml")); err != nil {
		t.Fatal(err)
	}
	files, err := LoadSources(workspace.Limits{}, root, "clusters/staging/apps/cache")
	if err != nil {
		t.Fatal(err)
	}
	if repo, ok := FindHelmRepository(files, "clusters/staging/apps/cache", "https://stefanprodan.github.io/podinfo"); ok {
		t.Errorf("without the ArtifactGenerator: found %+v", repo)
	}
}

// TestArtifactRepoPaths maps paths of an ExternalArtifact back to the
// repository through the copy operations of its ArtifactGenerator.
func TestArtifactRepoPaths(t *testing.T) {
	gen := objects(workspace.File{Path: "gen.yaml", Content: []byte(`apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: split
  namespace: apps
spec:
  sources:
    - alias: repo
      kind: GitRepository
      name: flux-system
      namespace: flux-system
    - alias: chart
      kind: OCIRepository
      name: podinfo
  artifacts:
    - name: web
      copy:
        - from: "@repo/deploy/web/**"
          to: "@artifact/"
        - from: "@repo/shared/**/*.yaml"
          to: "@artifact/shared/"
        - from: "@repo/envs/prod/values.yaml"
          to: "@artifact/config/"
        - from: "@repo/envs/prod/extra.yaml"
          to: "@artifact/config/more.yaml"
        - from: "@chart/**"
          to: "@artifact/chart/"
        - from: "@repo/../outside/**"
          to: "@artifact/"
`)})
	if len(gen) != 1 || !gen[0].isArtifactGenerator() {
		t.Fatalf("objects = %+v", gen)
	}
	arts := gen[0].artifacts("")
	for _, tc := range []struct {
		name, ns, path string
		want           []string
	}{
		{"web", "apps", "./", []string{"deploy/web", "shared", "envs/prod/values.yaml", "envs/prod/extra.yaml"}},
		{"web", "apps", "./overlays/prod", []string{"deploy/web/overlays/prod"}},
		{"web", "apps", "shared/base", []string{"deploy/web/shared/base", "shared/base"}},
		{"web", "apps", "config", []string{"deploy/web/config", "envs/prod/values.yaml", "envs/prod/extra.yaml"}},
		{"web", "apps", "chart", []string{"deploy/web/chart"}}, // the OCI copy is not this repository
		{"web", "", "./", []string{"deploy/web", "shared", "envs/prod/values.yaml", "envs/prod/extra.yaml"}},
		{"web", "other", "./", nil},
		{"api", "apps", "./", nil},
	} {
		got := repoPaths(arts, tc.name, tc.ns, tc.path)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("repoPaths(%s, %q, %s) = %v, want %v", tc.name, tc.ns, tc.path, got, tc.want)
		}
	}
}

// writeRead writes files (path: content) into a new folder and reads them
// back as workspace files.
func writeRead(t *testing.T, files map[string]string) []workspace.File {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return workspacetest.Read(t, dir, "")
}

// TestExternalArtifactPathsExist returns only the paths of the
// repository that exist: a folder copied to the artifact's root that
// holds no Chart.yaml is not where the artifact's Chart.yaml comes from.
func TestExternalArtifactPathsExist(t *testing.T) {
	files := writeRead(t, map[string]string{
		"charts/web/Chart.yaml":              "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"docs/index.md":                      "# docs\n",
		"clusters/production/artifacts.yaml": chartsGenerator,
	})
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"web-chart", "Chart.yaml", []string{"charts/web/Chart.yaml"}}, // charts/old holds none
		{"web-chart", "./", []string{"charts/web"}},
		{"docs", "Chart.yaml", nil},
		{"docs", "index.md", []string{"docs/index.md"}},
		{"docs", "./", []string{"docs"}},
	} {
		if got := ExternalArtifactPaths(files, tc.name, "flux-system", tc.path); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ExternalArtifactPaths(%s, %s) = %v, want %v", tc.name, tc.path, got, tc.want)
		}
	}
}

const chartsGenerator = `apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: charts
  namespace: flux-system
spec:
  sources:
    - alias: repo
      kind: GitRepository
      name: flux-system
    - alias: podinfo
      kind: HelmChart
      name: podinfo
    - alias: oci
      kind: OCIRepository
      name: redis
      namespace: sources
  artifacts:
    - name: web-chart
      copy:
        - from: "@repo/charts/old/**"
          to: "@artifact/"
        - from: "@repo/charts/web/**"
          to: "@artifact/"
    - name: docs
      copy:
        - from: "@repo/docs/**"
          to: "@artifact/"
    - name: podinfo
      copy:
        - from: "@repo/charts/web/**"
          to: "@artifact/"
        - from: "@podinfo/**"
          to: "@artifact/"
    - name: redis
      copy:
        - from: "@oci/**"
          to: "@artifact/"
        - from: "@repo/charts/web/values.yaml"
          to: "@artifact/values.yaml"
    - name: web-last
      copy:
        - from: "@oci/**"
          to: "@artifact/"
        - from: "@repo/charts/web/**"
          to: "@artifact/"
`

const helmCharts = `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 5m
  chart: podinfo
  version: "6.x"
  sourceRef:
    kind: HelmRepository
    name: podinfo
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 5m
  chart: ./charts/web
  sourceRef:
    kind: GitRepository
    name: flux-system
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: docs
  namespace: flux-system
spec:
  interval: 5m
  chart: ./docs
  sourceRef:
    kind: GitRepository
    name: flux-system
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: bucket
  namespace: flux-system
spec:
  interval: 5m
  chart: ./charts/web
  sourceRef:
    kind: Bucket
    name: charts
`

// TestChartRef resolves a HelmRelease's chartRef: a HelmChart from a
// GitRepository (a chart folder of the repository) or from a
// HelmRepository (a chart name, its version and source), an
// ExternalArtifact whose generator copies a chart folder, a HelmChart or
// an OCIRepository to its root (the last copy wins); nothing for a
// folder without a Chart.yaml, a Bucket, another namespace or an unknown
// name.
func TestChartRef(t *testing.T) {
	files := writeRead(t, map[string]string{
		"charts/old/values.yaml":             "a: 1\n",
		"charts/web/Chart.yaml":              "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":             "a: 1\n",
		"docs/index.md":                      "# docs\n",
		"clusters/production/artifacts.yaml": chartsGenerator,
		"clusters/production/charts.yaml":    helmCharts,
	})
	podinfo := ReleaseChart{Chart: "podinfo", Version: "6.x", Source: Ref{Kind: "HelmRepository", Name: "podinfo", Namespace: "flux-system"}, File: "clusters/production/charts.yaml", Line: 1}
	for _, tc := range []struct {
		ref  Ref
		want ReleaseChart
		ok   bool
	}{
		{Ref{"HelmChart", "podinfo", "flux-system"}, podinfo, true},
		{Ref{"HelmChart", "podinfo", ""}, podinfo, true},
		{Ref{"HelmChart", "podinfo", "other"}, ReleaseChart{}, false},
		{Ref{"HelmChart", "web", "flux-system"}, ReleaseChart{Folder: "charts/web", File: "clusters/production/charts.yaml", Line: 14}, true},
		{Ref{"HelmChart", "docs", "flux-system"}, ReleaseChart{}, false},
		{Ref{"HelmChart", "bucket", "flux-system"}, ReleaseChart{}, false},
		{Ref{"HelmChart", "none", "flux-system"}, ReleaseChart{}, false},
		{Ref{"ExternalArtifact", "web-chart", "flux-system"}, ReleaseChart{Folder: "charts/web", File: "clusters/production/artifacts.yaml", Line: 1}, true},
		{Ref{"ExternalArtifact", "web-chart", "other"}, ReleaseChart{}, false},
		{Ref{"ExternalArtifact", "docs", "flux-system"}, ReleaseChart{}, false},
		{Ref{"ExternalArtifact", "podinfo", "flux-system"}, podinfo, true},
		{Ref{"ExternalArtifact", "redis", "flux-system"}, ReleaseChart{Source: Ref{"OCIRepository", "redis", "sources"}, File: "clusters/production/artifacts.yaml", Line: 1}, true},
		{Ref{"ExternalArtifact", "web-last", "flux-system"}, ReleaseChart{Folder: "charts/web", File: "clusters/production/artifacts.yaml", Line: 1}, true},
		{Ref{"ExternalArtifact", "none", "flux-system"}, ReleaseChart{}, false},
		{Ref{"OCIRepository", "redis", "sources"}, ReleaseChart{}, false},
	} {
		got, ok := NewCharts(files).Ref(tc.ref, "")
		if !reflect.DeepEqual(got, tc.want) || ok != tc.ok {
			t.Errorf("Ref(%+v) = %+v, %v; want %+v, %v", tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}

// A HelmChart without a sourceRef is an overlay's patch of one, not the
// object: it does not hide the HelmChart it patches. A HelmChart in the
// reference's namespace wins over one that names none, whichever file
// comes first; two as good that name different charts answer nothing.
func TestChartRefSkipsPatchesAndPrefersTheNamespace(t *testing.T) {
	files := writeRead(t, map[string]string{
		"a/patch.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  version: 7.x\n",
		"b/loose.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: podinfo\nspec:\n  chart: podinfo-loose\n  sourceRef: {kind: HelmRepository, name: podinfo}\n",
		"c/chart.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  chart: podinfo\n  version: 6.x\n  sourceRef: {kind: HelmRepository, name: podinfo}\n",
	})
	want := ReleaseChart{Chart: "podinfo", Version: "6.x", Source: Ref{Kind: "HelmRepository", Name: "podinfo", Namespace: "flux-system"}, File: "c/chart.yaml", Line: 1}
	if got, ok := NewCharts(files).Ref(Ref{"HelmChart", "podinfo", "flux-system"}, ""); !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("Ref = %+v, %v; want %+v", got, ok, want)
	}
	// With no namespace to prefer, the two objects (not the patch) name
	// different charts and are as near: unresolved rather than a guess.
	if got, ok := NewCharts(files).Ref(Ref{"HelmChart", "podinfo", ""}, ""); ok {
		t.Errorf("Ref without a namespace = %+v; want unresolved", got)
	}
	// Only a namespace-less HelmChart in another namespace's reference: it is used.
	if got, ok := NewCharts(files).Ref(Ref{"HelmChart", "podinfo", "apps"}, ""); !ok || got.File != "b/loose.yaml" {
		t.Errorf("Ref in apps = %+v, %v; want b/loose.yaml's", got, ok)
	}
}
