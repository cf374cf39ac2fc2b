package policy

import (
	"fmt"
	"testing"
)

// These tests hold the classic mutate rules to the patched objects
// Kyverno produces for the same policies (its engine semantics in
// pkg/engine/mutate): anchors, merge of containers by name, JSON patches
// and foreach with element variables.

const mutatePod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  containers:
  - name: app
    image: nginx:1.27
  - name: sidecar
    image: envoy:1.30
    imagePullPolicy: Always
  volumes:
  - name: cache
    emptyDir: {}
`

func mutatePolicy(mutate string) string {
	return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: m
spec:
  rules:
  - name: r
    match:
      any:
      - resources:
          kinds: [Pod]
    mutate:
` + mutate
}

func TestMutateProducesPatchedObject(t *testing.T) {
	cases := []struct {
		name   string
		mutate string
		want   Status
		// check reads the patched object; it is not called on a skip.
		check map[string]string // path (JMESPath) -> value printed with %v
	}{
		{
			name: "add-if-not-present adds a missing key and keeps a present one",
			mutate: `      patchStrategicMerge:
        metadata:
          labels:
            +(app): other
            +(team): payments
`,
			want:  StatusPass,
			check: map[string]string{"metadata.labels.app": "web", "metadata.labels.team": "payments"},
		},
		{
			name: "add-if-not-present on present keys changes nothing",
			mutate: `      patchStrategicMerge:
        metadata:
          labels:
            +(app): other
`,
			want: StatusSkip,
		},
		{
			name: "conditional anchor in a list patches only the matching container, merged by name",
			mutate: `      patchStrategicMerge:
        spec:
          containers:
          - (image): "envoy:*"
            imagePullPolicy: IfNotPresent
`,
			want: StatusPass,
			check: map[string]string{
				"length(spec.containers)":                                 "2",
				"spec.containers[?name=='sidecar'] | [0].imagePullPolicy": "IfNotPresent",
				"spec.containers[?name=='app'] | [0].imagePullPolicy":     "<nil>",
				"spec.containers[?name=='app'] | [0].image":               "nginx:1.27",
			},
		},
		{
			name: "conditional anchor that holds nowhere changes nothing",
			mutate: `      patchStrategicMerge:
        spec:
          containers:
          - (image): "redis:*"
            imagePullPolicy: IfNotPresent
`,
			want: StatusSkip,
		},
		{
			name: "top-level conditional anchor that fails empties the patch",
			mutate: `      patchStrategicMerge:
        metadata:
          (name): "api-*"
          labels:
            tier: backend
`,
			want: StatusSkip,
		},
		{
			name: "global anchor in a list gates the whole patch",
			mutate: `      patchStrategicMerge:
        metadata:
          annotations:
            +(cluster-autoscaler.kubernetes.io/safe-to-evict): "true"
        spec:
          volumes:
          - <(emptyDir): {}
`,
			want:  StatusPass,
			check: map[string]string{`metadata.annotations."cluster-autoscaler.kubernetes.io/safe-to-evict"`: "true", "length(spec.volumes)": "1"},
		},
		{
			name: "global anchor that holds nowhere skips the rule",
			mutate: `      patchStrategicMerge:
        metadata:
          labels:
            flagged: "yes"
        spec:
          volumes:
          - <(hostPath): {}
`,
			want: StatusSkip,
		},
		{
			name: "a new container is added, existing ones kept",
			mutate: `      patchStrategicMerge:
        spec:
          containers:
          - name: logger
            image: fluent-bit:3
`,
			want:  StatusPass,
			check: map[string]string{"length(spec.containers)": "3", "spec.containers[?name=='logger'] | [0].image": "fluent-bit:3"},
		},
		{
			name: "variables are substituted in the patch",
			mutate: `      patchStrategicMerge:
        metadata:
          labels:
            owner: "{{ request.object.metadata.namespace }}-team"
`,
			want:  StatusPass,
			check: map[string]string{"metadata.labels.owner": "shop-team"},
		},
		{
			name: "JSON 6902 patch with a missing parent on add",
			mutate: `      patchesJson6902: |-
        - op: add
          path: /spec/securityContext/runAsNonRoot
          value: true
        - op: remove
          path: /metadata/labels/absent
`,
			want:  StatusPass,
			check: map[string]string{"spec.securityContext.runAsNonRoot": "true"},
		},
		{
			name: "foreach with element variables patches each container",
			mutate: `      foreach:
      - list: request.object.spec.containers
        preconditions:
          all:
          - key: "{{ element.image }}"
            operator: NotEquals
            value: "nginx:*"
        patchStrategicMerge:
          spec:
            containers:
            - name: "{{ element.name }}"
              image: "mirror.example.com/{{ element.image }}"
`,
			want: StatusPass,
			check: map[string]string{
				"spec.containers[?name=='sidecar'] | [0].image": "mirror.example.com/envoy:1.30",
				"spec.containers[?name=='app'] | [0].image":     "nginx:1.27",
			},
		},
		{
			name: "foreach JSON patch uses elementIndex",
			mutate: `      foreach:
      - list: request.object.spec.containers
        patchesJson6902: |-
          - op: add
            path: /spec/containers/{{elementIndex}}/securityContext
            value: {privileged: false}
`,
			want:  StatusPass,
			check: map[string]string{"spec.containers[0].securityContext.privileged": "false", "spec.containers[1].securityContext.privileged": "false"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustPolicy(t, mutatePolicy(c.mutate))
			obj := mustObject(t, mutatePod)
			rs := p.Apply(obj)
			if len(rs) != 1 {
				t.Fatalf("got %d results, want 1: %+v", len(rs), rs)
			}
			r := rs[0]
			if r.Status != c.want {
				t.Fatalf("status %s (%s), want %s", r.Status, r.Message, c.want)
			}
			if r.Patched == nil {
				t.Fatal("no patched object")
			}
			if c.want == StatusSkip {
				if firstDiff("", obj, r.Patched) != "" {
					t.Fatalf("a skipped mutation changed the object: %v", r.Patched)
				}
				return
			}
			for path, want := range c.check {
				v, err := defaultEnv().search(path, r.Patched)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if got := fmt.Sprint(v); got != want {
					t.Errorf("%s = %s, want %s", path, got, want)
				}
			}
			if obj["metadata"].(map[string]any)["labels"].(map[string]any)["team"] != nil {
				t.Error("the input object was changed")
			}
		})
	}
}

