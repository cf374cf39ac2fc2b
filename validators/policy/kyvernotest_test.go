package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// corpus returns a folder of ../shared/corpora, relative to the module root.
func corpus(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "corpora", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus %s not available: %v", name, err)
	}
	return p
}

// TestKyvernoPoliciesCorpus holds the Kyverno evaluation to Kyverno's own
// published expectations: at least 99% must be met.
func TestKyvernoPoliciesCorpus(t *testing.T) {
	files, err := FindKyvernoTests(corpus(t, "kyverno-policies"))
	if err != nil {
		t.Fatal(err)
	}
	met, total := 0, 0
	for _, f := range files {
		exps, err := RunKyvernoTest(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range exps {
			total++
			if e.Met() {
				met++
				continue
			}
			t.Logf("unmet: %s: policy %s rule %s %s/%s: want %s, got %s (%s)", filepath.Base(filepath.Dir(filepath.Dir(f))), e.Policy, e.Rule, e.Kind, e.Resource, e.Want, e.Got, e.Message)
		}
	}
	t.Logf("%d/%d expectations met", met, total)
	if total == 0 || met*100 < total*99 {
		t.Errorf("met %d/%d expectations, want at least 99%%", met, total)
	}
}
