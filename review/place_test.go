package review

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators"
)

// A risk in what an overlay's inline patch sets (replicas, in the
// kustomization itself: a JSON 6902 operation in staging, a strategic
// merge patch in production) is placed at the patch, not at the shared
// base the patch overrides.
func TestRiskAtTheOverlaysInlinePatch(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("clusters/staging/apps/podinfo/kustomization.yaml", "value: 1", "value: 0")
	// Production's is an inline strategic merge patch (lines 13-20).
	r.edit("clusters/production/apps/podinfo/kustomization.yaml", "    includeTemplates: true\n", `    includeTemplates: true
patches:
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: podinfo
      spec:
        replicas: 0
`)

	rev := r.review("main")
	var got []string
	for _, f := range rev.Risks {
		if f.Rule == RuleReplicasZero {
			got = append(got, fmt.Sprintf("%s %s:%d:%d", f.Resource, f.File, f.Line, f.Column))
		}
	}
	// Line 20 of production's kustomization is "        replicas: 0";
	// line 14 of staging's is "      - op: replace", the operation that
	// writes /spec/replicas.
	want := []string{
		"Deployment/payments-production/production-podinfo clusters/production/apps/podinfo/kustomization.yaml:20:9",
		"Deployment/payments-staging/staging-podinfo clusters/staging/apps/podinfo/kustomization.yaml:14:9",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replicas-zero risks:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Both sides read the files git lists: a file .gitignore ignores, present
// in the work tree only (a local override, a rendered copy), is no part
// of the head, as it is none of the base; a file ignored but tracked is
// part of both.
func TestIgnoredFilesAreNeitherSide(t *testing.T) {
	r := newRepo(t)
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: shop\ndata:\n  a: b\n"
	}
	r.write(map[string]string{
		".gitignore":                 "*.local.yaml\nout/\n",
		"apps/web/configmap.yaml":    cm("web"),
		"apps/web/forced.local.yaml": cm("forced"),
	})
	r.git("add", "-f", "apps/web/forced.local.yaml")
	r.commit("base")
	r.write(map[string]string{
		"apps/web/override.local.yaml": cm("override"),
		"out/web/rendered.yaml":        cm("rendered"),
	})
	rev := r.review("main")
	if len(rev.ChangedFiles) != 0 || len(rev.Units) != 0 || len(rev.Findings.New) != 0 {
		t.Errorf("changed files %v, units %+v, new findings %v; want none", rev.ChangedFiles, rev.Units, rev.Findings.New)
	}

	// A change to the tracked ignored file is seen on both sides.
	r.edit("apps/web/forced.local.yaml", "a: b", "a: c")
	rev = r.review("main")
	u := unit(t, rev, "apps/web")
	if len(rev.Units) != 1 || len(u.Objects) != 1 || u.Objects[0].Object != "ConfigMap/shop/forced" || u.Objects[0].Change != Changed {
		t.Errorf("units = %+v, want ConfigMap/shop/forced changed alone", rev.Units)
	}
}

// The base is the commit's files as committed: attributes that shape an
// archive (export-ignore, export-subst) do not drop or rewrite them.
func TestBaseIsTheCommitsFiles(t *testing.T) {
	r := newRepo(t)
	r.write(map[string]string{
		".gitattributes":          "apps/web/hidden.yaml export-ignore\napps/web/configmap.yaml export-subst\n",
		"apps/web/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: shop\ndata:\n  commit: $Format:%H$\n",
		"apps/web/hidden.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hidden\n  namespace: shop\ndata:\n  a: b\n",
	})
	r.commit("base")
	rev := r.review("main")
	if len(rev.Units) != 0 {
		t.Errorf("units %+v; want none: nothing changed", rev.Units)
	}
}

// A HelmRelease whose chartRef is an ExternalArtifact that an
// ArtifactGenerator copies from a chart folder of the repository (Flux
// 2.7) installs that chart: it is rendered as the release, like a chart
// a GitRepository sourceRef names.
func TestHelmReleaseOfExternalArtifact(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	release := `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  targetNamespace: shop-production
  chartRef:
    kind: ExternalArtifact
    name: web-chart
  values:
    replicaCount: 3
`
	r.write(map[string]string{
		"charts/web/Chart.yaml":                       chartYAML,
		"charts/web/values.yaml":                      chartValues,
		"charts/web/templates/deployment.yaml":        chartDeployment,
		"clusters/production/apps/kustomization.yaml": "resources: [artifacts.yaml, web.yaml]\n",
		"clusters/production/apps/web.yaml":           release,
		"clusters/production/apps/artifacts.yaml": `apiVersion: source.extensions.fluxcd.io/v1beta1
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
        - from: "@repo/charts/web/**"
          to: "@artifact/"
`,
	})
	r.commit("base")
	r.edit("clusters/production/apps/web.yaml", "replicaCount: 3", "replicaCount: 6")

	rev := r.review("main")
	var got *UnitDiff
	for i, u := range rev.Units {
		if u.Kind == UnitHelmRelease {
			got = &rev.Units[i]
		}
	}
	if got == nil || got.Release != "HelmRelease/flux-system/web" || got.Chart != "charts/web" || len(got.Objects) != 1 {
		t.Fatalf("units = %+v, want the release of charts/web", rev.Units)
	}
	if f := fieldOf(t, got.Objects[0], "/spec/replicas"); f.Before != "3" || f.After != "6" {
		t.Errorf("fields = %+v", got.Objects[0].Fields)
	}
}

// A HelmRelease whose chartRef is a HelmChart installs the chart the
// HelmChart names: from a GitRepository, a chart folder of the
// repository, rendered as the release; from a HelmRepository, a chart
// that is not fetched, so the HelmRelease and the HelmChart are diffed as
// objects and the HelmChart's major version bump is a risk.
func TestHelmReleaseOfHelmChart(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	release := func(name, chart string) string {
		return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ` + name + `
  namespace: flux-system
spec:
  interval: 10m
  targetNamespace: shop-production
  chartRef:
    kind: HelmChart
    name: ` + chart + `
  values:
    replicaCount: 3
`
	}
	r.write(map[string]string{
		"charts/web/Chart.yaml":                       chartYAML,
		"charts/web/values.yaml":                      chartValues,
		"charts/web/templates/deployment.yaml":        chartDeployment,
		"clusters/production/apps/kustomization.yaml": "resources: [charts.yaml, web.yaml, redis.yaml]\n",
		"clusters/production/apps/web.yaml":           release("web", "web"),
		"clusters/production/apps/redis.yaml":         release("redis", "redis"),
		"clusters/production/apps/charts.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
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
  name: redis
  namespace: flux-system
spec:
  interval: 5m
  chart: redis
  version: 19.6.4
  sourceRef:
    kind: HelmRepository
    name: bitnami
`,
	})
	r.commit("base")
	r.edit("clusters/production/apps/web.yaml", "replicaCount: 3", "replicaCount: 6")
	r.edit("clusters/production/apps/charts.yaml", "version: 19.6.4", "version: 20.0.1")

	rev := r.review("main")
	var got *UnitDiff
	for i, u := range rev.Units {
		switch u.Kind {
		case UnitHelmRelease:
			got = &rev.Units[i]
		case UnitChart:
			t.Errorf("the chart's own render is in the review: %+v", u)
		}
	}
	if got == nil || got.Release != "HelmRelease/flux-system/web" || got.Chart != "charts/web" || len(got.Objects) != 1 {
		t.Fatalf("units = %+v, want the release of charts/web", rev.Units)
	}
	if f := fieldOf(t, got.Objects[0], "/spec/replicas"); f.Before != "3" || f.After != "6" {
		t.Errorf("fields = %+v", got.Objects[0].Fields)
	}
	var chart *ObjectChange
	for _, u := range rev.Units {
		for i, o := range u.Objects {
			if u.Kind == UnitKustomize && o.Object == "HelmChart/flux-system/redis" {
				chart = &u.Objects[i]
			}
		}
	}
	if chart == nil {
		t.Fatalf("units = %+v, want the redis HelmChart changed in the overlay", rev.Units)
	}
	if f := fieldOf(t, *chart, "/spec/version"); f.Before != `"19.6.4"` || f.After != `"20.0.1"` {
		t.Errorf("HelmChart version field = %+v", f)
	}
	bumps := 0
	for _, f := range rev.Risks {
		if f.Rule == RuleMajorBump {
			bumps++
			if f.Resource != "HelmChart/flux-system/redis" || f.Path != "/spec/version" || f.File != "clusters/production/apps/charts.yaml" || f.Line == 0 {
				t.Errorf("major bump risk = %+v", f)
			}
		}
	}
	if bumps != 1 {
		t.Errorf("risks = %+v, want one major bump of redis", rev.Risks)
	}
}

