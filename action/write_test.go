package action

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// Write writes, outside the target, only the kustomizations that list it
// and the patch files they name beside them.
func TestWriteRegistrations(t *testing.T) {
	const overlay = "resources:\n  - ../base/podinfo\n  - ../base/redis\npatches:\n  - path: redis-values.yaml\n    target:\n      kind: HelmRelease\n      name: redis\n"
	app := workspace.File{Path: "apps/base/redis/release.yaml", Content: []byte("kind: HelmRelease\n")}
	for _, tc := range []struct {
		name    string
		files   []workspace.File
		wantErr string
	}{
		{name: "overlay and its values", files: []workspace.File{app,
			{Path: "apps/production/kustomization.yaml", Content: []byte(overlay)},
			{Path: "apps/production/redis-values.yaml", Content: []byte("kind: HelmRelease\n")}}},
		{name: "a kustomization that does not list the app", files: []workspace.File{app,
			{Path: "apps/staging/kustomization.yaml", Content: []byte("resources:\n  - ../base/podinfo\n")}},
			wantErr: "apps/staging/kustomization.yaml lies outside apps/base/redis and does not list it"},
		{name: "a file its overlay does not name", files: []workspace.File{app,
			{Path: "apps/production/kustomization.yaml", Content: []byte(overlay)},
			{Path: "apps/production/other.yaml", Content: []byte("kind: ConfigMap\n")}},
			wantErr: "apps/production/other.yaml lies outside apps/base/redis"},
		{name: "a file elsewhere", files: []workspace.File{app, {Path: "policies/p.rego", Content: []byte("package x\n")}},
			wantErr: "policies/p.rego lies outside apps/base/redis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			err := Place{Root: root, Target: "apps/base/redis"}.Write(tc.files, nil)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				if entries, _ := os.ReadDir(root); len(entries) != 0 {
					t.Errorf("something was written: %v", entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				b, err := os.ReadFile(filepath.Join(root, f.Path))
				if err != nil || string(b) != string(f.Content) {
					t.Errorf("%s: %q, %v", f.Path, b, err)
				}
			}
		})
	}
}
