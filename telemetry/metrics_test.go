package telemetry_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/validators"
)

// TestDashboardAndDocsMatchMetrics: every aiden_ series the Grafana
// dashboard queries exists, and docs/operations.md names every one.
func TestDashboardAndDocsMatchMetrics(t *testing.T) {
	m := telemetry.NewMetrics()
	// Touch every series once so that each family is gathered.
	m.Request("/aiden.v1.GenerateService/Generate", "rpc", "ok", time.Millisecond)
	m.Begin()
	m.End()
	res := &generator.Result{Validated: true, Provenance: generator.Provenance{Generator: "model", Cached: true}}
	res.Report.Findings = []validators.Finding{{Rule: "schema", Severity: validators.SeverityError}}
	m.Generation("rpc", res, nil)
	m.Generation("rpc", nil, &generator.ModelError{Err: errors.New("bad"), Attempts: []generator.Attempt{{Number: 1, Retries: 1}, {Number: 2}}})
	m.StoreError("begin")
	m.Recovered(1)
	m.DatabaseUp(true)
	m.Stage(context.Background(), generator.StageContext, time.Now(), time.Millisecond)
	_, end := m.ModelCall(context.Background(), "m")
	end(nil)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}

	dash, err := os.ReadFile("../deploy/grafana/aiden.json")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`aiden_[a-z_]+`).FindAllString(string(dash), -1)
	if len(used) == 0 {
		t.Fatal("the dashboard queries no aiden_ series")
	}
	for _, name := range used {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			base = strings.TrimSuffix(base, suffix)
		}
		if !have[base] {
			t.Errorf("the dashboard queries %s, which aiden does not export", name)
		}
	}

	docs, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range have {
		if strings.HasPrefix(name, "aiden_") && !strings.Contains(string(docs), "`"+name+"`") {
			t.Errorf("docs/operations.md does not name %s", name)
		}
	}
}
