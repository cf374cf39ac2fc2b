package policy

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The Kyverno corpus test (kyvernotest_test.go) holds the evaluator to
// Kyverno's published expectations; these tests cover what the corpus does
// not exercise: autogen's annotation, context variables, foreach indexes,
// the images variable, $(...) references and the condition operators.

func mustPolicy(t *testing.T, doc string) *KyvernoPolicy {
	t.Helper()
	ps, err := ParseKyverno("p.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 {
		t.Fatalf("parsed %d policies, want 1", len(ps))
	}
	return ps[0]
}

func mustObject(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func ruleNames(p *KyvernoPolicy) []string {
	var out []string
	for _, r := range p.Rules {
		out = append(out, r.Name+"="+strings.Join(r.Match.kinds(), "+"))
	}
	return out
}

const hostNetworkPolicy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-host-network
  annotations:
    ANNOTATION
spec:
  validationFailureAction: Enforce
  rules:
  - name: host-network
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "{{ request.object.metadata.name }} must not use the host network"
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.hostNetwork || false }}"
            operator: Equals
            value: true
`

func TestAutogen(t *testing.T) {
	for _, tc := range []struct {
		annotation string
		want       string
	}{
		{"x: y", "host-network=Pod autogen-host-network=apps/v1/DaemonSet+apps/v1/Deployment+batch/v1/Job+apps/v1/ReplicaSet+v1/ReplicationController+apps/v1/StatefulSet autogen-cronjob-host-network=batch/v1/CronJob"},
		{AutogenAnnotation + ": Deployment,CronJob", "host-network=Pod autogen-host-network=apps/v1/Deployment autogen-cronjob-host-network=batch/v1/CronJob"},
		{AutogenAnnotation + ": StatefulSet", "host-network=Pod autogen-host-network=apps/v1/StatefulSet"},
		{AutogenAnnotation + ": none", "host-network=Pod"},
	} {
		p := mustPolicy(t, strings.Replace(hostNetworkPolicy, "ANNOTATION", tc.annotation, 1))
		if got := strings.Join(ruleNames(p), " "); got != tc.want {
			t.Errorf("%s: rules %s, want %s", tc.annotation, got, tc.want)
		}
	}
}

func TestAutogenRewritesExpressions(t *testing.T) {
	p := mustPolicy(t, strings.Replace(hostNetworkPolicy, "ANNOTATION", "x: y", 1))
	deploy := mustObject(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {name: web-pod}
    spec:
      hostNetwork: true
      containers: [{name: web, image: nginx}]
`)
	rs := p.Apply(deploy)
	if len(rs) != 1 || rs[0].Rule != "autogen-host-network" || rs[0].Status != StatusFail {
		t.Fatalf("results %+v, want autogen-host-network to fail", rs)
	}
	// request.object.metadata became the Pod template's metadata.
	if rs[0].Message != "web-pod must not use the host network" {
		t.Errorf("message %q", rs[0].Message)
	}
	cron := mustObject(t, `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: busybox}]
`)
	rs = p.Apply(cron)
	if len(rs) != 1 || rs[0].Rule != "autogen-cronjob-host-network" || rs[0].Status != StatusPass {
		t.Fatalf("results %+v, want autogen-cronjob-host-network to pass", rs)
	}
}

