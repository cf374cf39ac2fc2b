package review

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
)

// testRepo is a real git repository made with the git CLI.
type testRepo struct {
	t   testing.TB
	dir string
	// noPolicy turns the policy check off.
	noPolicy bool
}

func newRepo(t testing.TB) *testRepo {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &testRepo{t: t, dir: dir}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (r *testRepo) write(files map[string]string) {
	r.t.Helper()
	for p, content := range files {
		full := filepath.Join(r.dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// edit replaces old with new in the file at p, which must hold old.
func (r *testRepo) edit(p, old, new string) {
	r.t.Helper()
	full := filepath.Join(r.dir, filepath.FromSlash(p))
	b, err := os.ReadFile(full)
	if err != nil {
		r.t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		r.t.Fatalf("%s does not hold %q", p, old)
	}
	if err := os.WriteFile(full, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) commit(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

// copyTree copies the folder src into the repository.
func (r *testRepo) copyTree(src string) {
	r.t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r.write(map[string]string{filepath.ToSlash(rel): string(b)})
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) review(base string, paths ...string) *Review {
	r.t.Helper()
	rev, err := Run(context.Background(), Options{
		Engine: generator.New(generator.Options{}),
		Dir:    r.dir,
		Base:   base,
		Paths:  paths,
		Check:  generator.Check{PolicyCheck: !r.noPolicy},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return rev
}

func unit(t *testing.T, r *Review, path string) UnitDiff {
	t.Helper()
	for _, u := range r.Units {
		if u.Path == path {
			return u
		}
	}
	t.Fatalf("no unit %s in the review; units: %+v", path, r.Units)
	return UnitDiff{}
}

func fieldOf(t *testing.T, o ObjectChange, path string) FieldChange {
	t.Helper()
	for _, f := range o.Fields {
		if f.Path == path {
			return f
		}
	}
	t.Fatalf("%s: no field %s among %+v", o.Object, path, o.Fields)
	return FieldChange{}
}

// A change to the shared base reaches every overlay built on it, and
// the review shows it in each, per environment.
func TestSharedBaseReachesEveryOverlay(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("base/podinfo/deployment.yaml", "podinfo:6.9.2", "podinfo:6.9.3")

	rev := r.review("main")
	if got := rev.ChangedFiles; len(got) != 1 || got[0] != "base/podinfo/deployment.yaml" {
		t.Errorf("changed files = %v", got)
	}
	for _, env := range []string{"production", "staging"} {
		u := unit(t, rev, "clusters/"+env+"/apps")
		if u.Environment != "clusters/"+env || u.Kind != UnitKustomize {
			t.Errorf("unit %s: environment %q kind %q", u.Path, u.Environment, u.Kind)
		}
		if len(u.Objects) != 1 {
			t.Fatalf("%s: %d objects changed, want the Deployment alone: %+v", u.Path, len(u.Objects), u.Objects)
		}
		o := u.Objects[0]
		if want := "Deployment/payments-" + env + "/" + env + "-podinfo"; o.Object != want || o.Change != Changed {
			t.Errorf("object = %s %s, want %s changed", o.Object, o.Change, want)
		}
		f := fieldOf(t, o, "/spec/template/spec/containers/0/image")
		if f.Before != `"ghcr.io/stefanprodan/podinfo:6.9.2"` || f.After != `"ghcr.io/stefanprodan/podinfo:6.9.3"` || len(o.Fields) != 1 {
			t.Errorf("fields = %+v", o.Fields)
		}
	}
	if len(rev.Units) != 2 {
		t.Errorf("%d units changed, want the two overlays: %+v", len(rev.Units), rev.Units)
	}
	if len(rev.Findings.New) != 0 || len(rev.Risks) != 0 {
		t.Errorf("new findings %v, risks %v; want none", rev.Findings.New, rev.Risks)
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#### clusters/production", "#### clusters/staging",
		"-   /spec/template/spec/containers/0/image: ghcr.io/stefanprodan/podinfo:6.9.2",
		"+   /spec/template/spec/containers/0/image: ghcr.io/stefanprodan/podinfo:6.9.3"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

const chartYAML = `apiVersion: v2
name: web
version: 0.1.0
dependencies:
  - name: redis
    version: 18.1.0
    repository: https://charts.bitnami.com/bitnami
    condition: redis.enabled
`

const chartValues = `replicaCount: 2
image: nginx:1.27.1
redis:
  enabled: false
`

const chartDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
`

func chartRepo(t *testing.T) *testRepo {
	r := newRepo(t)
	r.write(map[string]string{
		"charts/web/Chart.yaml":                chartYAML,
		"charts/web/values.yaml":               chartValues,
		"charts/web/templates/deployment.yaml": chartDeployment,
	})
	r.commit("chart")
	return r
}

// A change to a chart's values alone shows the one field it changes.
func TestValuesOnlyChangeShowsOneField(t *testing.T) {
	r := chartRepo(t)
	r.edit("charts/web/values.yaml", "replicaCount: 2", "replicaCount: 3")
	rev := r.review("HEAD")
	if len(rev.Units) != 1 {
		t.Fatalf("units = %+v, want the chart alone", rev.Units)
	}
	u := rev.Units[0]
	if u.Path != "charts/web" || u.Kind != UnitChart || len(u.Objects) != 1 {
		t.Fatalf("unit = %+v", u)
	}
	o := u.Objects[0]
	if o.Object != "Deployment/release-name-web" || len(o.Fields) != 1 {
		t.Fatalf("object = %+v, want one field of Deployment/release-name-web", o)
	}
	if f := o.Fields[0]; f.Path != "/spec/replicas" || f.Before != "2" || f.After != "3" {
		t.Errorf("field = %+v, want /spec/replicas 2 → 3", f)
	}
	if len(rev.Capacity) != 1 || rev.Capacity[0].Before.Replicas != 2 || rev.Capacity[0].After.Replicas != 3 {
		t.Errorf("capacity = %+v", rev.Capacity)
	}
}

// badDeployment breaks several rules of the built-in pack: a latest
// image, no resources, no probes, Pod Security restricted controls.
func badDeployment(i int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy-%d
  namespace: legacy
spec:
  selector:
    matchLabels: {app: legacy-%d}
  template:
    metadata:
      labels: {app: legacy-%d}
    spec:
      containers:
        - name: app
          image: example.com/legacy:latest
`, i, i, i)
}

const goodDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: api
          image: example.com/api:1.4.2
          readinessProbe: {httpGet: {path: /readyz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
`

const privilegedSidecar = `        - name: debug
          image: example.com/debug:2.0.1
          readinessProbe: {exec: {command: ["true"]}}
          livenessProbe: {exec: {command: ["true"]}}
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {memory: 32Mi}
          securityContext:
            privileged: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
`

// An added privileged container is one new finding; the many findings
// the repository had already are counted, not listed.
func TestNewFindingAmongOldOnes(t *testing.T) {
	r := newRepo(t)
	files := map[string]string{"apps/shop/api.yaml": goodDeployment}
	for i := range 6 {
		files[fmt.Sprintf("apps/legacy/legacy-%d.yaml", i)] = badDeployment(i)
	}
	r.write(files)
	r.commit("base")
	r.write(map[string]string{"apps/shop/api.yaml": goodDeployment + privilegedSidecar})

	rev := r.review("main")
	if len(rev.Findings.New) != 1 {
		t.Fatalf("new findings = %d, want 1:\n%v", len(rev.Findings.New), rev.Findings.New)
	}
	f := rev.Findings.New[0]
	if f.Rule != "pss-baseline" || f.Resource != "Deployment/shop/api" || !strings.Contains(f.Message, "privileged") || f.File != "apps/shop/api.yaml" || f.Line == 0 {
		t.Errorf("new finding = %+v", f)
	}
	if rev.Findings.Existing < 35 || len(rev.Findings.Fixed) != 0 {
		t.Errorf("existing = %d (want about forty), fixed = %v", rev.Findings.Existing, rev.Findings.Fixed)
	}
	t.Logf("1 new finding, %d already there", rev.Findings.Existing)
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(md.String(), "example.com/legacy:latest"); n != 0 {
		t.Errorf("the old findings are listed (%d mentions of the legacy image):\n%s", n, md.String())
	}
	if !strings.Contains(md.String(), fmt.Sprintf("| Findings already there | %d |", rev.Findings.Existing)) {
		t.Errorf("markdown does not count the old findings:\n%s", md.String())
	}
}

// Replicas 3 → 6 in production doubles its requests and estimated cost;
// a production budget it now exceeds is a finding at the config's line.
func TestReplicasInProductionCostDelta(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	patch := `patches:
  - target: {kind: Deployment, name: podinfo}
    patch: |
      - op: replace
        path: /spec/replicas
        value: 3
`
	prod := "clusters/production/apps/podinfo/kustomization.yaml"
	b, err := os.ReadFile(filepath.Join(r.dir, prod))
	if err != nil {
		t.Fatal(err)
	}
	r.write(map[string]string{prod: string(b) + patch})
	cfg := ".stackgen/generation-config.yaml"
	c, err := os.ReadFile(filepath.Join(r.dir, cfg))
	if err != nil {
		t.Fatal(err)
	}
	// The example's own review: key, replaced.
	base, _, _ := strings.Cut(string(c), "\nreview:")
	r.write(map[string]string{cfg: base + `
review:
  prices: {cpu: 20, memory: 4, storage: 0.1, currency: "$"}
  budgets:
    - environment: clusters/production
      monthly: 40
`})
	r.commit("base")
	r.edit(prod, "value: 3", "value: 6")

	rev := r.review("main")
	if len(rev.Capacity) != 1 {
		t.Fatalf("capacity = %+v, want production's podinfo alone", rev.Capacity)
	}
	cc := rev.Capacity[0]
	if cc.Environment != "clusters/production" || cc.App != "podinfo" {
		t.Errorf("capacity of %s/%s", cc.Environment, cc.App)
	}
	// 250m and 256Mi per replica, at $20 a core and $4 a GiB.
	if cc.Before.Replicas != 3 || cc.After.Replicas != 6 || cc.Before.CPU != 0.75 || cc.After.CPU != 1.5 ||
		cc.Before.Memory != 0.75 || cc.After.Memory != 1.5 || cc.Before.Monthly != 18 || cc.After.Monthly != 36 {
		t.Errorf("capacity = %+v", cc)
	}
	u := unit(t, rev, "clusters/production/apps")
	if f := fieldOf(t, u.Objects[0], "/spec/replicas"); f.Before != "3" || f.After != "6" {
		t.Errorf("replicas field = %+v", f)
	}
	// 36 is under the budget of 40: no finding yet; 3 → 9 is 54.
	if len(rev.Budgets) != 0 {
		t.Errorf("budgets = %v, want none at $36 of $40", rev.Budgets)
	}
	r.edit(prod, "value: 6", "value: 9")
	rev = r.review("main")
	if len(rev.Budgets) != 1 {
		t.Fatalf("budgets = %v, want production over $40", rev.Budgets)
	}
	bf := rev.Budgets[0]
	if bf.Rule != RuleBudget || bf.File != cfg || bf.Line == 0 || !strings.Contains(bf.Message, "$18.00 to $54.00, over its budget of $40.00") {
		t.Errorf("budget finding = %+v", bf)
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| clusters/production | podinfo | 3 → 9 | 0.75 → 2.25 (+1.5) | 0.75 → 2.25 (+1.5) | 0 | $18.00 → $54.00 (+$36.00) |") {
		t.Errorf("markdown lacks the cost row:\n%s", md.String())
	}
}

// A selector change is flagged as an immutable field, at the line of
// the chart's template that makes the change (the label added to the
// selector, a line a pull request's diff shows).
func TestSelectorChangeFlagged(t *testing.T) {
	r := chartRepo(t)
	r.write(map[string]string{"charts/web/templates/deployment.yaml": strings.Replace(chartDeployment,
		"    matchLabels:\n      app.kubernetes.io/name: web\n", "    matchLabels:\n      app.kubernetes.io/name: web\n      tier: front\n", 1)})
	rev := r.review("HEAD")
	var got []validators.Finding
	for _, f := range rev.Risks {
		if f.Rule == RuleImmutable {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("immutable-field risks = %v, want one", rev.Risks)
	}
	f := got[0]
	if f.Path != "/spec/selector" || f.Resource != "Deployment/release-name-web" || f.Severity != validators.SeverityError ||
		f.File != "charts/web/templates/deployment.yaml" || f.Line != 12 {
		t.Errorf("risk = %+v", f)
	}
}

// A chart the change deletes, reviewed by its path: its objects are
// removed; a path on neither side is an error naming it.
func TestDeletedPath(t *testing.T) {
	r := chartRepo(t)
	if err := os.RemoveAll(filepath.Join(r.dir, "charts/web")); err != nil {
		t.Fatal(err)
	}
	rev := r.review("HEAD", filepath.Join(r.dir, "charts/web"))
	if len(rev.Units) != 1 || len(rev.Units[0].Objects) != 1 || rev.Units[0].Objects[0].Object != "Deployment/release-name-web" || rev.Units[0].Objects[0].Change != Removed {
		t.Errorf("units = %+v", rev.Units)
	}
	_, err := Run(context.Background(), Options{Engine: generator.New(generator.Options{}), Dir: r.dir, Base: "HEAD", Paths: []string{filepath.Join(r.dir, "charts/none")}})
	if err == nil || !strings.Contains(err.Error(), "path charts/none is neither in the work tree nor at the base") {
		t.Errorf("missing path: %v", err)
	}
}

// A change to a Component reaches the overlays that use it, and only
// those: production's, not staging's.
func TestComponentReachesItsOverlays(t *testing.T) {
	r := newRepo(t)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("components/monitoring/kustomization.yaml", `prometheus.io/scrape: "true"`, `prometheus.io/scrape: "true"
              prometheus.io/port: "9898"`)
	rev := r.review("main")
	if len(rev.Units) != 1 || rev.Units[0].Path != "clusters/production/apps" {
		t.Fatalf("units = %+v, want production's apps alone", rev.Units)
	}
	o := rev.Units[0].Objects[0]
	if f := fieldOf(t, o, "/spec/template/metadata/annotations/prometheus.io~1port"); f.Before != "" || f.After != `"9898"` || len(o.Fields) != 1 {
		t.Errorf("fields = %+v", o.Fields)
	}
}

const statefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
  labels: {app.kubernetes.io/name: db}
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: example.com/db:16.4
          resources:
            requests: {cpu: "1", memory: 2Gi}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests: {storage: 10Gi}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: backups
  namespace: shop
  labels: {app.kubernetes.io/name: db}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 50Gi}
`

const autoscaler = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: db
  namespace: shop
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
  minReplicas: 2
  maxReplicas: 5
`

// Storage counts claims and claim templates times replicas; an added
// autoscaler raises the maximum replicas and the cost at the maximum,
// not the cost at the replicas set.
func TestStorageAndAutoscalerCapacity(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.write(map[string]string{"clusters/prod/db/db.yaml": statefulSet})
	r.commit("base")
	r.write(map[string]string{"clusters/prod/db/hpa.yaml": autoscaler})
	rev := r.review("main")
	if len(rev.Capacity) != 1 {
		t.Fatalf("capacity = %+v", rev.Capacity)
	}
	c := rev.Capacity[0]
	if c.Environment != "clusters/prod" || c.App != "db" {
		t.Errorf("capacity of %s/%s", c.Environment, c.App)
	}
	// 2 replicas of 1 core and 2 GiB; 2×10 GiB of claims and 50 GiB.
	// Default prices: 2×(23+2×3) + 70×0.10 = 65; at 5 replicas
	// 5×29 + (70+30)×0.10 = 155.
	want := Capacity{CPU: 2, Memory: 4, Storage: 70, Replicas: 2, MaxReplicas: 2, Monthly: 65, MonthlyMax: 65}
	if c.Before != want {
		t.Errorf("before = %+v, want %+v", c.Before, want)
	}
	want.MaxReplicas, want.MonthlyMax = 5, 155
	if c.After != want {
		t.Errorf("after = %+v, want %+v", c.After, want)
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| clusters/prod | db | 2 (max 2 → 5) | 2 | 4 | 70 | $65.00 | $65.00 → $155.00 (+$90.00) |") {
		t.Errorf("markdown lacks the row:\n%s", md.String())
	}
}

func helmRelease(env string, replicas int) string {
	return fmt.Sprintf(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  targetNamespace: shop-%s
  chart:
    spec:
      chart: ./charts/web
      sourceRef: {kind: GitRepository, name: flux-system}
  values:
    replicaCount: %d
`, env, replicas)
}

// A chart of the repository that Flux HelmReleases install is rendered
// as each installs it — its release name and namespace, its values over
// the chart's — so a HelmRelease's values change shows in what its
// cluster receives, and a change to the chart's defaults in every
// release; the chart's own render, which no cluster receives, is left
// out.
func TestHelmReleaseOfLocalChart(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.write(map[string]string{
		"charts/web/Chart.yaml":                       chartYAML,
		"charts/web/values.yaml":                      chartValues,
		"charts/web/templates/deployment.yaml":        chartDeployment,
		"clusters/production/apps/kustomization.yaml": "resources: [web.yaml]\n",
		"clusters/production/apps/web.yaml":           helmRelease("production", 3),
		"clusters/staging/apps/kustomization.yaml":    "resources: [web.yaml]\n",
		"clusters/staging/apps/web.yaml":              helmRelease("staging", 1),
	})
	r.commit("base")
	r.edit("clusters/production/apps/web.yaml", "replicaCount: 3", "replicaCount: 6")

	rev := r.review("main")
	var release *UnitDiff
	for i, u := range rev.Units {
		switch {
		case u.Kind == UnitChart:
			t.Errorf("the chart's own render is in the review: %+v", u)
		case u.Kind == UnitHelmRelease:
			release = &rev.Units[i]
		}
	}
	if len(rev.Units) != 2 || release == nil {
		t.Fatalf("units = %+v, want production's overlay and its release", rev.Units)
	}
	if release.Path != "clusters/production/apps" || release.Release != "HelmRelease/flux-system/web" || release.Chart != "charts/web" || release.Environment != "clusters/production" {
		t.Errorf("release unit = %+v", release)
	}
	if len(release.Objects) != 1 || release.Objects[0].Object != "Deployment/shop-production-web-web" {
		t.Fatalf("release objects = %+v", release.Objects)
	}
	if f := fieldOf(t, release.Objects[0], "/spec/replicas"); f.Before != "3" || f.After != "6" || len(release.Objects[0].Fields) != 1 {
		t.Errorf("fields = %+v", release.Objects[0].Fields)
	}
	if len(rev.Capacity) != 1 || rev.Capacity[0].Environment != "clusters/production" || rev.Capacity[0].Before.CPU != 0.3 || rev.Capacity[0].After.CPU != 0.6 {
		t.Errorf("capacity = %+v", rev.Capacity)
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{Comment: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "<details><summary><code>HelmRelease/flux-system/web</code> in <code>clusters/production/apps</code> (chart <code>charts/web</code>): 1 changed</summary>") {
		t.Errorf("comment lacks the release's section:\n%s", md.String())
	}

	r.commit("scale production")
	r.edit("charts/web/values.yaml", "nginx:1.27.1", "nginx:1.27.2")
	rev = r.review("HEAD")
	if len(rev.Units) != 2 {
		t.Fatalf("units = %+v, want both releases", rev.Units)
	}
	for _, u := range rev.Units {
		if u.Kind != UnitHelmRelease || len(u.Objects) != 1 {
			t.Errorf("unit = %+v", u)
			continue
		}
		if f := fieldOf(t, u.Objects[0], "/spec/template/spec/containers/0/image"); f.After != `"nginx:1.27.2"` {
			t.Errorf("%s: image field = %+v", u.Path, f)
		}
	}
}

// An Argo CD Application whose source is a chart folder of the
// repository is rendered as it installs it: helm.valuesObject, or the
// helm.values string, over the chart's values, in its destination
// namespace.
func TestArgoApplicationOfLocalChart(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	app := func(env, helm string) string {
		return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/gitops.git
    targetRevision: main
    path: charts/web
    helm:
` + helm + `
  destination:
    server: https://kubernetes.default.svc
    namespace: shop-` + env + `
`
	}
	r.write(map[string]string{
		"charts/web/Chart.yaml":                chartYAML,
		"charts/web/values.yaml":               chartValues,
		"charts/web/templates/deployment.yaml": chartDeployment,
		"argocd/production/web.yaml":           app("production", "      valuesObject: {replicaCount: 4}"),
		"argocd/staging/web.yaml":              app("staging", "      releaseName: web-staging\n      values: |\n        replicaCount: 1"),
	})
	r.commit("base")
	r.edit("argocd/production/web.yaml", "replicaCount: 4", "replicaCount: 5")
	r.edit("argocd/staging/web.yaml", "replicaCount: 1", "replicaCount: 2")
	rev := r.review("main")
	got := map[string]string{}
	for _, u := range rev.Units {
		if u.Kind != UnitHelmRelease {
			continue
		}
		for _, o := range u.Objects {
			f := fieldOf(t, o, "/spec/replicas")
			got[u.Path+" "+o.Object] = f.Before + "→" + f.After
		}
	}
	want := map[string]string{
		"argocd/production Deployment/web-web":      "4→5",
		"argocd/staging Deployment/web-staging-web": "1→2",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("release changes = %v, want %v", got, want)
	}
}
