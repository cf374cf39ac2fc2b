package validators

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealTrees validates real GitOps trees kept under testdata/trees
// (both Apache-2.0, their LICENSE beside them): Flux's
// flux2-kustomize-helm-example (commit 4f1a5b1) and podinfo's deploy/,
// kustomize/ and charts/podinfo folders (commit eec06d1). Every object
// has a schema — cert-manager's ClusterIssuer and Certificate, Gateway
// API's GatewayClass and Gateway, Flux's ArtifactGenerator among them come
// from the shipped catalogue — and every one is valid.
func TestRealTrees(t *testing.T) {
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tree    string
		objects int
	}{
		{"flux2-kustomize-helm-example", 23},
		{"podinfo", 107},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			root := filepath.Join("testdata", "trees", tc.tree)
			files, err := LoadPaths(root)
			if err != nil {
				t.Fatal(err)
			}
			for i := range files {
				files[i].Path = strings.TrimPrefix(files[i].Path, filepath.ToSlash(root)+"/")
			}
			rep, err := v.Validate(context.Background(), files, CheckOptions{Workspace: files})
			if err != nil {
				t.Fatal(err)
			}
			RequireSchemas(&rep)
			var sc *Check
			for i := range rep.Checks {
				if rep.Checks[i].Name == "schema" {
					sc = &rep.Checks[i]
				}
			}
			if sc == nil {
				t.Fatalf("no schema check in %+v", rep.Checks)
			}
			if sc.Status != CheckPassed || sc.Checked != tc.objects || sc.Skipped != 0 {
				t.Errorf("schema check: got %+v, want %d objects, all with a schema, passed", *sc, tc.objects)
			}
			for _, f := range rep.Findings {
				if f.Severity >= SeverityWarning {
					t.Errorf("finding: %s", f)
				}
			}
		})
	}
}
