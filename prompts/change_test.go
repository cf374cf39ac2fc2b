package prompts

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

func TestChangeGolden(t *testing.T) {
	for _, kind := range []string{"helm", "kustomize", "terraform"} {
		p, err := Change(ChangeInput{
			Intent:            "add an HPA to the api: between 2 and 6 replicas at 75% CPU",
			Kind:              kind,
			TargetPath:        "clusters/production/apps/api",
			Environment:       "production",
			KubernetesVersion: "1.35.4",
			Conventions:       "labels:\n  required: [team]",
			Policies:          []string{"no image uses the :latest tag"},
			Files: []workspace.File{
				{Path: "Chart.yaml", Content: []byte("apiVersion: v2\nname: api\nversion: 0.1.0\n")},
				{Path: "values.yaml", Content: []byte("# hand: three at least\nreplicaCount: 3\nimage:\n  repository: ghcr.io/acme/api\n  tag: \"1.4.2\"\n")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "change-system-"+kind+".golden", p.System)
		if kind == "helm" {
			golden(t, "change-user.golden", p.User)
		}
		for _, want := range []string{"List only the files you change", "Never remove a comment"} {
			if !strings.Contains(p.System, want) {
				t.Errorf("%s system prompt lacks %q", kind, want)
			}
		}
		if !strings.Contains(p.User, "--- values.yaml\n# hand: three at least\n") {
			t.Errorf("user prompt lacks the app's files:\n%s", p.User)
		}
	}
}
