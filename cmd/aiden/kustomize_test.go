package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exampleRepo copies examples/gitops into a new repository.
func exampleRepo(t *testing.T) string {
	t.Helper()
	repo := newRepo(t)
	copyTree(t, "../../examples/gitops", repo)
	return repo
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateKustomizeInExampleRepository generates Kustomize output into
// the example repository: an overlay per cluster, differing as the intent
// asks, production's listing the monitoring component production's
// podinfo uses; the checks pass at generation and again on the written
// folder.
func TestGenerateKustomizeInExampleRepository(t *testing.T) {
	repo := exampleRepo(t)
	out := filepath.Join(repo, "apps/checkout")
	intent := "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 with 3 replicas in production and 1 in staging, 2 CPU in production"
	code, stdout, stderr := aiden(t, "generate", "-q", "--format", "kustomize", "--policy-check", "--intent", intent, "--output", out)
	if code != exitOK {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"kustomize 2 overlays, no errors", "policy", "kustomize-component monitoring in production"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("generate output lacks %q:\n%s", want, stdout)
		}
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	prod, staging := read("overlays/production/kustomization.yaml"), read("overlays/staging/kustomization.yaml")
	if !strings.Contains(prod, "components:\n  - ../../../../components/monitoring\n") || strings.Contains(staging, "components:") {
		t.Errorf("components: production overlay\n%s\nstaging overlay\n%s\nwant the monitoring component in production only", prod, staging)
	}
	if !strings.Contains(prod, `value: "2"`) || !strings.Contains(staging, "value: 1") {
		t.Errorf("overlays do not differ as asked:\nproduction\n%s\nstaging\n%s", prod, staging)
	}

	if code, stdout, _ := aiden(t, "validate", "--policy-check", out); code != exitOK || !strings.Contains(stdout, "kustomize 2 overlays, no errors") {
		t.Errorf("validate of the written folder: exit %d\n%s", code, stdout)
	}
}

// TestValidateOverlayInRepository: an overlay given alone builds over the
// repository's base and component; what breaks there is a finding naming
// the repository file, and a reference above the root is refused.
func TestValidateOverlayInRepository(t *testing.T) {
	repo := exampleRepo(t)
	overlay := filepath.Join(repo, "clusters/production/apps/podinfo")
	if code, stdout, stderr := aiden(t, "validate", overlay); code != exitOK || !strings.Contains(stdout, "kustomize 1 overlay, no errors") {
		t.Fatalf("validate %s: exit %d\n%s\n%s", overlay, code, stdout, stderr)
	}

	// Typed relative to a folder inside the repository.
	t.Chdir(filepath.Join(repo, "clusters"))
	if code, stdout, _ := aiden(t, "validate", "staging/apps/podinfo", "production/apps/podinfo/kustomization.yaml"); code != exitOK || !strings.Contains(stdout, "kustomize 2 overlays, no errors") {
		t.Errorf("validate from clusters/: exit %d\n%s", code, stdout)
	}

	component := filepath.Join(repo, "components/monitoring/kustomization.yaml")
	writeFile(t, component, "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - missing.yaml\n")
	code, stdout, _ := aiden(t, "validate", "production/apps/podinfo")
	if code != exitFindings || !strings.Contains(stdout, "../components/monitoring/kustomization.yaml") || !strings.Contains(stdout, "missing.yaml") {
		t.Errorf("broken component: exit %d, want %d and a finding at ../components/monitoring/kustomization.yaml\n%s", code, exitFindings, stdout)
	}

	writeFile(t, filepath.Join(repo, "clusters/staging/apps/podinfo/kustomization.yaml"), "resources:\n  - ../../../../../outside\n")
	code, stdout, _ = aiden(t, "validate", "staging/apps/podinfo")
	if code != exitFindings || !strings.Contains(stdout, "staging/apps/podinfo/kustomization.yaml") || !strings.Contains(stdout, "leads outside the repository root") {
		t.Errorf("reference above the root: exit %d, want %d and a finding saying so\n%s", code, exitFindings, stdout)
	}
}

// TestValidateRepositoryOverLimits: when what an overlay refers to is over
// the workspace limits, the files given are checked alone and a warning
// says why.
func TestValidateRepositoryOverLimits(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "apps/x/kustomization.yaml"), "resources:\n  - ../../big\n")
	writeFile(t, filepath.Join(repo, "big/kustomization.yaml"), "resources:\n  - huge.yaml\n")
	writeFile(t, filepath.Join(repo, "big/huge.yaml"), "# "+strings.Repeat("x", 1<<20)+"\n")
	code, stdout, stderr := aiden(t, "validate", filepath.Join(repo, "apps/x"))
	if code != exitFindings {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFindings, stdout, stderr)
	}
	for _, want := range []string{"were not read", "workspace exceeds limits", "big/huge.yaml"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestValidateTwoRepositories: paths in two repositories are checked per
// repository, with one line per check.
func TestValidateTwoRepositories(t *testing.T) {
	var paths []string
	for _, name := range []string{"a", "b"} {
		repo := newRepo(t)
		p := filepath.Join(repo, "apps", name+".yaml")
		writeFile(t, p, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+name+"\ndata:\n  k: v\n")
		paths = append(paths, p)
	}
	code, stdout, _ := aiden(t, append([]string{"validate"}, paths...)...)
	if code != exitOK || strings.Count(stdout, "schema") != 1 || !strings.Contains(stdout, "1 valid; ") {
		t.Errorf("exit %d, want one schema line covering both repositories:\n%s", code, stdout)
	}
}

// TestGenerateKustomizeEnvConventions: generating Kustomize output for two
// environments applies the config's {env} rules in the overlays instead
// of warning that they are not applied.
func TestGenerateKustomizeEnvConventions(t *testing.T) {
	repo := exampleRepo(t)
	out := filepath.Join(repo, "apps/shop")
	intent := "Deploy a web app ghcr.io/acme/shop:1.2.0 on port 8080 with 3 replicas in production and 1 in staging"
	code, stdout, stderr := aiden(t, "generate", "--intent", intent, "--format", "kustomize", "--output", out)
	if code != exitOK {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "which this generation does not know") || !strings.Contains(stdout, "conventions 14 fixed, 0 left") {
		t.Errorf("generate output:\n%s\nwant the conventions applied, none left", stdout)
	}
	for _, env := range []string{"production", "staging"} {
		b, err := os.ReadFile(filepath.Join(out, "overlays", env, "kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if k := string(b); !strings.Contains(k, "namePrefix: "+env+"-\n") || !strings.Contains(k, "namespace: payments-"+env+"\n") {
			t.Errorf("overlays/%s/kustomization.yaml:\n%s\nwant namePrefix %s- and namespace payments-%s", env, k, env, env)
		}
	}
}
