package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateRemembersValid: aiden validate remembers the objects it found
// valid in the user's cache folder, so a second run over unchanged files
// answers the same without validating them; --no-result-cache remembers
// nothing, and an invalid object is never remembered.
func TestValidateRemembersValid(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "cm.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(manifest, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  mode: fast\n"), 0o644)
	os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  namespace: web\ndata:\n  mode: fast\nspec: {}\n"), 0o644)

	remembered := func(cache string) int {
		matches, _ := filepath.Glob(filepath.Join(cache, "aiden", "schemas", "*", "results", "*", "*"))
		return len(matches)
	}

	off := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", off)
	code, first, stderr := aiden(t, "validate", "--no-result-cache", "--policy-check=false", manifest, bad)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (bad.yaml has an unknown field)\n%s\n%s", code, exitFindings, first, stderr)
	}
	if n := remembered(off); n != 0 {
		t.Errorf("--no-result-cache remembered %d objects", n)
	}

	on := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", on)
	_, second, _ := aiden(t, "validate", "--policy-check=false", manifest, bad)
	if n := remembered(on); n != 1 {
		t.Errorf("%d objects remembered, want 1 (the valid ConfigMap; never the invalid one)", n)
	}
	_, third, _ := aiden(t, "validate", "--policy-check=false", manifest, bad)
	if second != first || third != first {
		t.Errorf("the reports differ with the results cache off, filled and read:\n%s\n---\n%s\n---\n%s", first, second, third)
	}
}

// TestNoResultCacheWithServer: --no-result-cache asks for in-process
// validation, so with --server it is a usage error, not silently ignored.
func TestNoResultCacheWithServer(t *testing.T) {
	code, _, stderr := aiden(t, "validate", "--server", "http://127.0.0.1:1", "--no-result-cache", "cm.yaml")
	if code != exitUsage || !strings.Contains(stderr, "--no-result-cache") {
		t.Errorf("exit %d, %q; want %d naming --no-result-cache", code, stderr, exitUsage)
	}
}
