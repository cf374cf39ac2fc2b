package conventions_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace"
)

const exampleRepo = "../examples/gitops"

// intents cover every blueprint of the built-in planner.
var intents = []struct{ app, intent string }{
	{"redis", "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production"},
	{"cache", "a redis cache in production"},
	{"orders-db", "a postgres database with 50 GB of storage in production"},
	{"api", "deploy an API with image ghcr.io/acme/api:1.4.2 on port 3000 exposed at api.example.com with TLS, autoscale between 2 and 10 replicas at 70% CPU in production"},
	{"jobs", "4 workers with image ghcr.io/acme/jobs:2.0.1 and 500m cpu in production"},
	{"backup", "a cron job running ghcr.io/acme/backup:1.0.0 every night at 2am UTC in production"},
}

// pipeline runs what the engine runs for a generation into the example
// repository: plan (or take model-written files), wrap the folder for its
// parent kustomization, apply the conventions, register the folder.
func pipeline(t *testing.T, target string, generated []workspace.File, vars genconfig.Vars) (ws, files []workspace.File, findings []validators.Finding) {
	t.Helper()
	ws, err := workspace.Load(exampleRepo, target)
	if err != nil {
		t.Fatalf("workspace.Load: %v", err)
	}
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatalf("genconfig: %v", err)
	}
	files = generated
	if _, ok := gitops.Parent(ws, target); ok {
		// The HelmRelease is named after the folder; the conventions rename
		// and place it like every other object.
		files = append(files, gitops.Wrap(target, files, gitops.Source{}, gitops.Release{Environment: vars.Env})...)
	}
	files, findings, err = conventions.Apply(context.Background(), cfg, vars, files)
	if err != nil {
		t.Fatalf("conventions.Apply: %v", err)
	}
	parent, ok, err := gitops.Register(ws, target)
	if err != nil || !ok {
		t.Fatalf("gitops.Register: %v, %v", ok, err)
	}
	return ws, append(files, parent), findings
}

func TestPlannerChartsFollowExampleConventions(t *testing.T) {
	for _, tc := range intents {
		t.Run(tc.app, func(t *testing.T) {
			target := "clusters/production/apps/" + tc.app
			plan, err := planner.Parse(tc.intent, planner.Hints{TargetPath: target})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			chart, err := plan.Files("helm")
			if err != nil {
				t.Fatalf("Files: %v", err)
			}
			for i := range chart {
				chart[i].Path = target + "/" + chart[i].Path
			}
			vars := genconfig.Vars{Env: plan.Environment, App: plan.App, Component: plan.Blueprint}
			ws, files, findings := pipeline(t, target, chart, vars)
			for _, f := range findings {
				t.Logf("%s", f)
			}
			// Until the planner's templates read commonAnnotations on object
			// metadata (pod templates read podAnnotations), those findings
			// are expected to stay open; afterwards none may.
			hook := false
			for _, f := range chart {
				hook = hook || (strings.Contains(f.Path, "/templates/") && bytes.Contains(f.Content, []byte("commonAnnotations")))
			}
			for _, f := range open(findings) {
				if !hook && f.Rule == conventions.RuleAnnotations && !strings.Contains(f.Path, "/template/") {
					continue
				}
				t.Errorf("unfixed: %s", f)
			}
			objects := renderAll(t, files, "payments-production", plan.App)
			checkReferences(t, objects)
			validate(t, files[:len(files)-1])
			applyAndBuild(t, ws, files, "clusters/production/apps", "chart: ./"+target)
		})
	}
}

