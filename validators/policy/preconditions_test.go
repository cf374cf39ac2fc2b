package policy

import (
	"strings"
	"testing"
)

// TestPreconditionMissingKeyIsAnError holds aiden to Kyverno's handling of
// a variable that does not resolve in a precondition: since Kyverno 1.8
// (kyverno/kyverno#4217, pkg/engine/variables/vars.go
// newPreconditionsVariableResolver) the lookup's error is returned, so the
// rule is an error, not a skip with a null or empty key. A JMESPath
// default (an "or" with an empty string) resolves, as in Kyverno.
func TestPreconditionMissingKeyIsAnError(t *testing.T) {
	policy := func(key string) string {
		return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
spec:
  rules:
  - name: r
    match:
      any:
      - resources:
          kinds: [Pod]
    preconditions:
      all:
      - key: "` + key + `"
        operator: NotEquals
        value: ""
    validate:
      message: team label required
      pattern:
        metadata:
          labels:
            team: "?*"
`
	}
	pod := mustObject(t, mutatePod)
	cases := []struct {
		key  string
		want Status
		msg  string
	}{
		{"{{ request.object.metadata.labels.owner }}", StatusError, `Unknown key "owner"`},
		{"{{ request.object.spec.missing.deeper }}", StatusError, `Unknown key "missing"`},
		{"{{ request.object.metadata.labels.owner || '' }}", StatusSkip, "preconditions not met"},
		{"{{ request.object.metadata.labels.app }}", StatusFail, "team label required"},
	}
	for _, c := range cases {
		rs := mustPolicy(t, policy(c.key)).Apply(pod)
		if len(rs) != 1 {
			t.Fatalf("%s: %d results", c.key, len(rs))
		}
		if rs[0].Status != c.want || !strings.Contains(rs[0].Message, c.msg) {
			t.Errorf("%s: got %s (%s), want %s containing %q", c.key, rs[0].Status, rs[0].Message, c.want, c.msg)
		}
	}
}
