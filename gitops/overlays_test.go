package gitops

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
)

const overlayKustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base/podinfo
patches:
  - path: podinfo-values.yaml
    target:
      kind: HelmRelease
# production only
namePrefix: ""
`

const podinfoPatch = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  values: {}
`

func TestRegisterOverlay(t *testing.T) {
	ws := []workspace.File{
		{Path: "apps/production/kustomization.yaml", Content: []byte(overlayKustomization)},
		{Path: "apps/production/podinfo-values.yaml", Content: []byte(podinfoPatch)},
	}
	got, changed, err := RegisterOverlay(ws, "apps/production", "apps/base/redis",
		&Patch{Path: "apps/production/redis-values.yaml", Kind: "HelmRelease", Name: "redis"})
	if err != nil || !changed {
		t.Fatalf("RegisterOverlay: changed %v, %v", changed, err)
	}
	want := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base/podinfo
  - ../base/redis
patches:
  - path: podinfo-values.yaml
    target:
      kind: HelmRelease
      name: podinfo
  - path: redis-values.yaml
    target:
      kind: HelmRelease
      name: redis
# production only
namePrefix: ""
`
	if string(got.Content) != want {
		t.Errorf("got\n%s\nwant\n%s", got.Content, want)
	}
	// Registering again changes nothing.
	ws[0].Content = got.Content
	if _, changed, err := RegisterOverlay(ws, "apps/production", "apps/base/redis",
		&Patch{Path: "apps/production/redis-values.yaml", Kind: "HelmRelease", Name: "redis"}); changed || err != nil {
		t.Errorf("second registration: changed %v, %v", changed, err)
	}
	if _, changed, err := RegisterOverlay(ws, "apps/dev", "apps/base/redis", nil); changed || err != nil {
		t.Errorf("overlay without kustomization: changed %v, %v", changed, err)
	}
	// Without patches, the list is added at the end.
	plain := []workspace.File{{Path: "tenants/staging/kustomization.yaml", Content: []byte("resources:\n  - ../base/dev-team\n")}}
	got, _, err = RegisterOverlay(plain, "tenants/staging", "tenants/base/ops", &Patch{Path: "tenants/staging/ops-patch.yaml", Kind: "Kustomization", Name: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "resources:\n  - ../base/dev-team\n  - ../base/ops\npatches:\n  - path: ops-patch.yaml\n    target:\n      kind: Kustomization\n      name: ops\n"; string(got.Content) != want {
		t.Errorf("got\n%s\nwant\n%s", got.Content, want)
	}
	if _, _, err := RegisterOverlay([]workspace.File{{Path: "a/kustomization.yaml", Content: []byte("resources: [\n")}}, "a", "b/c", nil); err == nil || !strings.Contains(err.Error(), "a/kustomization.yaml") {
		t.Errorf("broken kustomization: %v", err)
	}
}

func TestShapeAndSplitValues(t *testing.T) {
	l := genconfig.Layout{Files: map[string]string{"HelmRelease": "release.yaml", "HelmRepository": "repository.yaml", "Namespace": "namespace.yaml"}, NamespaceObject: true}
	files := []workspace.File{
		{Path: "apps/base/redis/helmrelease.yaml", Content: []byte("# Redis.\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n  namespace: redis\nspec:\n  interval: 10m\n  values:\n    replica:\n      replicaCount: 3\n")},
		{Path: "apps/base/redis/helmrepository.yaml", Content: []byte("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: redis\nspec:\n  url: https://charts.bitnami.com/bitnami\n")},
		{Path: "apps/base/redis/kustomization.yaml", Content: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - helmrelease.yaml\n  - helmrepository.yaml\n")},
	}
	out := Shape(l, "apps/base/redis", "redis", files)
	byPath := map[string]string{}
	for _, f := range out {
		byPath[f.Path] = string(f.Content)
	}
	if k := byPath["apps/base/redis/kustomization.yaml"]; k != "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: redis\nresources:\n  - namespace.yaml\n  - repository.yaml\n  - release.yaml\n" {
		t.Errorf("kustomization:\n%s", k)
	}
	if byPath["apps/base/redis/namespace.yaml"] != "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: redis\n" || byPath["apps/base/redis/release.yaml"] == "" {
		t.Errorf("files: %v", byPath)
	}
	rel, patch, name, ok, err := SplitValues(workspace.File{Path: "apps/base/redis/release.yaml", Content: []byte(byPath["apps/base/redis/release.yaml"])}, "apps/production/redis-values.yaml")
	if err != nil || !ok || name != "redis" {
		t.Fatalf("SplitValues: %v %v %q", ok, err, name)
	}
	if strings.Contains(string(rel.Content), "values") || !strings.Contains(string(rel.Content), "# Redis.") {
		t.Errorf("release keeps its values or lost its comment:\n%s", rel.Content)
	}
	if want := "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n  namespace: redis\nspec:\n  values:\n    replica:\n      replicaCount: 3\n"; string(patch.Content) != want {
		t.Errorf("patch:\n%s\nwant\n%s", patch.Content, want)
	}
	if _, _, _, ok, _ := SplitValues(rel, "x.yaml"); ok {
		t.Error("split a HelmRelease without values")
	}
}
