package workspace

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func paths(files []File) []string {
	var ps []string
	for _, f := range files {
		ps = append(ps, f.Path)
	}
	return ps
}

func TestLoad(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, map[string]string{
		".git/config":                                     "[core]\n",
		".stackgen/generation-config.yaml":                "naming: {}\n",
		".stackgen/other.yaml":                            "not read\n",
		".stackgen/examples/helm/values.yaml":             "replicas: 2\n",
		"policies/require-labels.yaml":                    "kind: ClusterPolicy\n",
		"policies/deny.rego":                              "package main\n",
		"clusters/production/apps/kustomization.yaml":     "resources: []\n",
		"clusters/production/apps/nginx/values.yaml":      "not read\n",
		"clusters/production/apps/redis/values.yaml":      "replicas: 1\n",
		"clusters/production/apps/redis/sub/.git":         "gitdir: x\n",
		"clusters/production/apps/redis/base/deploy.yaml": "kind: Deployment\n",
		"clusters/staging/apps/kustomization.yaml":        "not read\n",
		"README.md":          "not read\n",
		"shared/labels.yaml": "team: infra\n",
	})
	target := filepath.Join(root, "clusters/production/apps/redis")
	symlink(t, "../../../../shared/labels.yaml", filepath.Join(target, "labels.yaml"))
	symlink(t, "../../../../shared", filepath.Join(target, "shared-dir"))
	symlink(t, "missing.yaml", filepath.Join(target, "dangling.yaml"))
	if err := syscall.Mkfifo(filepath.Join(target, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	mkfiles(t, target, map[string]string{`back\slash.yaml`: "skipped\n"})

	got, err := Load(root, "clusters/production/apps/redis")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []string{
		".stackgen/examples/helm/values.yaml",
		".stackgen/generation-config.yaml",
		"clusters/production/apps/kustomization.yaml",
		"clusters/production/apps/redis/base/deploy.yaml",
		"clusters/production/apps/redis/labels.yaml",
		"clusters/production/apps/redis/values.yaml",
		"policies/deny.rego",
		"policies/require-labels.yaml",
	}
	if !slices.Equal(paths(got), want) {
		t.Errorf("Load paths =\n%q\nwant\n%q", paths(got), want)
	}
	for _, f := range got {
		if f.Path == "clusters/production/apps/redis/labels.yaml" && string(f.Content) != "team: infra\n" {
			t.Errorf("content of the symlinked file = %q, want %q", f.Content, "team: infra\n")
		}
	}
}

// TestLoadScanIsBestEffort: what the scan for Flux files meets (links out
// of the repository, files over the limits) never fails Load, and the
// scan stops rather than exceed the limits.
func TestScan(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mkfiles(t, outside, map[string]string{"kustomization.yaml": "secret: outside\n"})
	mkfiles(t, root, map[string]string{
		"apps/redis/values.yaml":                   "replicas: 1\n",
		"infra/a/kustomization.yaml":               "resources: []\n",
		"infra/b/kustomization.yaml":               "resources: []\n",
		"infra/b/notes.md":                         "resources: []\n",
		"infra/c/kustomization.yaml":               "kind: Kustomization\n",
		"infra/big/kustomization.yaml":             "resources: []\n" + strings.Repeat("#", 200),
		".github/kustomization.yaml":               "resources: []\n",
		"node_modules/pkg/kustomization.yaml":      "resources: []\n",
		"vendor/github.com/x/y/kustomization.yaml": "resources: []\n",
	})
	symlink(t, filepath.Join(outside, "kustomization.yaml"), filepath.Join(root, "infra/link/kustomization.yaml"))
	symlink(t, outside, filepath.Join(root, "infra/linked-dir"))
	have := []File{{Path: "infra/a/kustomization.yaml", Content: []byte("resources: []\n")}}
	name := func(rel string) bool { return path.Base(rel) == "kustomization.yaml" }
	keep := func(_ string, content []byte) bool { return strings.HasPrefix(string(content), "resources:") }

	got, err := Limits{MaxFileBytes: 100}.Scan(root, have, name, keep)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	// Not what is held already, not another name or content, not over the
	// file limit, not hidden, vendored or linked.
	if want := []string{"infra/b/kustomization.yaml"}; !slices.Equal(paths(got), want) {
		t.Errorf("Scan = %q, want %q", paths(got), want)
	}

	// At most half of the limits, have included, leaving room for what a
	// generation reads next.
	got, err = Limits{MaxFiles: 4}.Scan(root, have, name, func(string, []byte) bool { return true })
	if err != nil {
		t.Fatalf("Scan with MaxFiles 4: %v", err)
	}
	if len(got) != 1 {
		t.Errorf("Scan with MaxFiles 4 = %q, want one file", paths(got))
	}
	if _, err := (Limits{}).Scan(filepath.Join(root, "missing"), nil, name, keep); err == nil {
		t.Error("Scan of a missing root: no error")
	}
}

func TestLoadNewTargetInEmptyRepo(t *testing.T) {
	got, err := Load(t.TempDir(), "apps/redis")
	if err != nil || len(got) != 0 {
		t.Errorf("Load of an empty repository = %q, %v; want no files, nil", paths(got), err)
	}
}

func TestLoadRejects(t *testing.T) {
	outside := t.TempDir()
	mkfiles(t, outside, map[string]string{"secret.txt": "password\n", "policies/p.rego": "package x\n", "redis/values.yaml": "x\n"})

	tests := []struct {
		name    string
		setup   func(t *testing.T, root string)
		target  string
		limits  Limits
		wantErr string
		limit   bool // the error wraps ErrLimit
	}{
		{
			name: "symlinked file leading outside",
			setup: func(t *testing.T, root string) {
				symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(root, "apps/redis/secret.txt"))
			},
			target:  "apps/redis",
			wantErr: "apps/redis/secret.txt: symlink leads outside",
		},
		{
			name: "relative symlink climbing out",
			setup: func(t *testing.T, root string) {
				link := filepath.Join(root, "apps/redis/up")
				rel, err := filepath.Rel(filepath.Dir(link), outside)
				if err != nil {
					t.Fatal(err)
				}
				symlink(t, rel, link)
			},
			target:  "apps/redis",
			wantErr: "load apps/redis/up: symlink leads outside",
		},
		{
			name: "symlinked policies folder leading outside",
			setup: func(t *testing.T, root string) {
				symlink(t, filepath.Join(outside, "policies"), filepath.Join(root, "policies"))
			},
			target:  "apps/redis",
			wantErr: "load policies: symlink leads outside",
		},
		{
			name:    "symlinked target parent leading outside",
			setup:   func(t *testing.T, root string) { symlink(t, outside, filepath.Join(root, "apps")) },
			target:  "apps/redis",
			wantErr: "load apps/redis: symlink leads outside",
		},
		{
			name:    "escaping target",
			target:  "../x",
			wantErr: `invalid path "../x"`,
		},
		{
			name: "file over the per-file limit",
			setup: func(t *testing.T, root string) {
				mkfiles(t, root, map[string]string{"apps/redis/big.yaml": strings.Repeat("x", 101)})
			},
			target:  "apps/redis",
			limits:  Limits{MaxFileBytes: 100},
			wantErr: "apps/redis/big.yaml: workspace exceeds limits: file is 101 bytes, the limit is 100",
			limit:   true,
		},
		{
			name: "files over the total limit",
			setup: func(t *testing.T, root string) {
				mkfiles(t, root, map[string]string{"apps/redis/a.yaml": strings.Repeat("x", 60), "apps/redis/b.yaml": strings.Repeat("x", 60)})
			},
			target:  "apps/redis",
			limits:  Limits{MaxTotalBytes: 100},
			wantErr: "files total more than 100 bytes",
			limit:   true,
		},
		{
			name: "too many files",
			setup: func(t *testing.T, root string) {
				mkfiles(t, root, map[string]string{"apps/redis/a": "", "apps/redis/b": "", "apps/redis/c": ""})
			},
			target:  "apps/redis",
			limits:  Limits{MaxFiles: 2},
			wantErr: "more than 2 files",
			limit:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, root)
			}
			got, err := tc.limits.Load(root, tc.target)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Load = %q, %v; want an error holding %q", paths(got), err, tc.wantErr)
			}
			if got := errors.Is(err, ErrLimit); got != tc.limit {
				t.Errorf("errors.Is(%v, ErrLimit) = %v, want %v", err, got, tc.limit)
			}
		})
	}
}

