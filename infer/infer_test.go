package infer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// readTree reads every file under dir as repository files.
func readTree(t testing.TB, dir string) []workspace.File {
	t.Helper()
	return workspacetest.Read(t, dir, "")
}

const fluxExample = "../validators/testdata/trees/flux2-kustomize-helm-example"

func TestInferFluxKustomizeHelm(t *testing.T) {
	p := Infer(readTree(t, fluxExample))
	t.Logf("\n%s", p.YAML())
	for _, e := range p.Evidence {
		t.Log(e)
	}
	cfg, err := genconfig.Parse(genconfig.Path, p.YAML())
	if err != nil {
		t.Fatalf("the proposal does not parse: %v\n%s", err, p.YAML())
	}
	l := cfg.Layout
	want := genconfig.Layout{Delivery: "flux-helmrelease", Apps: "apps/base/{app}", Overlays: "apps/{env}", Patches: "apps/{env}/{app}-values.yaml", Clusters: "clusters/{env}", NamespaceObject: true}
	if l.Delivery != want.Delivery || l.Apps != want.Apps || l.Overlays != want.Overlays || l.Patches != want.Patches || l.Clusters != want.Clusters || !l.NamespaceObject {
		t.Errorf("layout = %+v, want %+v", l, want)
	}
	if strings.Join(l.Environments, ",") != "production,staging" {
		t.Errorf("environments = %v", l.Environments)
	}
	if l.Files["HelmRelease"] != "release.yaml" || l.Files["HelmRepository"] != "repository.yaml" || l.Files["Namespace"] != "namespace.yaml" {
		t.Errorf("files = %v", l.Files)
	}
	if cfg.Namespace.Pattern != "{app}" || cfg.Naming.Pattern != "{app}" {
		t.Errorf("namespace %q naming %q, want {app} for both", cfg.Namespace.Pattern, cfg.Naming.Pattern)
	}
	if c := cfg.Charts["podinfo"]; c.Repository != "https://stefanprodan.github.io/podinfo" || c.Version != ">=1.0.0" {
		t.Errorf("charts = %+v", cfg.Charts)
	}
	if len(cfg.Labels) != 0 {
		t.Errorf("labels %v: only the Namespace carries one, not (nearly) every object", cfg.Labels)
	}
	if len(p.Examples) != 1 || p.Examples[0].Dir != "apps/base/podinfo" {
		t.Errorf("examples = %v", p.Examples)
	}
	if got := strings.Join(p.Listed["apps/production"], ","); got != "podinfo" {
		t.Errorf("apps/production lists %q", got)
	}
}

// Cached infers once per repository state.
func TestCached(t *testing.T) {
	files := readTree(t, fluxExample)
	a, b := Cached(files), Cached(append([]workspace.File{}, files...))
	if a != b {
		t.Error("the same files were inferred twice")
	}
	changed := append([]workspace.File{}, files...)
	for i, f := range changed {
		if f.Path == "apps/base/podinfo/kustomization.yaml" {
			changed[i].Content = []byte(strings.Replace(string(f.Content), "namespace: podinfo", "namespace: shared", 1))
		}
	}
	c := Cached(changed)
	if c == a {
		t.Fatal("a changed repository got the proposal of the old one")
	}
	if c.Config.Namespace.Pattern == "{app}" {
		t.Errorf("namespace %q after the app moved to namespace shared", c.Config.Namespace.Pattern)
	}
}

// A repository with no app says nothing: no layout, no conventions.
func TestInferNothing(t *testing.T) {
	p := Infer([]workspace.File{{Path: "README.md", Content: []byte("# hi\n")}, {Path: "x/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")}})
	if p.Found() {
		t.Errorf("found %+v", p.Config)
	}
	if _, err := genconfig.Parse(genconfig.Path, p.YAML()); err != nil {
		t.Errorf("the empty proposal does not parse: %v", err)
	}
}

