package review

import (
	"fmt"
	"strings"
	"testing"
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
