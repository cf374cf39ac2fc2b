package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const rootDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:latest
`

func TestValidatePolicyOutputs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(rootDeployment), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"validate", dir, "--policy-check", "--output", "sarif"}, &out, &errOut); code != 1 {
		t.Fatalf("exit = %d, want 1 (stderr %s)", code, errOut.String())
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out.Bytes(), &sarif); err != nil {
		t.Fatalf("sarif: %v\n%s", err, out.String())
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
		t.Fatalf("sarif version %q, %d runs", sarif.Version, len(sarif.Runs))
	}
	rules := map[string]string{}
	for _, r := range sarif.Runs[0].Results {
		rules[r.RuleID] = r.Level
	}
	if rules["image-tag"] != "error" || rules["probes"] != "warning" {
		t.Errorf("sarif results = %v, want image-tag error and probes warning", rules)
	}

	out.Reset()
	if code := run(ctx, []string{"validate", dir, "--policy-check", "--output", "junit", "--fail-on", "none"}, &out, &errOut); code != 0 {
		t.Fatalf("exit = %d, want 0 with --fail-on none", code)
	}
	var junit struct {
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &junit); err != nil {
		t.Fatalf("junit: %v\n%s", err, out.String())
	}
	if len(junit.Suites) < 2 {
		t.Errorf("junit suites = %v, want schema and policy", junit.Suites)
	}
}

func TestPolicyTestCommand(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	corpus := filepath.Join(root, "..", "shared", "corpora", "kyverno-policies", "best-practices", "disallow-latest-tag")
	if _, err := os.Stat(corpus); err != nil {
		t.Skip("corpus not available")
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"policy", "test", corpus}, &out, &errOut); code != 0 {
		t.Fatalf("exit = %d, want 0\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "10/10 expectations met") {
		t.Errorf("output %q, want 10/10 expectations met", out.String())
	}
}

// TestPolicyTestBrokenFile: a kyverno-test.yaml that cannot be run is
// reported by name with its error and fails the run, and the test files
// beside it still run.
func TestPolicyTestBrokenFile(t *testing.T) {
	good, err := filepath.Abs("../../validators/policy/testdata/kyverno-cli/scenarios_to_cli/other/scenario_validate_healthChecks")
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken")
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	brokenTest := filepath.Join(broken, "kyverno-test.yaml")
	os.WriteFile(brokenTest, []byte("apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\npolicies: [missing-policy.yaml]\nresources: [missing-resource.yaml]\nresults: []\n"), 0o644)

	_, alone, _ := aiden(t, "policy", "test", good)
	code, out, stderr := aiden(t, "policy", "test", broken, good)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFindings, out, stderr)
	}
	if !strings.Contains(out, "ERROR "+brokenTest+": ") || !strings.Contains(out, "missing-policy.yaml") {
		t.Errorf("the broken file is not named with its error:\n%s", out)
	}
	met := strings.Fields(strings.TrimSpace(alone))
	if len(met) == 0 || !strings.Contains(out, met[0]+" expectations met; 1 of 2 test files could not be run") {
		t.Errorf("the good file's expectations (%q alone) are not all counted beside the broken one:\n%s", alone, out)
	}
}
