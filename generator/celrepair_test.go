package generator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// TestModelRepairCELPolicies: the repository's policies/ holds a Kyverno
// ValidatingPolicy and a Kubernetes ValidatingAdmissionPolicy (both
// ai-enforce). The scripted model's first chart violates both; the repair
// request carries both findings (rule, object, message), and the second
// chart, which fixes them, is chosen and valid.
func TestModelRepairCELPolicies(t *testing.T) {
	srv := providertest.OpenAI(t,
		providertest.Step{Text: answer(t, "good")},
		providertest.Step{Text: providertest.JSON(providertest.Files(t, "testdata/celrepair/fixed"))},
	)
	req := request()
	req.PolicyCheck = true
	for _, name := range []string{"require-team.yaml", "no-token-automount.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "celrepair", "policies", name))
		if err != nil {
			t.Fatal(err)
		}
		req.Workspace = append(req.Workspace, workspace.File{Path: "policies/" + name, Content: b})
	}
	res, err := modelEngine(srv, nil).Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Provenance
	if len(p.Attempts) != 2 || p.Chosen != 2 {
		t.Fatalf("attempts = %d, chosen %d; want 2, 2 (first findings %v)", len(p.Attempts), p.Chosen, p.Attempts[0].Findings)
	}
	want := map[string]string{
		"kyverno/require-team-label":                "Deployments must carry a team label",
		"vap/no-token-automount/no-token-automount": "pods must not mount a service account token",
	}
	for _, f := range p.Attempts[0].Findings {
		if msg, ok := want[f.Rule]; ok && strings.Contains(f.Message, msg) && f.Severity == validators.SeverityError &&
			f.Resource == "Deployment/shop" && strings.HasSuffix(f.File, "templates/deployment.yaml") {
			delete(want, f.Rule)
		}
	}
	if len(want) > 0 {
		t.Fatalf("first attempt lacks the CEL policy errors %v: %v", want, p.Attempts[0].Findings)
	}
	repair := srv.Requests()[1].Last()
	for _, s := range []string{"kyverno/require-team-label", "Deployments must carry a team label",
		"vap/no-token-automount/no-token-automount", "automountServiceAccountToken: false"} {
		if !strings.Contains(repair, s) {
			t.Errorf("repair request lacks %q:\n%s", s, repair)
		}
	}
	if !res.Valid() {
		t.Errorf("repaired result not valid: %v", res.Report.Findings)
	}
	for _, f := range res.Report.Findings {
		if strings.HasPrefix(f.Rule, "vap/") || f.Rule == "kyverno/require-team-label" {
			t.Errorf("repaired chart still violates %s: %s", f.Rule, f.Message)
		}
	}
}
