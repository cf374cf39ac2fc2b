package planner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
)

// TestHelmignoreLeavesOutTheRecord packages nothing by hand: it loads a
// chart folder the way Helm (and Flux's helm-controller) does, through the
// chart's own .helmignore, and checks that aiden's record of the files it
// wrote is not among the chart's files while the chart's own are.
func TestHelmignoreLeavesOutTheRecord(t *testing.T) {
	dir := t.TempDir()
	ignore, err := os.ReadFile(filepath.Join("blueprints", "common", ".helmignore"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"Chart.yaml":               []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n"),
		"values.yaml":              []byte("replicas: 1\n"),
		".helmignore":              ignore,
		"README.md":                []byte("# web\n"),
		".aiden/record.yaml":       []byte("files: []\n"),
		"templates/configmap.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var readme bool
	for _, f := range ch.Files {
		if bytes.HasPrefix([]byte(f.Name), []byte(".aiden/")) {
			t.Errorf("the chart carries %s; .helmignore should leave .aiden/ out", f.Name)
		}
		readme = readme || f.Name == "README.md"
	}
	if !readme {
		t.Errorf("README.md is missing from the chart's files %v: the check would pass for any ignore file", ch.Files)
	}
}
