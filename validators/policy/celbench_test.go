package policy

import (
	"testing"
)

// The same four Pod rules, as Kyverno patterns (a ClusterPolicy) and as
// CEL (a ValidatingPolicy); both are extended to Deployments by autogen.
const (
	benchPatternPolicy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pod-rules}
spec:
  rules:
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: images must not use latest
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
  - name: non-root
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: runAsNonRoot is required
      pattern: {spec: {securityContext: {runAsNonRoot: true}}}
  - name: memory-limit
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: a memory limit is required
      pattern: {spec: {containers: [{resources: {limits: {memory: "?*"}}}]}}
  - name: no-host-path
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: hostPath volumes are forbidden
      pattern: {spec: {=(volumes): [{X(hostPath): "null"}]}}
`
	benchCELPolicy = `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: pod-rules}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: images must not use latest
  - expression: "object.spec.?securityContext.?runAsNonRoot.orValue(false) == true"
    message: runAsNonRoot is required
  - expression: "object.spec.containers.all(c, c.?resources.?limits.?memory.orValue('') != '')"
    message: a memory limit is required
  - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
    message: hostPath volumes are forbidden
`
)

func benchObjects(b *testing.B) []Object {
	var objs []Object
	for _, f := range benchManifests(1000) {
		o, err := DecodeObjects(f.Path, f.Content)
		if err != nil {
			b.Fatal(err)
		}
		objs = append(objs, o...)
	}
	return objs
}

// BenchmarkPodRulesPatterns1000 applies the four rules written as Kyverno
// patterns to 1,000 Deployments.
func BenchmarkPodRulesPatterns1000(b *testing.B) {
	ps, err := ParseKyverno("p.yaml", []byte(benchPatternPolicy))
	if err != nil {
		b.Fatal(err)
	}
	objs := benchObjects(b)
	fails := 0
	b.ResetTimer()
	for b.Loop() {
		fails = 0
		for _, o := range objs {
			for _, r := range ps[0].Apply(o.Content) {
				if r.Status == StatusFail {
					fails++
				}
			}
		}
	}
	b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
	if fails == 0 {
		b.Fatal("no rule failed")
	}
}

// BenchmarkPodRulesCEL1000 applies the same four rules written as a CEL
// ValidatingPolicy (compiled once) to 1,000 Deployments.
func BenchmarkPodRulesCEL1000(b *testing.B) {
	ps, _, err := ParseCEL("p.yaml", []byte(benchCELPolicy))
	if err != nil {
		b.Fatal(err)
	}
	objs := benchObjects(b)
	fails := 0
	b.ResetTimer()
	for b.Loop() {
		fails = 0
		for _, o := range objs {
			for _, r := range ps[0].Apply(o.Content, nil) {
				if r.Status == StatusFail {
					fails++
				}
			}
		}
	}
	b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
	if fails == 0 {
		b.Fatal("no rule failed")
	}
}

// TestPodRulesAgree: the pattern and CEL forms of the benchmark's rules
// fail the same Deployments.
func TestPodRulesAgree(t *testing.T) {
	kp, err := ParseKyverno("p.yaml", []byte(benchPatternPolicy))
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := ParseCEL("p.yaml", []byte(benchCELPolicy))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, f := range benchManifests(4) {
		objs, err := DecodeObjects(f.Path, f.Content)
		if err != nil {
			t.Fatal(err)
		}
		o := objs[0].Content
		patternFail := false
		for _, r := range kp[0].Apply(o) {
			patternFail = patternFail || r.Status == StatusFail
		}
		cr := one(t, cp[0].Apply(o, nil))
		if (cr.Status == StatusFail) != patternFail {
			t.Errorf("%s: CEL %s (%s), patterns fail %v", f.Path, cr.Status, cr.Message, patternFail)
		}
		if patternFail {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d of 4 Deployments failed, want the 2 with :latest", failed)
	}
}
