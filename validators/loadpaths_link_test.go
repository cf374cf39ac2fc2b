package validators

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// Probe (issue 12): a symlink to .git/config was followed. aiden validate
// reads the paths it is given through LoadPaths, which refuses it too.
func TestProbeLoadPathsRefusesSymlinkToGitConfig(t *testing.T) {
	root := t.TempDir()
	for p, c := range map[string]string{
		".git/config":                 "[remote \"origin\"]\n\turl = https://x:ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@github.com/a/b\n",
		"apps/redis/templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "apps/redis/config.yaml")
	if err := os.Symlink("../../.git/config", link); err != nil {
		t.Fatal(err)
	}
	files, err := LoadPaths(link)
	if err == nil || !errors.Is(err, workspace.ErrLink) {
		t.Fatalf("LoadPaths(link to .git/config) = %d files, %v; want ErrLink", len(files), err)
	}
	if strings.Contains(err.Error(), "ghp_") {
		t.Errorf("error %q carries the token", err)
	}
	// Walking the folder skips the link and reads the rest.
	files, err = LoadPaths(filepath.Join(root, "apps/redis"))
	if err != nil || len(files) != 1 || !strings.HasSuffix(files[0].Path, "templates/a.yaml") {
		t.Errorf("LoadPaths(folder) = %v, %v; want only templates/a.yaml", files, err)
	}
}
