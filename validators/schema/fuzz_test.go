package schema

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// Deeply nested YAML and JSON: the decoders stop at 10,000 levels with an
// error, which is reported as a finding.
func TestDeepNestingIsAFinding(t *testing.T) {
	v, err := New(Options{CacheDir: t.TempDir(), Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"flow.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n",
		"deep.json": `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}",
	} {
		res, err := v.Validate(context.Background(), []workspace.File{{Path: name, Content: []byte(doc)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Status != Error || !strings.Contains(res[0].Message, "max depth") {
			t.Errorf("%s: got %+v, want one error about the depth", name, res)
		}
	}
}

// FuzzValidate feeds the manifest entry point (splitting into documents,
// Lists, signatures, kubeconform) arbitrary files: it returns results and
// never crashes. Seeds: testdata/fuzz/FuzzValidate and kubeconform's
// fixtures when present.
func FuzzValidate(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "corpora", "kubeconform-fixtures", "fixtures", "*.yaml"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil && len(b) < 64<<10 {
			f.Add(filepath.Base(n), b)
		}
	}
	v, err := New(Options{CacheDir: f.TempDir(), Strict: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string, content []byte) {
		if !strings.HasSuffix(name, ".json") {
			name = "m.yaml"
		}
		if _, err := v.Validate(context.Background(), []workspace.File{{Path: name, Content: content}}); err != nil {
			t.Fatal(err)
		}
	})
}
