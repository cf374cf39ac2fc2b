package validators

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestLocations is the golden test of finding locations
// (testdata/locations/want.txt): a manifest's error at its own line and
// column; a chart value that renders an invalid field at the template
// line that writes it; a Kustomize patch that breaks an object at the
// patch file, and a base's mistake at the base's file.
func TestLocations(t *testing.T) {
	root := filepath.Join("testdata", "locations")
	files, err := LoadPaths(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		files[i].Path = strings.TrimPrefix(files[i].Path, filepath.ToSlash(root)+"/")
	}
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		if f.Rule == "schema" {
			got = append(got, fmt.Sprintf("%s:%d:%d %s: %s", f.File, f.Line, f.Column, f.Path, f.Message))
		}
	}
	sort.Strings(got)
	raw, err := os.ReadFile(filepath.Join(root, "want.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("schema findings:\n%s\nwant (%s):\n%s", strings.Join(got, "\n"), filepath.Join(root, "want.txt"), strings.Join(want, "\n"))
	}
}
