package review

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators"
)

const riskBase = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: api}
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  clusterIP: 10.0.0.10
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Secret
metadata:
  name: api
  namespace: shop
stringData:
  password: old-value-1
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
  namespace: shop
spec:
  interval: 10m
  chart:
    spec:
      chart: redis
      version: 18.6.1
      sourceRef: {kind: HelmRepository, name: bitnami}
`

const riskDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: example.com/api:1.4.2
`

// Each change that commonly breaks production is flagged once, located
// where a person edits it; a Secret's values never show in the diff.
// Without the policy check, whose image-tag rule would say it, the
// unpinned image is a risk.
func TestRisks(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	r.write(map[string]string{"apps/shop/objects.yaml": riskBase, "apps/shop/deployment.yaml": riskDeployment})
	r.commit("base")
	head := riskBase
	for _, cut := range []string{"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"} {
		head = strings.Replace(head, cut, "", 1)
	}
	// The CRD and the PDB go, clusterIP and a secret value change, the
	// chart goes up a major version.
	crd := head[:strings.Index(head, "apiVersion: v1\nkind: Service")]
	head = strings.Replace(head, crd, "", 1)
	head = strings.Replace(head, "10.0.0.10", "10.0.0.11", 1)
	head = strings.Replace(head, "old-value-1", "new-value-2", 1)
	head = strings.Replace(head, "version: 18.6.1", "version: 19.0.0", 1)
	r.write(map[string]string{"apps/shop/objects.yaml": head})
	r.edit("apps/shop/deployment.yaml", "replicas: 2", "replicas: 0")
	r.edit("apps/shop/deployment.yaml", "example.com/api:1.4.2", "example.com/api:latest")

	rev := r.review("main")
	byRule := map[string][]validators.Finding{}
	for _, f := range rev.Risks {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	for rule, resource := range map[string]string{
		RuleNSDeleted:    "Namespace/shop",
		RuleCRDDeleted:   "CustomResourceDefinition/widgets.example.com",
		RulePDBRemoved:   "PodDisruptionBudget/shop/api",
		RuleImmutable:    "Service/shop/api",
		RuleReplicasZero: "Deployment/shop/api",
		RuleUnpinned:     "Deployment/shop/api",
		RuleMajorBump:    "HelmRelease/shop/redis",
	} {
		got := byRule[rule]
		if len(got) != 1 || got[0].Resource != resource {
			t.Errorf("%s: %v, want one about %s", rule, got, resource)
			continue
		}
		if want := "apps/shop/objects.yaml"; got[0].File != want && (resource != "Deployment/shop/api" || got[0].File != "apps/shop/deployment.yaml") {
			t.Errorf("%s: file %q, want the one that declared it", rule, got[0].File)
		}
	}
	if len(rev.Risks) != 7 {
		t.Errorf("%d risks, want 7: %v", len(rev.Risks), rev.Risks)
	}
	if f := byRule[RuleUnpinned]; len(f) == 1 && (f[0].File != "apps/shop/deployment.yaml" || f[0].Line != 16 || f[0].Path != "/spec/template/spec/containers/0/image") {
		t.Errorf("unpinned image at %s:%d %s, want apps/shop/deployment.yaml:16", f[0].File, f[0].Line, f[0].Path)
	}
	if f := byRule[RuleMajorBump]; len(f) == 1 && !strings.Contains(f[0].Message, "18.6.1 to 19.0.0") {
		t.Errorf("major bump message = %q", f[0].Message)
	}
	var md strings.Builder
	if err := Markdown(&md, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"old-value-1", "new-value-2"} {
		if strings.Contains(md.String(), secret) {
			t.Errorf("the review shows the Secret's value %q:\n%s", secret, md.String())
		}
	}
	if !strings.Contains(md.String(), "-   /stringData/password: (hidden)\n+   /stringData/password: (hidden)") {
		t.Errorf("the Secret's change is not shown hidden:\n%s", md.String())
	}
}

// A chart's dependency going up a major version in Chart.yaml is
// flagged at its line.
func TestChartDependencyMajorBump(t *testing.T) {
	r := chartRepo(t)
	r.edit("charts/web/Chart.yaml", "version: 18.1.0", "version: 20.0.1")
	rev := r.review("HEAD")
	if len(rev.Risks) != 1 {
		t.Fatalf("risks = %v, want the bump", rev.Risks)
	}
	f := rev.Risks[0]
	if f.Rule != RuleMajorBump || f.File != "charts/web/Chart.yaml" || f.Line != 6 || !strings.Contains(f.Message, "redis goes from 18.1.0 to 20.0.1") {
		t.Errorf("risk = %+v", f)
	}
}

// A comment fits GitHub's limit: the diff is shortened, saying so, and
// the marker stays first.
func TestCommentFitsLimit(t *testing.T) {
	rev := &Review{Base: "main", BaseCommit: "0123456789abcdef", Currency: "$"}
	u := UnitDiff{Environment: "clusters/production", Kind: UnitKustomize, Path: "clusters/production/apps"}
	for i := range 400 {
		u.Objects = append(u.Objects, ObjectChange{Object: "ConfigMap/shop/cm-" + strings.Repeat("x", i%7), Change: Changed,
			Fields: []FieldChange{{Path: "/data/key", Before: `"` + strings.Repeat("a", 200) + `"`, After: `"` + strings.Repeat("b", 200) + `"`}}})
	}
	rev.Units = []UnitDiff{u}
	var full, comment strings.Builder
	if err := Markdown(&full, rev, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&comment, rev, MarkdownOptions{Comment: true}); err != nil {
		t.Fatal(err)
	}
	if full.Len() <= CommentLimit {
		t.Fatalf("the test review is %d characters, not over the limit", full.Len())
	}
	c := comment.String()
	if len(c) > CommentLimit || !strings.HasPrefix(c, Marker+"\n") {
		t.Errorf("comment of %d characters, starting %q", len(c), c[:40])
	}
	if !strings.Contains(c, "Changed fields are counted, not listed") || !strings.Contains(c, "(1 field changed)") || !strings.Contains(c, "<details><summary>") {
		t.Errorf("comment does not say what it left out:\n%s", c[:2000])
	}
}

// A value that looks like a credential is hidden wherever it is: an env
// variable's value in a Deployment, read with the variable's name.
func TestCredentialHiddenInDiff(t *testing.T) {
	r := newRepo(t)
	r.noPolicy = true
	dep := riskDeployment + "          env:\n            - name: DB_PASSWORD\n              value: s3cr3t-Old-value-1\n            - name: LOG_LEVEL\n              value: info\n"
	r.write(map[string]string{"apps/shop/deployment.yaml": dep})
	r.commit("base")
	dep = strings.Replace(dep, "s3cr3t-Old-value-1", "n3w-Secret-value-2", 1)
	r.write(map[string]string{"apps/shop/deployment.yaml": strings.Replace(dep, "value: info", "value: debug", 1)})
	rev := r.review("main")
	if len(rev.Units) != 1 || len(rev.Units[0].Objects) != 1 {
		t.Fatalf("units = %+v", rev.Units)
	}
	o := rev.Units[0].Objects[0]
	if f := fieldOf(t, o, "/spec/template/spec/containers/0/env/0/value"); f.Before != Hidden || f.After != Hidden {
		t.Errorf("password field = %+v, want hidden", f)
	}
	if f := fieldOf(t, o, "/spec/template/spec/containers/0/env/1/value"); f.Before != `"info"` || f.After != `"debug"` {
		t.Errorf("log level field = %+v, want shown", f)
	}
}
