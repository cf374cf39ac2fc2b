package gitops

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stackgen/aiden/workspace"
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

// TestExternalArtifactChart finds the chart folder an ArtifactGenerator
// copies to an ExternalArtifact's root (the last copy wins), and none for
// an artifact no generator makes or one of another namespace.
func TestExternalArtifactChart(t *testing.T) {
	gen := `apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: charts
  namespace: flux-system
spec:
  sources:
    - alias: repo
      kind: GitRepository
      name: flux-system
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
`
	files := []workspace.File{
		{Path: "charts/old/Chart.yaml", Content: []byte("apiVersion: v2\nname: old\nversion: 0.1.0\n")},
		{Path: "charts/web/Chart.yaml", Content: []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n")},
		{Path: "docs/index.md", Content: []byte("# docs\n")},
		{Path: "clusters/production/artifacts.yaml", Content: []byte(gen)},
	}
	for _, tc := range []struct{ name, namespace, want string }{
		{"web-chart", "flux-system", "charts/web"},
		{"web-chart", "", "charts/web"},
		{"web-chart", "other", ""},
		{"docs", "flux-system", "docs"},
		{"none", "flux-system", ""},
	} {
		if got := ExternalArtifactChart(files, tc.name, tc.namespace); got != tc.want {
			t.Errorf("ExternalArtifactChart(%s, %q) = %q, want %q", tc.name, tc.namespace, got, tc.want)
		}
	}
}
