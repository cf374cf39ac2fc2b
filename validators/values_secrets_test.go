package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// Probe (issue 12): credentials in a chart's values.yaml were not flagged
// even with --policy-check, although docs/policies.md says they are.
func TestProbeChartValuesCredentialsFlagged(t *testing.T) {
	v, err := New(Options{CacheDir: t.TempDir(), Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	chart := "apps/api"
	files := []workspace.File{
		{Path: chart + "/Chart.yaml", Content: []byte("apiVersion: v2\nname: api\nversion: 0.1.0\n")},
		// Neither value is used by a template, so nothing renders them.
		{Path: chart + "/values.yaml", Content: []byte("replicaCount: 1\ndatabase:\n  host: db\n  password: \"S3cr3tP4ssw0rd!\"\n")},
		{Path: chart + "/values-production.yaml", Content: []byte("apiKey: sk_live_51HqLyjWDarjtT1zdp7dcXWmHqLyjWDarjtT1zdp7dc\n")},
		{Path: chart + "/charts/sub/Chart.yaml", Content: []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")},
		{Path: chart + "/charts/sub/values.yaml", Content: []byte("token: ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n")},
		{Path: chart + "/templates/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n  namespace: apps\ndata:\n  host: {{ .Values.database.host | quote }}\n")},
	}
	rep, err := v.Validate(context.Background(), files, CheckOptions{Policy: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{chart + "/values.yaml": 4, chart + "/values-production.yaml": 1, chart + "/charts/sub/values.yaml": 1}
	got := map[string]int{}
	for _, f := range rep.Findings {
		if f.Rule != "credential-literal" {
			continue
		}
		got[f.File] = f.Line
		if f.Severity != SeverityError {
			t.Errorf("%s:%d severity %s, want error", f.File, f.Line, f.Severity)
		}
		if strings.Contains(f.Message, "S3cr3t") || strings.Contains(f.Message, "ghp_AbCd") {
			t.Errorf("finding message %q carries the secret", f.Message)
		}
	}
	for file, line := range want {
		if got[file] != line {
			t.Errorf("credential-literal in %s at line %d: got line %d (findings %v)", file, line, got[file], rep.Findings)
		}
	}

	// Without policy checks the values are not scanned.
	rep, err = v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Rule == "credential-literal" {
			t.Errorf("policy off: unexpected %v", f)
		}
	}
}
