package review

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
)

// deployment is a Deployment of name with replicas and a pinned image.
func deployment(name, replicas string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: shop
spec:
  replicas: ` + replicas + `
  selector:
    matchLabels:
      app: ` + name + `
  template:
    metadata:
      labels:
        app: ` + name + `
    spec:
      containers:
        - name: app
          image: nginx:1.27.0
`
}

// The base is written through the repository's filters as a checkout
// writes it: a clean/smudge pair (here one that swaps the digits 2 and 3,
// so the blob says replicas 3 where the work tree says 2) changes nothing
// when nothing changed.
func TestBaseThroughGitFilters(t *testing.T) {
	r := newRepo(t)
	r.git("config", "filter.swap.clean", "tr 23 32")
	r.git("config", "filter.swap.smudge", "tr 23 32")
	r.write(map[string]string{
		".gitattributes":           "*.yaml filter=swap\n",
		"apps/web/deployment.yaml": deployment("web", "2"),
	})
	r.commit("base")
	if blob := r.git("cat-file", "-p", "HEAD:apps/web/deployment.yaml"); !strings.Contains(blob, "replicas: 3") {
		t.Fatalf("the clean filter did not run: %s", blob)
	}
	rev := r.review("main")
	if len(rev.ChangedFiles) != 0 || len(rev.Units) != 0 || len(rev.Findings.New) != 0 || len(rev.Findings.Fixed) != 0 {
		t.Errorf("changed files %v, units %+v, findings %+v; want none: nothing changed", rev.ChangedFiles, rev.Units, rev.Findings)
	}
	r.edit("apps/web/deployment.yaml", "replicas: 2", "replicas: 4")
	rev = r.review("main")
	if got := fieldOf(t, unit(t, rev, "apps/web").Objects[0], "/spec/replicas"); got.Before != "2" || got.After != "4" {
		t.Errorf("replicas = %+v; want 2 -> 4", got)
	}
}

// A tracked file reached through a folder the work tree replaced by a
// symbolic link (here to a folder outside the repository) is no part of
// the head: the review reads the repository's files only.
func TestHeadSkipsASymlinkedFolder(t *testing.T) {
	r := newRepo(t)
	r.write(map[string]string{"apps/web/deployment.yaml": deployment("web", "2")})
	r.commit("base")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "deployment.yaml"), []byte(deployment("web", "7")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(r.dir, "apps/web")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(r.dir, "apps/web")); err != nil {
		t.Fatal(err)
	}
	rev := r.review("main")
	for _, u := range rev.Units {
		for _, o := range u.Objects {
			if o.Change != Removed {
				t.Errorf("unit %s object %s %s; want only removals: the head has no apps/web/deployment.yaml of its own", u.Path, o.Object, o.Change)
			}
		}
	}
}

// A path git ignores (or reaches only through a symbolic link) is no part
// of either side: reviewing it is an error that says why, not an empty
// review.
func TestIgnoredPathIsAnError(t *testing.T) {
	r := newRepo(t)
	r.write(map[string]string{"apps/web/deployment.yaml": deployment("web", "2")})
	r.commit("base")
	r.write(map[string]string{
		".git/info/exclude":           "scratch/\n",
		"scratch/web/deployment.yaml": deployment("web", "7"),
	})
	_, err := Run(context.Background(), Options{Engine: generator.New(generator.Options{}), Dir: r.dir, Base: "main", Paths: []string{filepath.Join(r.dir, "scratch")}})
	if err == nil || !strings.Contains(err.Error(), "path scratch is ignored by git or is a symbolic link") {
		t.Errorf("ignored path: %v", err)
	}
	// An empty folder: git lists nothing in it, and says so.
	if err := os.MkdirAll(filepath.Join(r.dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Options{Engine: generator.New(generator.Options{}), Dir: r.dir, Base: "main", Paths: []string{filepath.Join(r.dir, "empty")}})
	if err == nil || !strings.Contains(err.Error(), "path empty is an empty folder") {
		t.Errorf("empty folder: %v", err)
	}
	// A folder the change stops tracking (and ignores) is reviewed as
	// deleted.
	r.git("rm", "-r", "-q", "--cached", "apps")
	r.write(map[string]string{".git/info/exclude": "apps/\n"})
	rev := r.review("main", filepath.Join(r.dir, "apps"))
	if u := unit(t, rev, "apps/web"); len(u.Objects) != 1 || u.Objects[0].Change != Removed {
		t.Errorf("untracked folder: %+v", u)
	}
}

// A sparse checkout leaves tracked files out of the work tree; the head
// still holds them, as the index does: they are not removed.
func TestSparseCheckoutKeepsTheIndexsFiles(t *testing.T) {
	r := newRepo(t)
	r.write(map[string]string{
		"apps/web/deployment.yaml": deployment("web", "2"),
		"apps/api/deployment.yaml": deployment("api", "2"),
	})
	r.commit("base")
	r.git("sparse-checkout", "set", "--no-cone", "/apps/web/")
	if _, err := os.Stat(filepath.Join(r.dir, "apps/api/deployment.yaml")); err == nil {
		t.Fatal("the sparse checkout kept apps/api")
	}
	rev := r.review("main")
	if len(rev.Units) != 0 || len(rev.Findings.Fixed) != 0 {
		t.Errorf("units %+v, fixed %v; want none: nothing changed", rev.Units, rev.Findings.Fixed)
	}
}

// An error an inline patch writes, moved from the staging overlay to the
// production one of the same base (objects named alike in both, as in
// flux2-kustomize-helm-example), is one new finding and one fixed: the
// two overlays are two chains, and the finding is not matched across
// them.
func TestFindingMovedAcrossClustersIsNew(t *testing.T) {
	r := newRepo(t)
	latest := `resources: [../../../base/web]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: nginx:latest
`
	plain := "resources: [../../../base/web]\n"
	r.write(map[string]string{
		"base/web/kustomization.yaml":                "resources: [deployment.yaml]\n",
		"base/web/deployment.yaml":                   deployment("web", "2"),
		"clusters/staging/web/kustomization.yaml":    latest,
		"clusters/production/web/kustomization.yaml": plain,
	})
	r.commit("base")
	r.write(map[string]string{
		"clusters/staging/web/kustomization.yaml":    plain,
		"clusters/production/web/kustomization.yaml": latest,
	})
	rev := r.review("main")
	var added, fixed []string
	for _, f := range rev.Findings.New {
		if f.Rule == "image-tag" {
			added = append(added, f.File)
		}
	}
	for _, f := range rev.Findings.Fixed {
		if f.Rule == "image-tag" {
			fixed = append(fixed, f.File)
		}
	}
	if len(added) != 1 || added[0] != "clusters/production/web/kustomization.yaml" || len(fixed) != 1 || fixed[0] != "clusters/staging/web/kustomization.yaml" {
		t.Errorf("image-tag findings new %v, fixed %v; want one new in production, one fixed in staging (all new %+v)", added, fixed, rev.Findings.New)
	}
}

// A git error wraps git's exit error and carries git's message.
func TestGitErrorWrapsTheExitError(t *testing.T) {
	r := newRepo(t)
	_, err := git(context.Background(), r.dir, "rev-parse", "--verify", "no-such-revision")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(err.Error(), "fatal: Needed a single revision") {
		t.Errorf("error %v (%T); want one that wraps *exec.ExitError and says git's message", err, err)
	}
}

// The base is written through the .gitattributes of the base commit, not
// the work tree's: a change that only starts filtering files (here a
// clean/smudge pair that swaps 2 and 3, added with the attributes file)
// changes no object.
func TestBaseReadsItsOwnAttributes(t *testing.T) {
	r := newRepo(t)
	r.git("config", "filter.swap.clean", "tr 23 32")
	r.git("config", "filter.swap.smudge", "tr 23 32")
	r.write(map[string]string{"apps/web/deployment.yaml": deployment("web", "2")})
	r.commit("base")
	r.write(map[string]string{".gitattributes": "*.yaml filter=swap\n"})
	rev := r.review("main")
	for _, u := range rev.Units {
		for _, o := range u.Objects {
			t.Errorf("unit %s object %s %s; want none: only .gitattributes changed", u.Path, o.Object, o.Change)
		}
	}
}
