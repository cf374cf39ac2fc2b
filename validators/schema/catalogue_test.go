package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// TestCatalogue checks the shipped sets: each says its version, source
// and a licence aiden may ship, and the kinds issue 19 names are there,
// each from the set it should come from.
func TestCatalogue(t *testing.T) {
	sets, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) < 30 || sets[0].Name != "kubernetes" {
		t.Fatalf("got %d sets starting with %q, want the Kubernetes set and the catalogue", len(sets), sets[0].Name)
	}
	for _, s := range sets {
		if s.Version == "" || s.Source == "" || len(s.Kinds) == 0 || s.License != "Apache-2.0" && s.License != "MIT" {
			t.Errorf("set %s: version %q, source %q, licence %q, %d kinds", s.Name, s.Version, s.Source, s.License, len(s.Kinds))
		}
	}
	for kind, want := range map[string]string{
		"cert-manager.io/v1/ClusterIssuer":                      "cert-manager",
		"cert-manager.io/v1/Certificate":                        "cert-manager",
		"gateway.networking.k8s.io/v1/GatewayClass":             "gateway-api",
		"gateway.networking.k8s.io/v1/HTTPRoute":                "gateway-api", // standard before experimental
		"gateway.networking.k8s.io/v1alpha2/TLSRoute":           "gateway-api-experimental",
		"source.extensions.fluxcd.io/v1beta1/ArtifactGenerator": "flux-source-watcher",
		"helm.toolkit.fluxcd.io/v2/HelmRelease":                 "flux-helm",
		"helm.toolkit.fluxcd.io/v2beta2/HelmRelease":            "flux-2.7-helm", // dropped by helm-controller 1.6
		"flagger.app/v1beta1/Canary":                            "flagger",
		"external-secrets.io/v1/ExternalSecret":                 "external-secrets",
		"bitnami.com/v1alpha1/SealedSecret":                     "sealed-secrets",
		"argoproj.io/v1alpha1/Application":                      "argo-cd",
		"argoproj.io/v1alpha1/Rollout":                          "argo-rollouts",
		"monitoring.coreos.com/v1/ServiceMonitor":               "prometheus-operator",
		"kafka.strimzi.io/v1/Kafka":                             "strimzi",
		"kafka.strimzi.io/v1beta2/Kafka":                        "strimzi-0", // Strimzi 1.0 moved to v1
		"policy.linkerd.io/v1beta3/Server":                      "linkerd",
		"linkerd.io/v1alpha2/ServiceProfile":                    "linkerd",
		"apps/v1/Deployment":                                    "kubernetes",
	} {
		found, err := FindKind(kind)
		if err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if len(found) != 1 || found[0].Set != want {
			t.Errorf("%s: got %+v, want from %s", kind, found, want)
		}
	}
	if _, err := FindKind("NoSuchKind"); err == nil {
		t.Error("FindKind(NoSuchKind): got no error")
	}
}

// TestFallbackVersions validates objects of API versions only the
// fallback sets keep, strictly.
func TestFallbackVersions(t *testing.T) {
	v, err := New(Options{Strict: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Validate(context.Background(), []workspace.File{{Path: "old.yaml", Content: []byte(`apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata: {name: redis}
spec:
  interval: 10m
  chart:
    spec:
      chart: redis
      sourceRef: {kind: HelmRepository, name: bitnami}
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata: {name: bitnami}
spec:
  interval: 1h
  url: https://charts.bitnami.com/bitnami
  colour: blue
`)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Status != Valid || rs[1].Status != Invalid ||
		!strings.Contains(rs[1].Errors[0].Message, "colour") || rs[1].Errors[0].Line != 17 {
		t.Errorf("got %+v, want a valid v2beta2 HelmRelease and a v1beta2 HelmRepository invalid at line 17", rs)
	}
}

// TestLinkerdKinds validates Linkerd objects against the set rendered from
// the linkerd-crds chart, strictly: a Server and a ServiceProfile as
// Linkerd's documentation writes them are valid, a Server with a selector
// of the wrong type and a field Linkerd does not define is not.
func TestLinkerdKinds(t *testing.T) {
	v, err := New(Options{Strict: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Validate(context.Background(), []workspace.File{{Path: "mesh.yaml", Content: []byte(`apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: web-http, namespace: emojivoto}
spec:
  podSelector:
    matchLabels: {app: web-svc}
  port: http
  proxyProtocol: HTTP/1
---
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web-svc.emojivoto.svc.cluster.local, namespace: emojivoto}
spec:
  routes:
  - name: GET /api/list
    condition: {method: GET, pathRegex: /api/list}
    isRetryable: true
  retryBudget: {retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s}
---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: broken, namespace: emojivoto}
spec:
  podSelector:
    matchLabels: web-svc
  port: http
  protocol: HTTP/1
`)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("got %d results, want 3", len(rs))
	}
	for i, want := range []Status{Valid, Valid, Invalid} {
		if rs[i].Status != want {
			t.Errorf("%s: got %s (%s %+v), want %s", rs[i].Resource(), rs[i].Status, rs[i].Message, rs[i].Errors, want)
		}
	}
	var text []string
	for _, e := range rs[2].Errors {
		text = append(text, e.Path+" "+e.Message)
	}
	all := strings.Join(text, "; ")
	for _, want := range []string{"/spec/podSelector/matchLabels", "protocol"} {
		if !strings.Contains(all, want) {
			t.Errorf("broken Server: no error naming %s; got %s", want, all)
		}
	}
}
