package policy

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestKyvernoCLIConformance runs every kyverno-test.yaml of Kyverno's own
// CLI tests (testdata/kyverno-cli, see SOURCE there), prints the count of
// expectations met and lists each unmet one with aiden's reason.
func TestKyvernoCLIConformance(t *testing.T) {
	files, err := FindKyvernoTests(filepath.Join("testdata", "kyverno-cli"))
	if err != nil {
		t.Fatal(err)
	}
	met, total, broken := 0, 0, 0
	type count struct{ met, total, cluster int }
	byFolder := map[string]*count{}
	byKind := map[string]*count{}
	for _, f := range files {
		rel := strings.TrimPrefix(filepath.ToSlash(filepath.Dir(f)), "testdata/kyverno-cli/")
		top, _, _ := strings.Cut(rel, "/")
		if byFolder[top] == nil {
			byFolder[top] = &count{}
		}
		exps, err := RunKyvernoTest(f)
		if err != nil {
			broken++
			t.Logf("not run: %s: %v", rel, err)
			continue
		}
		for _, e := range exps {
			total++
			byFolder[top].total++
			k := byKind[e.PolicyKind]
			if k == nil {
				k = &count{}
				byKind[e.PolicyKind] = k
			}
			k.total++
			if e.Met() {
				met++
				byFolder[top].met++
				k.met++
				continue
			}
			if e.Got == StatusNeedsCluster {
				k.cluster++
			}
			t.Logf("unmet: %s: policy %s rule %s %s/%s: want %s, got %s (%s)", rel, e.Policy, e.Rule, e.Kind, e.Resource, e.Want, e.Got, e.Message)
		}
	}
	for _, k := range sortedKeys(byFolder) {
		t.Logf("folder %s: %d/%d met", k, byFolder[k].met, byFolder[k].total)
	}
	for _, k := range sortedKeys(byKind) {
		t.Logf("kind %s: %d/%d met, %d unmet need a cluster", k, byKind[k].met, byKind[k].total, byKind[k].cluster)
	}
	t.Logf("kyverno CLI tests: %d files (%d not run), %d/%d expectations met", len(files), broken, met, total)
	if met < minKyvernoCLIMet {
		t.Errorf("met %d expectations, want at least %d", met, minKyvernoCLIMet)
	}
}

// minKyvernoCLIMet is the count of expectations met when this test was
// last raised; a change that meets fewer is a regression.
const minKyvernoCLIMet = 410
