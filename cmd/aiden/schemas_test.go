package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemasCommand lists the shipped sets and shows where a kind's
// schema comes from.
func TestSchemasCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		says []string
	}{
		{[]string{"schemas", "list"}, exitOK, []string{"kubernetes", "cert-manager", "v1.21.2", "Apache-2.0", "github.com/cert-manager/cert-manager@v1.21.2 deploy/crds/*.yaml", "Gateway API (experimental channel) [fallback]"}},
		{[]string{"schemas", "list", "--kinds"}, exitOK, []string{"  source.extensions.fluxcd.io/v1beta1/ArtifactGenerator"}},
		{[]string{"schemas", "list", "--json"}, exitOK, []string{`"name": "traefik"`, `"license": "MIT"`}},
		{[]string{"schemas", "show", "clusterissuer"}, exitOK, []string{"cert-manager.io/v1 ClusterIssuer: cert-manager v1.21.2 (Apache-2.0), from github.com/cert-manager/cert-manager@v1.21.2 deploy/crds/*.yaml"}},
		{[]string{"schemas", "show", "helm.toolkit.fluxcd.io/v2beta2/HelmRelease", "--json"}, exitOK, []string{`"Set": "flux-2.7-helm"`, `"version": "v1.4.0"`}},
		{[]string{"schemas", "show", "serviceprofile"}, exitOK, []string{"linkerd.io/v1alpha2 ServiceProfile: Linkerd edge-26.8.3 (Apache-2.0), from https://github.com/linkerd/linkerd2 tag edge-26.8.3 (commit 19a0d90d5a4a): chart charts/linkerd-crds"}},
		{[]string{"schemas", "show", "Deployment"}, exitOK, []string{"apps/v1 Deployment: Kubernetes v1.35.4"}},
		{[]string{"schemas", "show", "NoSuchKind"}, exitUsage, []string{`no shipped schema for kind "NoSuchKind"`}},
	} {
		code, stdout, stderr := aiden(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, stdout, stderr)
		}
		for _, s := range tc.says {
			if !strings.Contains(stdout+stderr, s) {
				t.Errorf("%v: output lacks %q:\n%s%s", tc.args, s, stdout, stderr)
			}
		}
	}
}

// TestFailOnMissingSchema: an object whose kind has no schema is a
// warning, counted per kind; --fail-on-missing-schema, or the generation
// config's failOnMissingSchema, makes it an error. SARIF regions carry
// the column of a schema error.
func TestFailOnMissingSchema(t *testing.T) {
	repo := newRepo(t)
	mkfile(t, filepath.Join(repo, "apps/thing.yaml"), "apiVersion: example.org/v1\nkind: Thing\nmetadata:\n  name: x\n")
	mkfile(t, filepath.Join(repo, "apps/svc.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    - port: http\n")
	apps := filepath.Join(repo, "apps")
	code, stdout, stderr := aiden(t, "validate", "--policy-check=false", filepath.Join(apps, "thing.yaml"))
	if code != exitOK || !strings.Contains(stdout, "1 without schema (Thing example.org/v1: 1)") {
		t.Errorf("validate: exit %d, want 0 and the kind counted:\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = aiden(t, "validate", "--policy-check=false", "--fail-on-missing-schema", filepath.Join(apps, "thing.yaml"))
	if code != exitFindings || !strings.Contains(stdout, "error   ") || !strings.Contains(stdout, "objects without schema are errors") {
		t.Errorf("--fail-on-missing-schema: exit %d, want %d and an error:\n%s%s", code, exitFindings, stdout, stderr)
	}
	mkfile(t, filepath.Join(repo, ".stackgen/generation-config.yaml"), "version: 1\nfailOnMissingSchema: true\n")
	code, stdout, stderr = aiden(t, "validate", "--policy-check=false", filepath.Join(apps, "thing.yaml"))
	if code != exitFindings {
		t.Errorf("failOnMissingSchema in the config: exit %d, want %d:\n%s%s", code, exitFindings, stdout, stderr)
	}
	code, stdout, stderr = aiden(t, "validate", "--policy-check=false", "--output", "sarif", filepath.Join(apps, "svc.yaml"))
	if code != exitFindings || !strings.Contains(stdout, `"startLine": 7`) || !strings.Contains(stdout, `"startColumn": 7`) {
		t.Errorf("sarif: exit %d, want the region of /spec/ports/0/port (7:7):\n%s%s", code, stdout, stderr)
	}
}
