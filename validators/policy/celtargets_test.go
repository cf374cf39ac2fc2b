package policy

import "testing"

// TestCELMutateExistingTargets checks that a mutate-existing
// MutatingPolicy patches the given targets its targetMatchConstraints
// select (by resource rules, or by an expression that looks them up), and
// not the trigger.
func TestCELMutateExistingTargets(t *testing.T) {
	policy := func(targets string) string {
		return `apiVersion: policies.kyverno.io/v1beta1
kind: MutatingPolicy
metadata:
  name: label-cms
spec:
  evaluation:
    mutateExisting:
      enabled: true
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["deployments"]
  targetMatchConstraints:
` + targets + `
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{metadata: Object.metadata{labels: Object.metadata.labels{touched: "yes"}}}
`
	}
	cm := func(name string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": "apps"}}
	}
	secret := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "namespace": "apps"}}
	deploy := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "apps"}}
	cases := []struct {
		name, targets string
		want          []string
	}{
		{"resource rules", `    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["configmaps"]`, []string{"a", "b"}},
		{"expression", `    expression: resource.get("v1", "configmaps", object.metadata.namespace, "b")`, []string{"b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, _, err := ParseCEL("p.yaml", []byte(policy(c.targets)))
			if err != nil || len(ps) != 1 {
				t.Fatalf("parse: %v (%d policies)", err, len(ps))
			}
			objs := []map[string]any{cm("a"), cm("b"), secret}
			cl := &Cluster{Targets: objs, Objects: objs, Complete: true}
			rs := ps[0].Apply(deploy, cl)
			if len(rs) != 1 || rs[0].Status != StatusPass {
				t.Fatalf("results %+v, want one pass", rs)
			}
			var got []string
			for _, tg := range rs[0].Targets {
				name, _ := objectName(tg)
				labels, _ := tg["metadata"].(map[string]any)["labels"].(map[string]any)
				if labels["touched"] != "yes" {
					t.Errorf("target %s not patched: %v", name, tg)
				}
				got = append(got, name)
			}
			if len(got) != len(c.want) || got[0] != c.want[0] {
				t.Errorf("patched %v, want %v", got, c.want)
			}
		})
	}
}