// A check's new finding on what an overlay's inline JSON patch writes
// (an image pinned to latest, which the policy check reports) is placed
// at the patch's operation in that overlay's kustomization.
func TestFindingAtTheOverlaysInlinePatch(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("clusters/staging/apps/podinfo/kustomization.yaml", "        value: 1\n", `        value: 1
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: ghcr.io/stefanprodan/podinfo:latest
`)
	rev := r.review("main")
	var got []string
	for _, f := range rev.Findings.New {
		if f.Rule == "image-tag" {
			got = append(got, fmt.Sprintf("%s %s:%d", f.Resource, f.File, f.Line))
		}
	}
	// Line 17 is "      - op: replace" of the image operation.
	want := "Deployment/payments-staging/staging-podinfo clusters/staging/apps/podinfo/kustomization.yaml:17"
	if len(got) != 1 || got[0] != want {
		t.Errorf("new image-tag findings = %v, want [%s]", got, want)
	}
}

// An immutable field's change that an overlay's inline JSON patch makes
// below it (a label added to the selector) is placed at the operation
// that makes it, not at the base's selector, which is unchanged.
func TestImmutableChangeAtTheOverlaysPatch(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("clusters/staging/apps/podinfo/kustomization.yaml", "        value: 1\n", `        value: 1
      - op: add
        path: /spec/selector/matchLabels/tier
        value: web
`)
	rev := r.review("main")
	var got []string
	for _, f := range rev.Risks {
		if f.Rule == RuleImmutable {
			got = append(got, fmt.Sprintf("%s %s %s:%d", f.Resource, f.Path, f.File, f.Line))
		}
	}
	want := "Deployment/payments-staging/staging-podinfo /spec/selector clusters/staging/apps/podinfo/kustomization.yaml:17"
	if len(got) != 1 || got[0] != want {
		t.Errorf("immutable-field risks = %v, want [%s]", got, want)
	}
}

