package lsp

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/workspace"
)

// TestLocateReadsAsValidate checks that what the editor checks for a
// document is what `aiden validate` reads for the same unit
// (action.ReadPaths with conventions and policies): the same root, the
// same files, the same repository files (the shared base and Component an
// overlay refers to, the generation config, the policies) and the same
// file named alone.
func TestLocateReadsAsValidate(t *testing.T) {
	ex, err := filepath.Abs("../examples/gitops")
	if err != nil {
		t.Fatal(err)
	}
	if ex, err = filepath.EvalSymlinks(ex); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ doc, validate string }{
		{"clusters/production/apps/podinfo/kustomization.yaml", "clusters/production/apps/podinfo"},
		{"base/podinfo/deployment.yaml", "base/podinfo"},
		{".stackgen/examples/deployment.yaml", ".stackgen/examples/deployment.yaml"}, // checked alone
	} {
		u, err := locate(filepath.Join(ex, tc.doc), nil)
		if err != nil {
			t.Fatal(err)
		}
		groups, err := action.ReadPaths([]string{filepath.Join(ex, tc.validate)}, true, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 {
			t.Fatalf("%s: %d groups", tc.validate, len(groups))
		}
		g := groups[0]
		if u.Root() != g.Root() || u.Root() != ex {
			t.Errorf("%s: root %s, validate's %s, want %s", tc.doc, u.Root(), g.Root(), ex)
		}
		for _, c := range []struct {
			what       string
			lsp, valid []workspace.File
		}{{"files", u.Files(), g.Files()}, {"repository", u.Repository(), g.Repository()}} {
			if a, b := summary(c.lsp), summary(c.valid); a != b {
				t.Errorf("%s: %s\n%s\nvalidate's\n%s", tc.doc, c.what, a, b)
			}
		}
		if a, b := fmt.Sprint(u.Named()), fmt.Sprint(g.Named()); a != b {
			t.Errorf("%s: named %s, validate's %s", tc.doc, a, b)
		}
		if len(u.Repository()) == 0 {
			t.Errorf("%s: no repository files read", tc.doc)
		}
	}
}

// summary lists files by path and size, sorted.
func summary(files []workspace.File) string {
	var out []string
	for _, f := range files {
		out = append(out, fmt.Sprintf("%s (%d)", f.Path, len(f.Content)))
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}