// TestKustomizeFollowsExampleConventions does the same for the planner's
// Kustomize base and overlay.
func TestKustomizeFollowsExampleConventions(t *testing.T) {
	target := "clusters/production/apps/api"
	plan, err := planner.Parse(intents[3].intent, planner.Hints{TargetPath: target, Format: "kustomize"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	files, err := plan.Files("kustomize")
	if err != nil {
		t.Skipf("the planner writes no kustomize yet: %v", err)
	}
	for i := range files {
		files[i].Path = target + "/" + files[i].Path
	}
	vars := genconfig.Vars{Env: plan.Environment, App: plan.App, Component: plan.Component()}
	ws, fixed, findings := pipeline(t, target, files, vars)
	for _, f := range open(findings) {
		t.Errorf("unfixed: %s", f)
	}
	var manifests []workspace.File
	for _, f := range fixed {
		if strings.Contains(f.Path, "/base/") && !strings.HasSuffix(f.Path, "kustomization.yaml") {
			manifests = append(manifests, f)
		}
	}
	checkReferences(t, manifests)
	applyAndBuild(t, ws, fixed, "clusters/production/apps", "name: production-api")
	cfg, _ := genconfig.FromWorkspace(ws)
	again, err := conventions.Check(cfg, vars, manifests)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		t.Errorf("after Apply, Check finds: %s", f)
	}
}

// TestModelAnswerFixed feeds files that break every convention on purpose,
// as a careless model would write them, and checks they come out renamed,
// labelled, annotated and namespaced, with every reference following.
func TestModelAnswerFixed(t *testing.T) {
	target := "clusters/production/apps/shop"
	files := []workspace.File{
		{Path: target + "/deployment.yaml", Content: []byte(modelDeployment)},
		{Path: target + "/service.yaml", Content: []byte(modelService)},
	}
	ws, fixed, findings := pipeline(t, target, files, genconfig.Vars{Env: "production", App: "shop"})
	for _, f := range open(findings) {
		t.Errorf("unfixed: %s", f)
	}
	var renamed int
	for _, f := range findings {
		if f.Rule == conventions.RuleNaming && strings.Contains(f.Message, "renamed") {
			renamed++
		}
	}
	if renamed != 5 {
		t.Errorf("got %d renames, want 5 (Deployment, Service, ConfigMap, Secret, ServiceAccount)", renamed)
	}
	out := string(fileContent(fixed, target+"/deployment.yaml"))
	for _, want := range []string{"# The web tier of the shop.", "name: production-shop-settings", "secretName: production-shop-tls", "serviceAccountName: production-shop", "owner: payments@acme.io", "namespace: payments-production"} {
		if !strings.Contains(out, want) {
			t.Errorf("deployment.yaml lacks %q:\n%s", want, out)
		}
	}
	objects := renderAll(t, fixed, "payments-production", "shop")
	checkReferences(t, objects)
	cfg, _ := genconfig.FromWorkspace(ws)
	again, err := conventions.Check(cfg, genconfig.Vars{Env: "production", App: "shop"}, objects)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		t.Errorf("after Apply, Check finds: %s", f)
	}
	applyAndBuild(t, ws, fixed, "clusters/production/apps", "name: production-shop-web")
}

const modelDeployment = `# The web tier of the shop.
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-settings
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Secret
metadata:
  name: Shop_TLS
type: kubernetes.io/tls
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels:
    app: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      serviceAccountName: shop # its own identity
      containers:
        - name: web
          image: ghcr.io/acme/shop:1.0.0
          envFrom:
            - configMapRef:
                name: shop-settings
          volumeMounts:
            - name: tls
              mountPath: /tls
      volumes:
        - name: tls
          secret:
            secretName: Shop_TLS
`

const modelService = `apiVersion: v1
kind: Service
metadata:
  name: shop-web
spec:
  selector:
    app: shop
  ports:
    - port: 80
      targetPort: 8080
`

func open(fs []validators.Finding) []validators.Finding {
	var out []validators.Finding
	for _, f := range fs {
		if !f.Fixed {
			out = append(out, f)
		}
	}
	return out
}

func fileContent(files []workspace.File, p string) []byte {
	for _, f := range files {
		if f.Path == p {
			return f.Content
		}
	}
	return nil
}