func TestLoadDefaultLimits(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, map[string]string{"apps/big.yaml": strings.Repeat("x", 1<<20+1), "apps/ok.yaml": strings.Repeat("x", 1<<20)})
	_, err := Load(root, "apps")
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "apps/big.yaml") {
		t.Errorf("Load with a file of 1 MiB + 1 = %v, want an ErrLimit naming apps/big.yaml", err)
	}
	if err := os.Remove(filepath.Join(root, "apps/big.yaml")); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(root, "apps"); err != nil || len(got) != 1 {
		t.Errorf("Load with a file of exactly 1 MiB = %q, %v; want it loaded", paths(got), err)
	}
}

func TestMore(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, map[string]string{
		"clusters/production/apps/kustomization.yaml":     "resources: [web]\n",
		"clusters/production/apps/web/kustomization.yaml": "resources: []\n",
		"clusters/production/apps/web/deployment.yaml":    "kind: Deployment\n",
		"clusters/staging/kustomization.yml":              "resources: []\n",
		"components/monitoring/kustomization.yaml":        "kind: Component\n",
		"components/monitoring/patch.yaml":                "x\n",
	})
	have := []File{{Path: "clusters/production/apps/kustomization.yaml", Content: []byte("held\n")}}
	kustomizations := func(p string) bool { return strings.HasPrefix(filepath.Base(p), "kustomization.") }
	got, err := Limits{}.More(root, have, kustomizations, "clusters", "components/monitoring/patch.yaml", "absent")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"clusters/production/apps/web/kustomization.yaml", "clusters/staging/kustomization.yml", "components/monitoring/patch.yaml"}
	if !slices.Equal(paths(got), want) {
		t.Errorf("More = %q, want %q (held files not read again, named files read whatever their name)", paths(got), want)
	}

	// What the caller holds counts against the limits.
	_, err = Limits{MaxFiles: 3}.More(root, append(have, File{Path: "x"}), nil, "components")
	if !errors.Is(err, ErrLimit) {
		t.Errorf("More over MaxFiles with held files = %v, want ErrLimit", err)
	}
	if _, err := (Limits{}).More(root, nil, nil, "../up"); err == nil {
		t.Error("More of a path above the root: no error")
	}
}

