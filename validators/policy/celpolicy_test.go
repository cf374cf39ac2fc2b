package policy

import (
	"testing"
)

const celPolicies = `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: require-team
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  matchConditions:
  - name: not-system
    expression: "!object.metadata.name.startsWith('system-')"
  variables:
  - name: team
    expression: "object.metadata.?labels.team.orValue('')"
  validations:
  - expression: "variables.team != ''"
    messageExpression: "'deployment ' + object.metadata.name + ' has no team label'"
  auditAnnotations:
  - key: team
    valueExpression: "variables.team"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: max-replicas
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= int(params.data.max)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: max-replicas-prod
spec:
  policyName: max-replicas
  validationActions: [Deny]
  paramRef: {name: limits, namespace: policy-params}
  matchResources:
    namespaceSelector:
      matchLabels: {env: prod}
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: no-host-path
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  validations:
  - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
    message: hostPath volumes are forbidden
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: live-lookup
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  validations:
  - expression: "resource.get('v1', 'configmaps', 'x', 'y').data.ok == 'true'"
`

func celDeployment(name, ns string, replicas int, labels map[string]any) map[string]any {
	md := map[string]any{"name": name, "namespace": ns}
	if labels != nil {
		md["labels"] = labels
	}
	return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md,
		"spec": map[string]any{"replicas": float64(replicas), "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "app", "image": "nginx:1.27"}},
			"volumes":    []any{map[string]any{"name": "h", "hostPath": map[string]any{"path": "/"}}},
		}}}}
}

func celByName(t *testing.T) map[string]*CELPolicy {
	t.Helper()
	ps, bs, err := ParseCEL("policies/cel.yaml", []byte(celPolicies))
	if err != nil {
		t.Fatal(err)
	}
	LinkBindings(ps, bs)
	out := map[string]*CELPolicy{}
	for _, p := range ps {
		out[p.Name] = p
	}
	if len(out) != 4 || len(out["max-replicas"].Bindings) != 1 {
		t.Fatalf("parsed %d policies, bindings %v", len(out), out["max-replicas"].Bindings)
	}
	return out
}

func one(t *testing.T, rs []RuleResult) RuleResult {
	t.Helper()
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}

func TestValidatingPolicyCEL(t *testing.T) {
	p := celByName(t)["require-team"]
	r := one(t, p.Apply(celDeployment("web", "shop", 2, nil), nil))
	if r.Status != StatusFail || r.Message != "deployment web has no team label" {
		t.Errorf("unlabelled: %+v", r)
	}
	r = one(t, p.Apply(celDeployment("web", "shop", 2, map[string]any{"team": "payments"}), nil))
	if r.Status != StatusPass || r.Annotations["team"] != "payments" {
		t.Errorf("labelled: %+v", r)
	}
	if rs := p.Apply(celDeployment("system-web", "shop", 2, nil), nil); len(rs) != 0 {
		t.Errorf("match condition excludes system-*: %+v", rs)
	}
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}}
	if rs := p.Apply(pod, nil); len(rs) != 0 {
		t.Errorf("a Pod is not a deployment: %+v", rs)
	}
	first := p.programs()[0]
	p.Apply(celDeployment("again", "shop", 1, nil), nil)
	if p.programs()[0] != first {
		t.Error("programs were compiled again")
	}
}

