package schema

import (
	"context"
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
