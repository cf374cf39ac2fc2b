package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubeconformFixtures finds kubeconform's acceptance fixtures next to the
// repository (../shared/corpora) or skips the test.
func kubeconformFixtures(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpora", "kubeconform-fixtures", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("kubeconform fixtures not present: %v", err)
	}
	return dir
}

// TestValidateNamedFiles runs validate on kubeconform's fixtures named one
// by one, with the exit codes of kubeconform's acceptance.bats: a YAML
// document without kind fails, an empty file passes, and a named file
// that is no manifest, chart, kustomization or Terraform is an error.
func TestValidateNamedFiles(t *testing.T) {
	fixtures := kubeconformFixtures(t)
	for _, tc := range []struct {
		file string
		code int
		says string
	}{
		{file: "valid.yaml", code: exitOK, says: "1 object against Kubernetes"},
		{file: "missing_kind.yaml", code: exitFindings, says: "missing 'kind' key [schema]"},
		{file: "missing_kind_value.yaml", code: exitFindings, says: "missing 'kind' key [schema]"},
		{file: "missing_apiversion.yaml", code: exitFindings, says: "missing 'apiVersion' key [schema]"},
		{file: "invalid.yaml", code: exitFindings, says: "[schema]"},
		{file: "blank.yaml", code: exitOK, says: "0 objects"},
		{file: "comment.yaml", code: exitOK, says: "0 objects"},
		{file: "junit.xsd", code: exitFindings, says: "junit.xsd: not a Kubernetes manifest, Helm chart, Kustomize folder or Terraform file [input]"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			code, stdout, stderr := aiden(t, "validate", "--policy-check=false", filepath.Join(fixtures, tc.file)) // kubeconform checks schemas only
			if code != tc.code || !strings.Contains(stdout, tc.says) {
				t.Errorf("validate %s: exit %d, want %d and %q in\n%s%s", tc.file, code, tc.code, tc.says, stdout, stderr)
			}
		})
	}
}

// TestValidateSkipsFolderFiles checks that files found in a folder that
// aiden cannot check are listed as skipped, not failed.
func TestValidateSkipsFolderFiles(t *testing.T) {
	dir := t.TempDir()
	mkfile(t, filepath.Join(dir, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: any\ndata:\n  a: b\n")
	mkfile(t, filepath.Join(dir, "README.md"), "# notes\n")
	code, stdout, stderr := aiden(t, "validate", "--conventions=false", dir)
	if code != exitOK || !strings.Contains(stdout, "skip  skipped   1 file not checked") || !strings.Contains(stdout, "README.md") {
		t.Errorf("validate %s: exit %d, want 0 and README.md listed as skipped in\n%s%s", dir, code, stdout, stderr)
	}
}

// TestValidateReadsRepositoryPolicies checks that validate --policy-check
// on an app folder applies the policies/ of the repository around it,
// found from the path as the generation config is.
func TestValidateReadsRepositoryPolicies(t *testing.T) {
	repo := newRepo(t)
	copyTree(t, "../../examples/gitops", repo)
	app := filepath.Join(repo, "clusters", "production", "apps", "worker")
	mkfile(t, filepath.Join(app, "deployment.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: production-worker
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: ghcr.io/acme/worker:1.0.0
`)
	code, stdout, stderr := aiden(t, "validate", "--policy-check", "--conventions=false", app)
	if code != exitFindings || !strings.Contains(stdout, "kyverno/require-team-label/check-team") {
		t.Errorf("validate --policy-check %s: exit %d, want %d and the repository's require-team-label policy in\n%s%s", app, code, exitFindings, stdout, stderr)
	}
}