func TestFollow(t *testing.T) {
	outside := t.TempDir()
	mkfiles(t, outside, map[string]string{"secret.yaml": "password\n"})
	root := t.TempDir()
	mkfiles(t, root, map[string]string{
		"apps/web/refs":            "base\n../outside\n",
		"base/refs":                "components/tls\napps/web\n",
		"base/deployment.yaml":     "kind: Deployment\n",
		"components/tls/refs":      "\n",
		"components/unused/refs":   "\n",
		"apps/web/overlays/x.yaml": "x\n",
	})
	// refs reads each "refs" file as a list of paths.
	refs := func(read []File) []string {
		var out []string
		for _, f := range read {
			if filepath.Base(f.Path) == "refs" {
				out = append(out, strings.Fields(string(f.Content))...)
			}
		}
		return out
	}
	have := []File{{Path: "apps/web/refs", Content: []byte("base\n../outside\n")}}
	got, err := Limits{}.Follow(root, have, []string{"base", "../outside"}, refs)
	if err != nil {
		t.Fatal(err)
	}
	// apps/web is named by base/refs: read, except what is held.
	want := []string{"apps/web/overlays/x.yaml", "base/deployment.yaml", "base/refs", "components/tls/refs"}
	if !slices.Equal(paths(got), want) {
		t.Errorf("Follow = %q, want %q", paths(got), want)
	}

	symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "base/secret.yaml"))
	if _, err := (Limits{}).Follow(root, nil, []string{"base"}, refs); err == nil || !strings.Contains(err.Error(), "symlink leads outside") {
		t.Errorf("Follow into a symlink leading outside = %v, want an error", err)
	}
}