func TestValidatingAdmissionPolicyBindingParams(t *testing.T) {
	p := celByName(t)["max-replicas"]
	cluster := &Cluster{
		Namespaces: map[string]map[string]string{"shop": {"env": "prod"}, "lab": {"env": "dev"}},
		Objects: []map[string]any{{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "limits", "namespace": "policy-params"}, "data": map[string]any{"max": "3"}}},
	}
	r := one(t, p.Apply(celDeployment("web", "shop", 5, nil), cluster))
	if r.Status != StatusFail || r.Message != "failed expression: object.spec.replicas <= int(params.data.max)" || r.Path != "/spec/replicas" || r.Rule != "max-replicas-prod" {
		t.Errorf("5 replicas in prod: %+v", r)
	}
	if r := one(t, p.Apply(celDeployment("web", "shop", 3, nil), cluster)); r.Status != StatusPass {
		t.Errorf("3 replicas in prod: %+v", r)
	}
	if rs := p.Apply(celDeployment("web", "lab", 9, nil), cluster); len(rs) != 0 {
		t.Errorf("the binding selects prod namespaces only: %+v", rs)
	}
	r = one(t, p.Apply(celDeployment("web", "shop", 1, nil), &Cluster{Namespaces: cluster.Namespaces}))
	if r.Status != StatusFail || r.Message == "" {
		t.Errorf("missing params deny by default: %+v", r)
	}
}

func TestCELAutogenAndNeedsCluster(t *testing.T) {
	ps := celByName(t)
	r := one(t, ps["no-host-path"].Apply(celDeployment("web", "shop", 1, nil), nil))
	if r.Status != StatusFail || r.Message != "hostPath volumes are forbidden" {
		t.Errorf("autogen for Deployment: %+v", r)
	}
	r = one(t, ps["live-lookup"].Apply(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}}, nil))
	if r.Status != StatusNeedsCluster {
		t.Errorf("resource.Get needs a cluster: %+v", r)
	}
}

func TestKyvernoValidateCEL(t *testing.T) {
	ps, err := ParseKyverno("p.yaml", []byte(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-latest
spec:
  rules:
  - name: no-latest
    match:
      any:
      - resources:
          kinds: [Pod]
    celPreconditions:
    - name: not-kube-system
      expression: "request.namespace != 'kube-system'"
    validate:
      cel:
        expressions:
        - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
          message: images must not use latest
`))
	if err != nil {
		t.Fatal(err)
	}
	cron := map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": map[string]any{"name": "c", "namespace": "x"},
		"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "a", "image": "busybox:latest"}}}}}}}}
	rs := ps[0].Apply(cron)
	if len(rs) != 1 || rs[0].Rule != "autogen-cronjob-no-latest" || rs[0].Status != StatusFail || rs[0].Message != "images must not use latest" {
		t.Errorf("cronjob: %+v", rs)
	}
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "kube-system"},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "a", "image": "busybox:latest"}}}}
	if rs := ps[0].Apply(pod); len(rs) != 1 || rs[0].Status != StatusSkip {
		t.Errorf("celPreconditions: %+v", rs)
	}
}

func TestMutatingPolicy(t *testing.T) {
	ps, _, err := ParseCEL("m.yaml", []byte(`apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata:
  name: defaults
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [deployments]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{metadata: Object.metadata{labels: {"managed": "aiden"}}}
  - patchType: JSONPatch
    jsonPatch:
      expression: >
        [JSONPatch{op: "replace", path: "/spec/replicas", value: 2}]
`))
	if err != nil {
		t.Fatal(err)
	}
	r := one(t, ps[0].Apply(celDeployment("web", "shop", 5, map[string]any{"app": "web"}), nil))
	if r.Status != StatusPass {
		t.Fatalf("mutation: %+v", r)
	}
	md := r.Patched["metadata"].(map[string]any)
	lbls := md["labels"].(map[string]any)
	if lbls["managed"] != "aiden" || lbls["app"] != "web" || r.Patched["spec"].(map[string]any)["replicas"] != int64(2) {
		t.Errorf("patched: %v", r.Patched)
	}
}

func TestCELPath(t *testing.T) {
	for expr, want := range map[string]string{
		"object.spec.replicas <= 3":                       "/spec/replicas",
		"object.spec.containers.all(c, has(c.resources))": "/spec/containers",
		"has(object.metadata.labels['app'])":              "/metadata/labels/app",
		"oldObject.spec.x == 1":                           "",
	} {
		if got := celPath(expr); got != want {
			t.Errorf("celPath(%q) = %q, want %q", expr, got, want)
		}
	}
}
