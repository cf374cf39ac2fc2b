package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestValidateCELPolicies: a chart that violates a Kyverno
// ValidatingPolicy and a Kubernetes ValidatingAdmissionPolicy (with its
// binding and a ConfigMap param) in the repository's policies/ gets both
// as findings with file, object, path and message, in JSON, SARIF and
// JUnit.
func TestValidateCELPolicies(t *testing.T) {
	ctx := context.Background()
	chart := "testdata/celrepo/charts/web"
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"validate", chart, "--policy-check", "--output", "json"}, &out, &errOut); code != 1 {
		t.Fatalf("exit = %d, want 1 (stderr %s)\n%s", code, errOut.String(), out.String())
	}
	var rep struct {
		Findings []struct {
			File, Resource, Path, Rule, Message, Severity string
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	want := map[string][2]string{
		"kyverno/require-team-label":            {"/metadata/labels", "Deployment release-name-web must carry a team label"},
		"vap/max-replicas/max-replicas-binding": {"/spec/replicas", "replicas must be at most 3"},
	}
	for _, f := range rep.Findings {
		w, ok := want[f.Rule]
		if !ok {
			continue
		}
		delete(want, f.Rule)
		if !strings.HasSuffix(f.File, "charts/web/templates/deployment.yaml") || f.Resource != "Deployment/shop/release-name-web" ||
			f.Path != w[0] || f.Message != w[1] || !strings.Contains(strings.ToLower(f.Severity), "error") {
			t.Errorf("finding %s = %+v, want path %s, message %q, an error on the Deployment", f.Rule, f, w[0], w[1])
		}
	}
	if len(want) > 0 {
		t.Errorf("missing findings %v in\n%s", want, out.String())
	}

	out.Reset()
	run(ctx, []string{"validate", chart, "--policy-check", "--output", "sarif"}, &out, &errOut)
	for _, id := range []string{`"ruleId": "kyverno/require-team-label"`, `"ruleId": "vap/max-replicas/max-replicas-binding"`} {
		if !strings.Contains(out.String(), id) {
			t.Errorf("sarif lacks %s", id)
		}
	}

	out.Reset()
	run(ctx, []string{"validate", chart, "--policy-check", "--output", "junit"}, &out, &errOut)
	for _, s := range []string{"kyverno/require-team-label", "vap/max-replicas/max-replicas-binding", "replicas must be at most 3"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("junit lacks %s", s)
		}
	}
}
