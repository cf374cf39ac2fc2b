package slack

import (
	"errors"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
)

func TestResultText(t *testing.T) {
	short := "--- /dev/null\n+++ b/apps/x/Chart.yaml\n@@ -0,0 +1 @@\n+name: x\n"
	long := strings.Repeat(short, 100)
	req := generator.Request{TargetPath: "apps/x"}
	res := func(patch string) *generator.Result {
		return &generator.Result{
			Patch:     []byte(patch),
			Validated: true,
			Report: validators.Report{Findings: []validators.Finding{
				{File: "apps/x/deploy.yaml", Rule: "schema", Severity: validators.SeverityError, Message: "spec.replicas: expected integer"},
			}},
			Provenance: generator.Provenance{Summary: "Web service"},
		}
	}
	tests := []struct {
		name      string
		publicURL string
		res       *generator.Result
		err       error
		want      []string
	}{
		{name: "short patch inline", res: res(short), want: []string{"```\n" + short + "```", "1 errors remain", "spec.replicas: expected integer", "Web service"}},
		{name: "long patch linked", publicURL: "https://aiden.example/", res: res(long), want: []string{"<https://aiden.example/generations/gen_1.patch|gen_1.patch>"}},
		{name: "long patch without a public URL", res: res(long), want: []string{"aiden show gen_1 --patch"}},
		{name: "failure", err: errors.New("plan: not covered"), want: []string{":x: Generation `gen_1` failed: plan: not covered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(nil, Options{SigningSecret: "s", PublicURL: tt.publicURL})
			got := h.resultText("gen_1", req, tt.res, tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("message lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