// renderAll renders every chart and collects every manifest outside
// charts (kustomization files left out).
func renderAll(t *testing.T, files []workspace.File, ns, release string) []workspace.File {
	t.Helper()
	r, err := helmchart.New(helmchart.Options{Namespace: ns, ReleaseName: release})
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string][]workspace.File{}
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			roots[path.Dir(f.Path)] = nil
		}
	}
	var out []workspace.File
	for _, f := range files {
		inChart := false
		for root := range roots {
			if rel, ok := strings.CutPrefix(f.Path, root+"/"); ok {
				roots[root] = append(roots[root], workspace.File{Path: rel, Content: f.Content})
				inChart = strings.Contains(rel, "/")
			}
		}
		if !inChart && strings.HasSuffix(f.Path, ".yaml") && !strings.HasSuffix(f.Path, "kustomization.yaml") && path.Base(f.Path) != "Chart.yaml" && path.Base(f.Path) != "values.yaml" {
			out = append(out, f)
		}
	}
	for root, chart := range roots {
		res, err := r.Render(context.Background(), chart)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Messages {
			if m.Level == helmchart.Error {
				t.Fatalf("render %s: %s", root, m.Text)
			}
		}
		for _, m := range res.Manifests {
			out = append(out, workspace.File{Path: root + "/" + m.Path, Content: m.Content})
		}
	}
	return out
}

type obj struct {
	kind, name string
	body       map[string]any
}

// checkReferences fails on every reference by name (volumes, env, service
// accounts, serviceName, HPA targets, Ingress backends) to an object of
// the generation that does not exist, and on every Service and PDB
// selector that matches no pod template.
func checkReferences(t *testing.T, files []workspace.File) {
	t.Helper()
	var objs []obj
	have := map[string]bool{}
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(f.Content))
		for {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if m == nil {
				continue
			}
			o := obj{kind: str(m, "kind"), name: str(m, "metadata", "name"), body: m}
			objs = append(objs, o)
			have[o.kind+"/"+o.name] = true
		}
	}
	external := map[string]bool{} // objects the charts expect to exist (auth Secrets)
	for _, o := range objs {
		var pod map[string]any
		var tmplLabels map[string]any
		switch o.kind {
		case "Deployment", "StatefulSet":
			pod = mp(o.body, "spec", "template", "spec")
		case "CronJob":
			pod = mp(o.body, "spec", "jobTemplate", "spec", "template", "spec")
		case "HorizontalPodAutoscaler":
			want := str(o.body, "spec", "scaleTargetRef", "kind") + "/" + str(o.body, "spec", "scaleTargetRef", "name")
			if !have[want] {
				t.Errorf("%s/%s: scale target %s does not exist", o.kind, o.name, want)
			}
		case "Ingress":
			for _, r := range list(mp(o.body, "spec"), "rules") {
				for _, p := range list(mp(r.(map[string]any), "http"), "paths") {
					svc := str(p.(map[string]any), "backend", "service", "name")
					if !have["Service/"+svc] {
						t.Errorf("Ingress/%s: backend Service %s does not exist", o.name, svc)
					}
				}
			}
		case "Service", "PodDisruptionBudget":
			sel := mp(o.body, "spec", "selector")
			if o.kind == "PodDisruptionBudget" {
				sel = mp(o.body, "spec", "selector", "matchLabels")
			}
			if len(sel) > 0 && !selects(objs, sel) {
				t.Errorf("%s/%s: selector %v matches no pod template", o.kind, o.name, sel)
			}
		}
		_ = tmplLabels
		if pod == nil {
			continue
		}
		if sa := str(pod, "serviceAccountName"); sa != "" && sa != "default" && !have["ServiceAccount/"+sa] {
			t.Errorf("%s/%s: ServiceAccount %s does not exist", o.kind, o.name, sa)
		}
		if o.kind == "StatefulSet" {
			if svc := str(o.body, "spec", "serviceName"); !have["Service/"+svc] {
				t.Errorf("StatefulSet/%s: serviceName %s does not exist", o.name, svc)
			}
		}
		for _, v := range list(pod, "volumes") {
			vm := v.(map[string]any)
			if cm := str(vm, "configMap", "name"); cm != "" && !have["ConfigMap/"+cm] {
				t.Errorf("%s/%s: ConfigMap %s does not exist", o.kind, o.name, cm)
			}
			if s := str(vm, "secret", "secretName"); s != "" && !have["Secret/"+s] {
				external[s] = true
			}
		}
		for _, c := range list(pod, "containers") {
			for _, e := range list(c.(map[string]any), "envFrom") {
				if cm := str(e.(map[string]any), "configMapRef", "name"); cm != "" && !have["ConfigMap/"+cm] {
					t.Errorf("%s/%s: envFrom ConfigMap %s does not exist", o.kind, o.name, cm)
				}
			}
		}
	}
	if len(external) > 0 {
		t.Logf("Secrets expected to exist outside the generation: %v", external)
	}
}

