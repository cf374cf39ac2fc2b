package schema

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stackgen/aiden/workspace"
)

const resultsMixed = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
data:
  mode: production
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "three"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
`

// TestResultsCache validates the same files with two validators sharing
// a cache folder: the second finds the valid objects remembered and gives
// the same results, while the invalid and the unknown object are
// validated again.
func TestResultsCache(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	files := append(renderedChart(t), workspace.File{Path: "mixed.yaml", Content: []byte(resultsMixed)})

	first, err := New(Options{Strict: true, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	want, err := first.Validate(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if c := count(want); c != (counts{valid: 11, invalid: 1, skipped: 1}) {
		t.Fatalf("first run: got %+v:\n%s", c, dump(want))
	}
	if n := first.checked.Load(); n != 13 {
		t.Fatalf("first run validated %d objects, want 13", n)
	}

	second, err := New(Options{Strict: true, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	got, err := second.Validate(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("second run differs:\n%s\nwant:\n%s", dump(got), dump(want))
	}
	if n := second.checked.Load(); n != 2 {
		t.Fatalf("second run validated %d objects, want 2 (the invalid Deployment and the unknown Widget)", n)
	}

	// Not strict is another key: nothing remembered for it yet.
	loose, err := New(Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loose.Validate(ctx, files); err != nil {
		t.Fatal(err)
	}
	if n := loose.checked.Load(); n != 13 {
		t.Fatalf("non-strict run validated %d objects, want 13", n)
	}

	off, err := New(Options{Strict: true, CacheDir: cache, NoResultCache: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err = off.Validate(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if n := off.checked.Load(); n != 13 || !reflect.DeepEqual(got, want) {
		t.Fatalf("NoResultCache: validated %d objects, want 13; results equal: %v", n, reflect.DeepEqual(got, want))
	}
}

// TestResultsCacheBadEntry: an entry that does not decode is no hit; the
// object is validated and the entry written again.
func TestResultsCacheBadEntry(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	files := []workspace.File{{Path: "cm.yaml", Content: []byte(resultsMixed[:len("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\ndata:\n  mode: production\n")])}}
	v, err := New(Options{Strict: true, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	want, err := v.Validate(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	mustAllValid(t, want, 1)
	entries, _ := filepath.Glob(filepath.Join(v.results, "*", "*"))
	if len(entries) != 1 {
		t.Fatalf("got %d entries, want 1: %v", len(entries), entries)
	}
	if err := os.WriteFile(entries[0], []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	v2, err := New(Options{Strict: true, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v2.Validate(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	if n := v2.checked.Load(); n != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("validated %d objects (want 1); results equal: %v", n, reflect.DeepEqual(got, want))
	}
	if b, err := os.ReadFile(entries[0]); err != nil || b[0] != '{' || string(b) == "{not json" {
		t.Fatalf("entry not rewritten: %q, %v", b, err)
	}
}

// TestTrimResults: entries unused for a week go, at most once a day.
func TestTrimResults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results")
	old := filepath.Join(dir, "ab", "ab01")
	fresh := filepath.Join(dir, "cd", "cd01")
	for _, p := range []string{old, fresh} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"kind":"ConfigMap"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	week := time.Now().Add(-resultsMaxAge - time.Hour)
	if err := os.Chtimes(old, week, week); err != nil {
		t.Fatal(err)
	}
	trimResults(dir, false)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("old entry kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh entry removed: %v", err)
	}
	// Trimmed less than a day ago: an entry gone stale meanwhile stays.
	if err := os.Chtimes(fresh, week, week); err != nil {
		t.Fatal(err)
	}
	trimResults(dir, false)
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("trimmed twice in a day: %v", err)
	}
}

// TestTrimResultsCap: beyond resultsMaxEntries the least recently used
// entries go, down to three quarters of the cap, forced or not.
func TestTrimResultsCap(t *testing.T) {
	defer func(n int) { resultsMaxEntries = n }(resultsMaxEntries)
	resultsMaxEntries = 8
	dir := filepath.Join(t.TempDir(), "results")
	base := time.Now().Add(-time.Hour)
	var paths []string
	for i := range 10 {
		p := filepath.Join(dir, "ab", fmt.Sprintf("ab%02d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"kind":"ConfigMap"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute) // ab00 least recently used
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	trimResults(dir, true)
	for i, p := range paths {
		_, err := os.Stat(p)
		if gone := os.IsNotExist(err); gone != (i < 4) {
			t.Errorf("%s: removed %v, want %v", filepath.Base(p), gone, i < 4)
		}
	}
}

// TestGoBuildID: the results cache is keyed by the executable's Go build
// ID, the one `go tool buildid` reads, so a rebuilt aiden never trusts an
// older build's results.
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if got, want := goBuildID(), strings.TrimSpace(string(out)); got == "" || got != want {
		t.Errorf("goBuildID() = %q, want %q", got, want)
	}
	if v := validatorVersions(); !strings.Contains(v, goBuildID()) {
		t.Errorf("validatorVersions() = %q does not name the build", v)
	}
}