// TestMutateRulesChain checks that a policy's rules see the object as the
// mutate rules before them left it, and every mutate result carries the
// policy's final object.
func TestMutateRulesChain(t *testing.T) {
	p := mustPolicy(t, `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: chain
spec:
  rules:
  - name: first
    match:
      any:
      - resources:
          kinds: [Pod]
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            stage: one
  - name: second
    match:
      any:
      - resources:
          kinds: [Pod]
          selector:
            matchLabels:
              stage: one
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            copied: "{{ request.object.metadata.labels.stage }}"
`)
	rs := p.Apply(mustObject(t, mutatePod))
	if len(rs) != 2 || rs[0].Status != StatusPass || rs[1].Status != StatusPass {
		t.Fatalf("results %+v, want two passes", rs)
	}
	for _, r := range rs {
		labels := r.Patched["metadata"].(map[string]any)["labels"].(map[string]any)
		if labels["stage"] != "one" || labels["copied"] != "one" {
			t.Errorf("rule %s: labels %v, want stage and copied set", r.Rule, labels)
		}
	}
}

// TestMutateExistingTargets checks that a mutate-existing rule patches the
// targets given, selected by kind, name and a namespace that may come
// from the trigger, with the target as the target variable.
func TestMutateExistingTargets(t *testing.T) {
	p := mustPolicy(t, `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: label-secrets
spec:
  rules:
  - name: on-cm
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    mutate:
      targets:
      - apiVersion: v1
        kind: Secret
        name: "db-*"
        namespace: "{{ request.object.metadata.namespace }}"
      patchStrategicMerge:
        metadata:
          labels:
            from: "{{ request.object.metadata.name }}"
            was: "{{ target.metadata.name }}"
`)
	secret := func(name, ns string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name, "namespace": ns}}
	}
	c := &Cluster{Targets: []map[string]any{secret("db-1", "staging"), secret("db-2", "prod"), secret("api", "staging")}}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "trigger", "namespace": "staging"}}
	rs := p.ApplyIn(cm, c)
	if len(rs) != 1 || rs[0].Status != StatusPass {
		t.Fatalf("results %+v, want one pass", rs)
	}
	if len(rs[0].Targets) != 1 {
		t.Fatalf("patched %d targets, want 1 (db-1 in staging): %v", len(rs[0].Targets), rs[0].Targets)
	}
	labels, _ := rs[0].Targets[0]["metadata"].(map[string]any)["labels"].(map[string]any)
	if labels["from"] != "trigger" || labels["was"] != "db-1" {
		t.Errorf("labels %v, want from=trigger was=db-1", labels)
	}
	if _, ok := c.Targets[0]["metadata"].(map[string]any)["labels"]; ok {
		t.Error("the given target was changed")
	}
}
