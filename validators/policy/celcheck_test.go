package policy

import (
	"context"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// TestEngineCELPoliciesAndExceptions: the engine applies an ai-enforce
// ValidatingPolicy from policies/, leaves a policy without the annotation
// alone, honours a PolicyException from the same folder, and counts a
// rule that needs a cluster apart.
func TestEngineCELPoliciesAndExceptions(t *testing.T) {
	ws := []workspace.File{
		{Path: "policies/team.yaml", Content: []byte(`apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: require-team
  annotations: {stackgen.io/ai-enforce: "true"}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "'team' in object.metadata.?labels.orValue({})"
    message: a team label is required
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: not-enforced
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "false"
---
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: signed-images
  annotations: {stackgen.io/ai-enforce: "true"}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  attestors:
  - name: cosign
    cosign: {key: {data: "-----BEGIN PUBLIC KEY-----"}}
`)},
		{Path: "policies/exception.yaml", Content: []byte(`apiVersion: policies.kyverno.io/v1alpha1
kind: PolicyException
metadata:
  name: legacy-apps
spec:
  policyRefs:
  - {name: require-team, kind: ValidatingPolicy}
  matchConditions:
  - name: legacy
    expression: "object.metadata.namespace == 'legacy'"
`)},
	}
	eng, err := New(context.Background(), ws, Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs := []workspace.File{{Path: "out/apps.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {replicas: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: old, namespace: legacy}
spec: {replicas: 1}
`)}}
	fs, sum, err := eng.Check(context.Background(), objs, nil)
	if err != nil {
		t.Fatal(err)
	}
	team, signed := 0, 0
	for _, f := range fs {
		switch f.Rule {
		case "kyverno/require-team":
			team++
			if f.Resource != "Deployment/shop/web" || f.Severity != Warning || f.Message != "a team label is required" || f.Line != 1 {
				t.Errorf("require-team finding %+v, want a warning (Audit) on shop/web", f)
			}
		case "kyverno/signed-images":
			signed++
		case "kyverno/not-enforced":
			t.Errorf("a policy without ai-enforce was applied: %+v", f)
		}
	}
	if team != 1 || signed != 2 || sum.NeedsCluster != 2 || sum.CELPolicies != 2 {
		t.Errorf("team %d, signed %d, summary %+v; want 1, 2, 2 needing a cluster, 2 CEL policies:\n%+v", team, signed, sum, fs)
	}
}

// TestEngineUnscoredKyvernoPolicy: a failure of a policy annotated
// policies.kyverno.io/scored: "false" is a warning, as Kyverno reports it.
func TestEngineUnscoredKyvernoPolicy(t *testing.T) {
	ws := []workspace.File{{Path: "policies/p.yaml", Content: []byte(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-latest
  annotations: {stackgen.io/ai-enforce: "true", policies.kyverno.io/scored: "false"}
spec:
  validationFailureAction: Enforce
  rules:
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: no latest
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
`)}}
	eng, err := New(context.Background(), ws, Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs := []workspace.File{{Path: "pod.yaml", Content: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: 'nginx:latest'}]\n")}}
	fs, _, err := eng.Check(context.Background(), objs, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		if f.Rule == "kyverno/no-latest/no-latest" {
			n++
			if f.Severity != Warning {
				t.Errorf("unscored failure severity %s, want warning", f.Severity)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d no-latest findings, want 1: %+v", n, fs)
	}
}
