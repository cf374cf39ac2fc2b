package planner

import (
	"context"
	"path"
	"testing"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// TestCatalogueObjectsValidate validates what a catalogue chart becomes
// in a GitOps repository — a Flux HelmRelease with its OCIRepository or
// HelmRepository, or an Argo CD Application — strictly against the Flux
// and Argo CD CRD schemas aiden ships: every object must be checked and
// valid.
func TestCatalogueObjectsValidate(t *testing.T) {
	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		intent string
		argo   bool
		kinds  []string
	}{
		{intent: "MongoDB with 3 replicas, 20Gi of storage and the root password from the secret mongo-root", kinds: []string{"HelmRelease", "OCIRepository"}},
		{intent: "grafana with 2 replicas exposed at grafana.example.com with TLS", kinds: []string{"HelmRelease", "HelmRepository"}},
		{intent: "RabbitMQ with 3 replicas exposed at rabbit.example.com with TLS", argo: true, kinds: []string{"Application"}},
		{intent: "kube-prometheus-stack with 50Gi of storage", argo: true, kinds: []string{"Application"}},
	}
	for _, tc := range cases {
		t.Run(tc.intent, func(t *testing.T) {
			plan, err := Parse(tc.intent, Hints{Format: "helm", Flux: !tc.argo, ArgoCD: tc.argo})
			if err != nil {
				t.Fatal(err)
			}
			files, err := plan.Files("helm")
			if err != nil {
				t.Fatal(err)
			}
			placed := make([]workspace.File, len(files))
			for i, f := range files {
				placed[i] = workspace.File{Path: path.Join("clusters/production/apps", plan.App, f.Path), Content: f.Content}
			}
			rep, err := v.Validate(context.Background(), placed, validators.CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if f.Severity >= validators.SeverityWarning {
					t.Errorf("finding: %s", f)
				}
			}
			for _, c := range rep.Checks {
				if c.Name == "schema" && (c.Status != validators.CheckPassed || c.Skipped != 0 || c.Checked < len(tc.kinds)) {
					t.Errorf("schema check %+v, want %d objects checked and valid", c, len(tc.kinds))
				}
			}
			docs := corpusDocs(t, files)
			for _, k := range tc.kinds {
				if !kinds(docs)[k] {
					t.Errorf("no %s", k)
				}
			}
		})
	}
}