func selects(objs []obj, sel map[string]any) bool {
	for _, o := range objs {
		var labels map[string]any
		switch o.kind {
		case "Deployment", "StatefulSet":
			labels = mp(o.body, "spec", "template", "metadata", "labels")
		default:
			continue
		}
		ok := true
		for k, v := range sel {
			if labels[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func mp(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}

func str(m map[string]any, keys ...string) string {
	s, _ := mp(m, keys[:len(keys)-1]...)[keys[len(keys)-1]].(string)
	return s
}

func list(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}

// applyAndBuild writes the example repository to a git work tree, applies
// the patch from the workspace to files with git apply, and builds the
// parent kustomization with krusty, whose output must hold want.
func applyAndBuild(t *testing.T, ws, files []workspace.File, parent, want string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(exampleRepo)); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	p := patch.Unified(ws, files)
	if err := os.WriteFile(filepath.Join(dir, "aiden.patch"), p, 0o644); err != nil {
		t.Fatal(err)
	}
	git("apply", "--check", "aiden.patch")
	git("apply", "aiden.patch")
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(dir, parent))
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", parent, err, fileContent(files, parent+"/kustomization.yaml"))
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("kustomize build %s does not hold the new app:\n%s", parent, out)
	}
}

// TestPreferredChart generates Redis where the example config prefers the
// upstream Bitnami chart: a HelmRelease and HelmRepository that follow the
// conventions, reference each other after the renames, and build.
func TestPreferredChart(t *testing.T) {
	target := "clusters/production/apps/redis"
	ws, err := workspace.Load(exampleRepo, target)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.Parse(intents[0].intent, planner.Hints{TargetPath: target})
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cfg.Chart(plan.Component())
	if !ok {
		t.Fatalf("the example config names no chart for %s", plan.Component())
	}
	files, err := plan.HelmRelease(planner.Upstream{Repository: c.Repository, Chart: c.Chart, Version: c.Version}, planner.ChartSource{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		files[i].Path = target + "/" + files[i].Path
	}
	vars := genconfig.Vars{Env: plan.Environment, App: plan.App, Component: plan.Component()}
	ws, fixed, findings := pipeline(t, target, files, vars)
	for _, f := range open(findings) {
		t.Errorf("unfixed: %s", f)
	}
	hr := string(fileContent(fixed, target+"/helmrelease.yaml"))
	for _, want := range []string{"name: production-redis", "namespace: payments-production", "owner: payments@acme.io", `version: "19.6.x"`, "# Flux picks the newest chart version"} {
		if !strings.Contains(hr, want) {
			t.Errorf("helmrelease.yaml lacks %q:\n%s", want, hr)
		}
	}
	// sourceRef follows the HelmRepository's rename.
	if !strings.Contains(hr, "kind: HelmRepository\n        name: production-redis") {
		t.Errorf("sourceRef does not follow the rename:\n%s", hr)
	}
	validate(t, fixed[:len(fixed)-1])
	applyAndBuild(t, ws, fixed, "clusters/production/apps", "url: https://charts.bitnami.com/bitnami")
}

// validate runs aiden's render, lint and strict schema checks (Flux kinds
// included) on the generated files: the fixes must keep them valid.
func validate(t *testing.T, files []workspace.File) {
	t.Helper()
	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Validate(context.Background(), files, validators.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Severity >= validators.SeverityWarning {
			t.Errorf("validate: %s", f)
		}
	}
}

// TestExampleManifestsFollowTheConfig keeps the example repository's
// few-shot manifests in line with its own generation config.
func TestExampleManifestsFollowTheConfig(t *testing.T) {
	ws, err := workspace.Load(exampleRepo, "clusters/production/apps/podinfo")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := genconfig.FromWorkspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	var examples []workspace.File
	for _, f := range ws {
		if strings.HasPrefix(f.Path, cfg.ExamplesDir()+"/") {
			examples = append(examples, f)
		}
	}
	if len(examples) < 3 {
		t.Fatalf("got %d example manifests", len(examples))
	}
	fs, err := conventions.Check(cfg, genconfig.Vars{Env: "production", App: "podinfo"}, examples)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("%s", f)
	}
}