func TestContextForeachImagesReferences(t *testing.T) {
	p := mustPolicy(t, `apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: checks, namespace: shop}
spec:
  rules:
  - name: allowed-registry
    match: {resources: {kinds: [Pod]}}
    context:
    - name: allowed
      variable:
        jmesPath: request.object.metadata.annotations."allowed-registry"
        default: ghcr.io
    validate:
      message: "container {{ elementIndex }} comes from {{ element.image }}, not {{ allowed }}"
      foreach:
      - list: request.object.spec.containers
        deny:
          conditions:
            all:
            - key: "{{ images.containers.\"{{element.name}}\".registry }}"
              operator: NotEquals
              value: "{{ allowed }}"
  - name: labels-agree
    match: {resources: {kinds: [Pod]}}
    validate:
      message: label a must be the pattern's value for b
      pattern:
        metadata:
          labels:
            a: "$(./../b)"
            b: x
`)
	pod := func(ann, image, a string) map[string]any {
		return mustObject(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
  labels: {a: `+a+`, b: x}
`+ann+`
spec:
  containers:
  - {name: ok, image: ghcr.io/acme/ok:1}
  - {name: other, image: `+image+`}
`)
	}
	results := func(obj map[string]any) map[string]RuleResult {
		out := map[string]RuleResult{}
		for _, r := range p.Apply(obj) {
			out[r.Rule] = r
		}
		return out
	}
	rs := results(pod("", "ghcr.io/acme/two:2", "x"))
	if rs["allowed-registry"].Status != StatusPass || rs["labels-agree"].Status != StatusPass {
		t.Errorf("all from ghcr.io, labels equal: %+v", rs)
	}
	rs = results(pod("", "nginx:1.27", "y"))
	if r := rs["allowed-registry"]; r.Status != StatusFail || r.Message != "container 1 comes from nginx:1.27, not ghcr.io" {
		t.Errorf("docker.io image: %+v", r)
	}
	if rs["labels-agree"].Status != StatusFail {
		t.Errorf("label a is not the value the reference names: %+v", rs["labels-agree"])
	}
	rs = results(pod("  annotations: {allowed-registry: docker.io}", "nginx:1.27", "x"))
	if r := rs["allowed-registry"]; r.Status != StatusFail || !strings.Contains(r.Message, "container 0 comes from ghcr.io/acme/ok:1, not docker.io") {
		t.Errorf("context from the annotation: %+v", r)
	}
	other := mustObject(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: elsewhere}\nspec: {containers: [{name: c, image: nginx}]}\n")
	if rs := p.Apply(other); len(rs) != 0 {
		t.Errorf("a namespaced Policy applied outside its namespace: %+v", rs)
	}
}

func TestConditionOperators(t *testing.T) {
	for _, tc := range []struct {
		op         string
		key, value any
		want       bool
	}{
		{"Equals", "nginx:1.27", "nginx:*", true},
		{"Equals", 3.0, "3", true},
		{"Equals", "1Gi", "1024Mi", true},
		{"Equals", "1h", "60m", true},
		{"NotEquals", "a", "b", true},
		{"NotEquals", "a", "?", false},
		{"In", "b", []any{"a", "b"}, true},
		{"NotIn", "c", []any{"a", "b"}, true},
		{"AnyIn", []any{"x", "b"}, []any{"a", "b"}, true},
		{"AllIn", []any{"x", "b"}, []any{"a", "b"}, false},
		{"AnyNotIn", []any{"x", "b"}, []any{"a", "b"}, true},
		{"AllNotIn", []any{"x", "y"}, []any{"a", "b"}, true},
		{"AnyIn", []any{"8080"}, "8000-9000", true},
		{"AnyIn", "22", "8000-9000", false},
		{"AllNotIn", []any{"22", "80"}, "8000-9000", true},
		{"GreaterThan", "1Gi", "512Mi", true},
		{"GreaterThan", 2.0, "10", false},
		{"LessThanOrEquals", "1.2.3", "1.10.0", true},
		{"DurationLessThan", "30m", "1h", true},
		{"DurationGreaterThanOrEquals", 3600.0, "1h", true},
	} {
		eval := operators[strings.ToLower(tc.op)]
		if got := eval(tc.op, tc.key, tc.value); got != tc.want {
			t.Errorf("%v %s %v = %v, want %v", tc.key, tc.op, tc.value, got, tc.want)
		}
	}
}

func TestUnknownOperatorIsAnError(t *testing.T) {
	p := mustPolicy(t, `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bad}
spec:
  rules:
  - name: r
    match: {resources: {kinds: [ConfigMap]}}
    preconditions:
      all:
      - {key: "{{ request.object.metadata.name }}", operator: Resembles, value: x}
    validate:
      pattern: {data: {a: "?*"}}
`)
	rs := p.Apply(mustObject(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"))
	if len(rs) != 1 || rs[0].Status != StatusError || !strings.Contains(rs[0].Message, `unknown condition operator "Resembles"`) {
		t.Errorf("results %+v", rs)
	}
}

func TestParseImage(t *testing.T) {
	for _, tc := range []struct{ in, registry, path, tag, digest string }{
		{"nginx", "docker.io", "nginx", "latest", ""},
		{"library/nginx:1.27", "docker.io", "library/nginx", "1.27", ""},
		{"ghcr.io/acme/api:1.4.2", "ghcr.io", "acme/api", "1.4.2", ""},
		{"localhost:5000/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "localhost:5000", "x", "", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	} {
		info, err := parseImage(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		tag, _ := info["tag"].(string)
		digest, _ := info["digest"].(string)
		if info["registry"] != tc.registry || info["path"] != tc.path || tag != tc.tag || digest != tc.digest {
			t.Errorf("%s: %v", tc.in, info)
		}
	}
	for _, bad := range []string{"Nginx:1", "nginx:bad tag", "x@sha256:short"} {
		if _, err := parseImage(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