// Argo CD Applications written as manifests name their apps' folders.
func TestInferArgoApplications(t *testing.T) {
	app := func(name string) workspace.File {
		return workspace.File{Path: "argocd/apps/" + name + ".yaml", Content: []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ` + name + `
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/gitops.git
    path: workloads/` + name + `
  destination:
    server: https://kubernetes.default.svc
    namespace: ` + name + `
`)}
	}
	deploy := func(name string) workspace.File {
		return workspace.File{Path: "workloads/" + name + "/deployment.yaml", Content: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  labels:\n    team: payments\nspec:\n  template:\n    metadata:\n      labels:\n        team: payments\n")}
	}
	p := Infer([]workspace.File{app("api"), app("web"), deploy("api"), deploy("web")})
	l := p.Config.Layout
	if l.Delivery != genconfig.DeliveryArgoApplication || l.Apps != "workloads/{app}" {
		t.Errorf("layout = %+v", l)
	}
	if p.Config.Labels["team"] != "payments" || p.Config.Naming.Pattern != "{app}" {
		t.Errorf("labels %v, naming %q", p.Config.Labels, p.Config.Naming.Pattern)
	}
	if len(p.Config.Formats) != 0 {
		t.Errorf("formats %v for Argo CD apps", p.Config.Formats)
	}
}

// A HelmRelease's chartRef to a HelmChart from a HelmRepository, or to an
// ExternalArtifact an ArtifactGenerator fills from a HelmChart or an
// OCIRepository, names an upstream chart as spec.chart.spec does; one to
// a chart folder of the repository names none.
func TestInferChartRefs(t *testing.T) {
	release := func(name, kind, ref string) string {
		return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ` + name + `
  namespace: ` + name + `
spec:
  interval: 10m
  chartRef:
    kind: ` + kind + `
    name: ` + ref + `
    namespace: flux-system
`
	}
	dir := t.TempDir()
	for p, c := range map[string]string{
		"apps/base/podinfo/release.yaml": release("podinfo", "HelmChart", "podinfo"),
		"apps/base/redis/release.yaml":   release("redis", "ExternalArtifact", "redis"),
		"apps/base/nginx/release.yaml":   release("nginx", "ExternalArtifact", "nginx"),
		"apps/base/web/release.yaml":     release("web", "ExternalArtifact", "web"),
		"charts/web/Chart.yaml":          "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"infrastructure/sources.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: flux-system
spec:
  url: https://charts.example.com/
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: redis
  namespace: flux-system
spec:
  url: oci://registry.example.com/charts/redis
  ref: {tag: 20.1.0}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: podinfo
  namespace: flux-system
spec:
  chart: podinfo
  version: 6.x
  sourceRef: {kind: HelmRepository, name: charts}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: nginx
  namespace: flux-system
spec:
  chart: nginx
  sourceRef: {kind: HelmRepository, name: charts}
---
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: charts
  namespace: flux-system
spec:
  sources:
    - {alias: oci, kind: OCIRepository, name: redis}
    - {alias: nginx, kind: HelmChart, name: nginx}
    - {alias: repo, kind: GitRepository, name: flux-system}
  artifacts:
    - name: redis
      copy:
        - {from: "@oci/**", to: "@artifact/"}
    - name: nginx
      copy:
        - {from: "@nginx/**", to: "@artifact/"}
    - name: web
      copy:
        - {from: "@repo/charts/web/**", to: "@artifact/"}
`,
	} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := Infer(readTree(t, dir))
	want := map[string]genconfig.Chart{
		"podinfo": {Repository: "https://charts.example.com/", Chart: "podinfo", Version: "6.x"},
		"redis":   {Repository: "oci://registry.example.com/charts/redis", Chart: "redis", Version: "*"},
		"nginx":   {Repository: "https://charts.example.com/", Chart: "nginx", Version: "*"},
	}
	if len(p.Config.Charts) != len(want) {
		t.Errorf("charts = %+v, want %+v", p.Config.Charts, want)
	}
	for name, c := range want {
		if got := p.Config.Charts[name]; got != c {
			t.Errorf("charts[%s] = %+v, want %+v", name, got, c)
		}
	}
	found := false
	for _, e := range p.Evidence {
		if e.Key == "charts.podinfo" {
			found = true
			if strings.Join(e.Files, ",") != "apps/base/podinfo/release.yaml,infrastructure/sources.yaml" {
				t.Errorf("evidence of podinfo = %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no evidence for charts.podinfo among %+v", p.Evidence)
	}
}
