package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// TestPolicyReleaseNamespace: a chart's objects that name no namespace are
// installed in the release's namespace, so a Kyverno policy that matches
// that namespace applies to them (it did not when they were evaluated in
// "default"), and one that matches another namespace does not.
func TestPolicyReleaseNamespace(t *testing.T) {
	chart, err := LoadPaths("helmchart/testdata/web")
	if err != nil {
		t.Fatal(err)
	}
	policy := func(name, ns string) workspace.File {
		return workspace.File{Path: "policies/" + name + ".yaml", Content: []byte(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: ` + name + `
  annotations:
    stackgen.io/ai-enforce: "true"
spec:
  validationFailureAction: Enforce
  rules:
    - name: owner
      match:
        any:
          - resources:
              kinds: [Deployment]
              namespaces: [` + ns + `]
      validate:
        message: "Deployments in ` + ns + ` need an owner label"
        pattern:
          metadata:
            labels:
              owner: "?*"
`)}
	}
	ws := []workspace.File{policy("payments-owner", "payments"), policy("shop-owner", "shop")}
	// A cluster-scoped kind aiden's list of cluster-scoped kinds lacks, and
	// a custom resource: neither is placed in the release's namespace.
	chart = append(chart, workspace.File{Path: "helmchart/testdata/web/templates/extra.yaml", Content: []byte(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: web
spec:
  controllerName: example.com/gateway
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: web
`)})
	ws = append(ws, workspace.File{Path: "policies/any-namespaced.yaml", Content: []byte(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: payments-everything
  annotations:
    stackgen.io/ai-enforce: "true"
spec:
  validationFailureAction: Enforce
  rules:
    - name: owner
      match:
        any:
          - resources:
              kinds: [GatewayClass, Widget]
              namespaces: [payments]
      validate:
        message: "needs an owner label"
        pattern:
          metadata:
            labels:
              owner: "?*"
`)})
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := v.RenderAndCheck(context.Background(), chart,
		RenderOptions{Releases: map[string]Release{"helmchart/testdata/web": {Name: "web", Namespace: "payments"}}},
		CheckOptions{Policy: true, Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	var payments, shop []Finding
	for _, f := range rep.Findings {
		switch {
		case strings.HasPrefix(f.Rule, "kyverno/payments-owner/"):
			payments = append(payments, f)
		case strings.HasPrefix(f.Rule, "kyverno/shop-owner/"):
			shop = append(shop, f)
		}
	}
	if len(payments) != 1 || payments[0].Resource != "Deployment/payments/web-web" {
		t.Errorf("payments policy findings %+v, want one on Deployment/payments/web-web", payments)
	}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Rule, "kyverno/payments-everything/") {
			t.Errorf("a cluster-scoped kind or a custom resource was placed in the release namespace: %v", f)
		}
	}
	if len(shop) != 0 {
		t.Errorf("the shop policy applied to a release in payments: %+v", shop)
	}
}