// The findings about a container an overlay's inline JSON patch appends
// (the privileged debug sidecar of scripts/review-demo.sh) are placed at
// the operation that appends it (containers/-), not in the shared base:
// those about the container's own fields, and those about the pod spec
// that name it.
func TestFindingsOnAnAppendedContainer(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("clusters/staging/apps/podinfo/kustomization.yaml", "        value: 1\n", `        value: 1
      - op: add
        path: /spec/template/spec/containers/-
        value:
          name: debug
          image: busybox:1.36
          command: [sleep, infinity]
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {memory: 32Mi}
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
`)
	rev := r.review("main")
	var got []string
	for _, f := range rev.Findings.New {
		got = append(got, fmt.Sprintf("%s %s:%d [%s]", f.Path, f.File, f.Line, f.Rule))
	}
	sort.Strings(got)
	// Line 17 is "      - op: add", the operation that appends it.
	const k = "clusters/staging/apps/podinfo/kustomization.yaml:17"
	want := []string{
		"/spec/template/spec/containers/1 " + k + " [probes]",
		"/spec/template/spec/containers/1/securityContext " + k + " [pss-restricted]",
		"/spec/template/spec/containers/1/securityContext/allowPrivilegeEscalation " + k + " [pss-restricted]",
		"/spec/template/spec/containers/1/securityContext/privileged " + k + " [pss-baseline]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("new findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A finding about an object's field is the same finding when the change
// moves where the field is written (a new overlay patch sets what the
// base set): existing, not one new and one fixed. A finding about no
// object is still matched by its file.
func TestFindingMovedToAPatchIsExisting(t *testing.T) {
	f := func(resource, path, file, msg string) validators.Finding {
		return validators.Finding{Rule: "pdb", Resource: resource, Path: path, File: file, Message: msg, Severity: validators.SeverityWarning}
	}
	base := []validators.Finding{
		f("Deployment/shop/web", "/spec/replicas", "base/web/deployment.yaml", "2 replicas and no PodDisruptionBudget"),
		f("", "", "charts/a/Chart.yaml", "icon is recommended"),
	}
	head := []validators.Finding{
		f("Deployment/shop/web", "/spec/replicas", "clusters/prod/web/kustomization.yaml", "4 replicas and no PodDisruptionBudget"),
		f("", "", "charts/b/Chart.yaml", "icon is recommended"),
	}
	g := chains{"clusters/prod/web": {"base/web": true}}
	d := diffFindings(base, head, func(a, b string) bool { return related(a, b, g) })
	if d.Existing != 1 || len(d.New) != 1 || len(d.Fixed) != 1 || d.New[0].File != "charts/b/Chart.yaml" || d.Fixed[0].File != "charts/a/Chart.yaml" {
		t.Errorf("diff = %+v", d)
	}
}

// The last findings pass matches only within one overlay chain: a
// finding moved between two clusters' overlays of one base is new and
// fixed; one moved from a chart's template to its values.yaml, or from
// a base to an overlay that reads it, is existing.
func TestFindingsMatchWithinAChain(t *testing.T) {
	f := func(file string) validators.Finding {
		return validators.Finding{Rule: "image-tag", Resource: "Deployment/shop/web", Path: "/spec/template/spec/containers/0/image", File: file, Severity: validators.SeverityError}
	}
	g := chains{
		"apps/staging":    {"apps/base": true},
		"apps/production": {"apps/base": true},
	}
	rel := func(a, b string) bool { return related(a, b, g) }
	for _, tc := range []struct {
		base, head string
		existing   int
	}{
		{"apps/staging/kustomization.yaml", "apps/production/kustomization.yaml", 0},
		{"apps/base/deployment.yaml", "apps/production/kustomization.yaml", 1},
		{"charts/web/templates/deployment.yaml", "charts/web/values.yaml", 1},
		{"web.yaml", "charts/web/values.yaml", 0},
	} {
		d := diffFindings([]validators.Finding{f(tc.base)}, []validators.Finding{f(tc.head)}, rel)
		if d.Existing != tc.existing || len(d.New) != 1-tc.existing || len(d.Fixed) != 1-tc.existing {
			t.Errorf("%s -> %s: existing %d, new %d, fixed %d; want %d existing", tc.base, tc.head, d.Existing, len(d.New), len(d.Fixed), tc.existing)
		}
	}
}
