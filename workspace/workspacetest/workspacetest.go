// Package workspacetest reads folders of test data as workspace files, for
// the tests of the packages that take []workspace.File.
package workspacetest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// Read returns the regular files under dir as workspace files, in the
// order filepath.WalkDir meets them (sorted), each path relative to dir
// with prefix (a slash path; "" for none) before it. Files whose path
// relative to dir is one of skip are left out. An unreadable folder or
// file fails the test.
func Read(tb testing.TB, dir, prefix string, skip ...string) []workspace.File {
	tb.Helper()
	var out []workspace.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if slices.Contains(skip, rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, workspace.File{Path: path.Join(prefix, rel), Content: b})
		return nil
	})
	if err != nil {
		tb.Fatalf("read %s: %v", dir, err)
	}
	return out
}
