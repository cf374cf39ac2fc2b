package schema

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// TestFluxKinds checks that the Flux kinds aiden writes are validated
// against the embedded CRD schemas, strictly, not skipped.
func TestFluxKinds(t *testing.T) {
	const manifests = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: redis
      version: "19.6.x"
      sourceRef: {kind: HelmRepository, name: bitnami}
  values:
    architecture: replication
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: bitnami
spec:
  interval: 1h
  url: https://charts.bitnami.com/bitnami
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: broken
spec:
  interval: often
  chart:
    spec:
      chart: redis
      sourceRef: {kind: ConfigMap, name: bitnami}
  valuez: {}
`
	v, err := New(Options{Strict: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Validate(context.Background(), []workspace.File{{Path: "apps/redis.yaml", Content: []byte(manifests)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("got %d results, want 3", len(rs))
	}
	for i, want := range []Status{Valid, Valid, Invalid} {
		if rs[i].Status != want {
			t.Errorf("%s: got %s (%s %v), want %s", rs[i].Resource(), rs[i].Status, rs[i].Message, rs[i].Errors, want)
		}
	}
	paths := map[string]bool{}
	for _, e := range rs[2].Errors {
		paths[e.Path] = true
	}
	for _, p := range []string{"/spec/interval", "/spec/chart/spec/sourceRef/kind", "/spec"} {
		if !paths[p] {
			t.Errorf("broken HelmRelease: no error at %s; got %+v", p, rs[2].Errors)
		}
	}
}

// TestFluxKustomization checks Flux's own Kustomization kind, which every
// Flux repository's clusters/ folder holds, against kustomize-controller's
// CRD.
func TestFluxKustomization(t *testing.T) {
	const manifests = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/production/apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: broken
spec:
  interval: 10m
  path: ./apps
  prune: maybe
  sourceRef: {kind: HelmRepository, name: flux-system}
`
	v, err := New(Options{Strict: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Validate(context.Background(), []workspace.File{{Path: "clusters/production/apps.yaml", Content: []byte(manifests)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Status != Valid || rs[1].Status != Invalid {
		t.Fatalf("got %+v, want one valid and one invalid Kustomization", rs)
	}
	paths := map[string]bool{}
	for _, e := range rs[1].Errors {
		paths[e.Path] = true
	}
	for _, p := range []string{"/spec/prune", "/spec/sourceRef/kind"} {
		if !paths[p] {
			t.Errorf("broken Kustomization: no error at %s; got %+v", p, rs[1].Errors)
		}
	}
}

// TestKyvernoPolicies validates the Kyverno project's own policies
// (../shared/corpora/kyverno-policies) against the embedded Kyverno CRDs:
// every one is valid in strict mode, and a policy with a mistyped field
// and a wrong enum value is not.
func TestKyvernoPolicies(t *testing.T) {
	root := filepath.Join(filepath.Dir(fixturesDir(t)), "kyverno-policies")
	// A policy is <name>/<name>.yaml, one or two folders down.
	var paths []string
	for _, pattern := range []string{"*/*/*.yaml", "*/*/*/*.yaml"} {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			if strings.TrimSuffix(filepath.Base(m), ".yaml") == filepath.Base(filepath.Dir(m)) {
				paths = append(paths, m)
			}
		}
	}
	if len(paths) < 39 {
		t.Fatalf("found %d policies under %s, want the corpus's 39", len(paths), root)
	}
	var files []workspace.File
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, workspace.File{Path: filepath.ToSlash(rel), Content: b})
	}
	files = append(files, workspace.File{Path: "broken.yaml", Content: []byte(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: broken
spec:
  validationFailureAction: Sometimes
  rulez: []
`)})
	v, err := New(Options{Strict: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Validate(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	valid := 0
	for _, r := range rs {
		switch {
		case r.File == "broken.yaml":
			if r.Status != Invalid {
				t.Errorf("broken policy: got %s, want invalid", r.Status)
			}
		case r.Status == Valid:
			valid++
		default:
			t.Errorf("%s %s: %s %s %v", r.File, r.Resource(), r.Status, r.Message, r.Errors)
		}
	}
	if valid < len(paths) {
		t.Errorf("%d policies valid, want every one of the corpus's", valid)
	}
}
