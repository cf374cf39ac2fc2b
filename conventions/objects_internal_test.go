package conventions

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMayHoldObject holds the pre-check to parseFile: content it rules
// out holds no object, and content with an object is never ruled out.
func TestMayHoldObject(t *testing.T) {
	cases := []struct {
		content string
		objects bool
	}{
		{"apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n", true},
		{"{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", true},
		{"\"apiVersion\": v1\n\"\\u006bind\": Service\nmetadata:\n  name: a\n", true}, // kind spelled with an escape
		{"replicaCount: 3\nimage:\n  repository: redis\n", false},
		{"apiVersion: v2\nname: redis\nversion: 0.1.0\n", false},
		{"not: [valid\n", false},
	}
	for _, c := range cases {
		f, err := parseFile("x.yaml", []byte(c.content))
		n := 0
		if err == nil {
			n = len(f.objects)
		}
		if (n > 0) != c.objects {
			t.Fatalf("%q: %d objects parsed, the case expects objects=%v", c.content, n, c.objects)
		}
		if n > 0 && !mayHoldObject([]byte(c.content)) {
			t.Errorf("%q holds %d objects, but mayHoldObject rules it out", c.content, n)
		}
	}
	if mayHoldObject([]byte(cases[3].content)) || mayHoldObject([]byte(cases[4].content)) {
		t.Errorf("values and Chart.yaml without kind: want ruled out")
	}
	// Every golden chart's values.yaml and Chart.yaml: ruled out only when
	// they hold no object.
	paths, _ := filepath.Glob("../generator/planner/testdata/golden/*/*.yaml")
	if len(paths) < 10 {
		t.Fatalf("%d golden files: too few", len(paths))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := parseFile(p, b); err == nil && len(f.objects) > 0 && !mayHoldObject(b) {
			t.Errorf("%s holds %d objects, but mayHoldObject rules it out", p, len(f.objects))
		}
	}
}
