package generator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
)

// TestExampleRepositoryCatalogue generates catalogue software into the
// example repository, which deploys with Flux, through the engine: the
// result is a HelmRelease of the pinned upstream chart with its source
// (an OCIRepository for an OCI chart, a HelmRepository for an https one),
// valid, following the repository's conventions, with every reference
// resolving after the renames, a patch git applies and a parent
// kustomization that builds.
func TestExampleRepositoryCatalogue(t *testing.T) {
	const prod = "clusters/production/apps/"
	for _, tc := range []exampleCase{
		{name: "mongodb from its OCI chart", target: prod + "mongodb", component: "mongodb", summary: "MongoDB",
			intent: "MongoDB with 3 replicas, 20Gi of storage and the root password from the secret mongo-root in production", builds: "kind: OCIRepository"},
		{name: "grafana from its Helm repository", target: prod + "grafana", component: "grafana", summary: "Grafana",
			intent: "grafana with 2 replicas exposed at grafana.example.com with TLS in production", builds: "url: https://grafana-community.github.io/helm-charts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := repoWorkspace(t, tc.target, tc.format, true)
			res, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{
				Intent: tc.intent, TargetPath: tc.target, Format: tc.format, Workspace: ws}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := fact(res, "component"); got != tc.component || !strings.Contains(res.Provenance.Summary, tc.summary) {
				t.Fatalf("component %q, summary %q; want %q, %q", got, res.Provenance.Summary, tc.component, tc.summary)
			}
			hr := false
			for _, f := range res.Files {
				hr = hr || strings.Contains(string(f.Content), "kind: HelmRelease")
			}
			if !hr {
				t.Errorf("no HelmRelease among %d files", len(res.Files))
			}
			checkExample(t, ws, res, tc)
		})
	}
}
