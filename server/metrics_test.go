package server_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/wire"
)

// scrape reads url's /metrics with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value sums the series of family name whose labels include want; for a
// histogram it sums the sample counts.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no series %s", name)
	}
	sum := 0.0
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// TestMetrics runs generations through the real handler — a model that
// is unavailable once, answers with a broken chart and then repairs it, a
// cache hit, the planner, a refused request — and checks the series a
// scrape of /metrics shows.
func TestMetrics(t *testing.T) {
	bad := providertest.JSON(providertest.Files(t, "../generator/testdata/model/charts/bad"))
	model := providertest.OpenAI(t,
		providertest.Step{Status: 503},
		providertest.Step{Text: bad},
		providertest.Step{Text: goodChart(t)},
	)
	metrics := telemetry.NewMetrics()
	mo := generator.ModelOptions{Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted-1", Backoff: time.Millisecond}
	engine := generator.New(generator.Options{Model: mo, Observer: metrics})
	h := server.New(engine, server.Options{Store: openStore(t), Metrics: metrics, MetricsPath: "/metrics"})
	planner := server.New(generator.New(generator.Options{Observer: metrics}), server.Options{Metrics: metrics})
	url := serveH2C(t, h)
	plannerURL := serveH2C(t, planner)

	ctx := context.Background()
	client := aidenv1connect.NewGenerateServiceClient(http.DefaultClient, url)
	req := &aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}
	if _, err := client.Generate(ctx, connect.NewRequest(req)); err != nil {
		t.Fatalf("model generation: %v", err)
	}
	// The same request again is answered from the cache.
	if _, err := client.Generate(ctx, connect.NewRequest(req)); err != nil {
		t.Fatalf("cached generation: %v", err)
	}
	cli := connect.NewRequest(&aidenv1.GenerateRequest{Intent: "Deploy a Redis cluster with 3 replicas in production", TargetPath: "apps/redis"})
	cli.Header().Set(wire.HeaderClient, "cli")
	if _, err := aidenv1connect.NewGenerateServiceClient(http.DefaultClient, plannerURL).Generate(ctx, cli); err != nil {
		t.Fatalf("planner generation: %v", err)
	}
	_, err := client.Generate(ctx, connect.NewRequest(&aidenv1.GenerateRequest{TargetPath: "apps/x"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("empty intent: %v, want invalid_argument", err)
	}
	if _, err := http.Get(url + "/generations/gen_0000000000000000.patch"); err != nil {
		t.Fatal(err)
	}

	fams := scrape(t, url)
	for name := range fams {
		if !strings.HasPrefix(name, "aiden_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") &&
			!strings.HasPrefix(name, "promhttp_") {
			t.Errorf("series %s lacks the aiden_ prefix", name)
		}
	}
	gen := aidenv1connect.GenerateServiceGenerateProcedure
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"aiden_requests_total", map[string]string{"procedure": gen, "door": "rpc", "code": "ok"}, 2},
		{"aiden_requests_total", map[string]string{"procedure": gen, "door": "cli", "code": "ok"}, 1},
		{"aiden_requests_total", map[string]string{"procedure": gen, "door": "rpc", "code": "invalid_argument"}, 1},
		{"aiden_requests_total", map[string]string{"procedure": "/generations/{id}.patch", "door": "http", "code": "not_found"}, 1},
		{"aiden_request_duration_seconds", map[string]string{"procedure": gen}, 4},
		{"aiden_generations_total", map[string]string{"door": "rpc", "author": "model", "outcome": "valid"}, 2},
		{"aiden_generations_total", map[string]string{"door": "cli", "author": "planner", "outcome": "valid"}, 1},
		{"aiden_generations_in_flight", nil, 0},
		{"aiden_model_attempts_total", nil, 2},
		{"aiden_model_retries_total", nil, 1},
		{"aiden_model_calls_total", map[string]string{"result": "error"}, 1},
		{"aiden_model_calls_total", map[string]string{"result": "ok"}, 2},
		{"aiden_model_call_duration_seconds", nil, 3},
		{"aiden_model_repair_rounds_total", map[string]string{"outcome": "valid"}, 1},
		{"aiden_generation_cache_hits_total", nil, 1},
		{"aiden_stage_duration_seconds", map[string]string{"stage": "context"}, 3},
		{"aiden_stage_duration_seconds", map[string]string{"stage": "plan"}, 3},
		{"aiden_stage_duration_seconds", map[string]string{"stage": "render"}, 3},
		{"aiden_stage_duration_seconds", map[string]string{"stage": "validate"}, 3},
		{"aiden_stage_duration_seconds", map[string]string{"stage": "patch"}, 2},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if in := value(t, fams, "aiden_model_tokens_total", map[string]string{"direction": "in"}); in <= 0 {
		t.Errorf("aiden_model_tokens_total{direction=in} = %v, want > 0", in)
	}
	if out := value(t, fams, "aiden_model_tokens_total", map[string]string{"direction": "out"}); out <= 0 {
		t.Errorf("aiden_model_tokens_total{direction=out} = %v, want > 0", out)
	}
	if _, ok := fams["process_resident_memory_bytes"]; !ok {
		t.Error("no process_resident_memory_bytes")
	}
	// The broken chart's findings were repaired; the planner's Redis
	// chart has policy findings below error only if the checks say so —
	// every finding counted has a check and severity from the fixed sets.
	if f, ok := fams["aiden_findings_total"]; ok {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "severity" && l.GetValue() != "info" && l.GetValue() != "warning" && l.GetValue() != "error" {
					t.Errorf("finding severity %q", l.GetValue())
				}
			}
		}
	}
	// No label holds an intent or a path as sent.
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "shop") || strings.Contains(l.GetValue(), "gen_") {
					t.Errorf("%s label %s=%q holds request data", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestFindingsMetric: the unfixed findings of the files returned are
// counted by check and severity, with policy ids folded into "policy".
func TestFindingsMetric(t *testing.T) {
	metrics := telemetry.NewMetrics()
	res := &generator.Result{Provenance: generator.Provenance{Generator: "planner"}, Validated: true}
	res.Report.Findings = []validators.Finding{
		{Rule: "schema", Severity: validators.SeverityError},
		{Rule: "kyverno/require-labels/check", Severity: validators.SeverityWarning},
		{Rule: "no-latest-tag", Severity: validators.SeverityWarning},
		{Rule: "conventions/labels", Severity: validators.SeverityWarning, Fixed: true},
	}
	metrics.Generation("rpc", res, nil)
	gathered, err := metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	fams := map[string]*dto.MetricFamily{}
	for _, f := range gathered {
		fams[f.GetName()] = f
	}
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"check": "schema", "severity": "error"}, 1},
		{map[string]string{"check": "policy", "severity": "warning"}, 2},
		{map[string]string{"check": "conventions"}, 0},
	} {
		if got := value(t, fams, "aiden_findings_total", c.labels); got != c.want {
			t.Errorf("aiden_findings_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := value(t, fams, "aiden_generations_total", map[string]string{"outcome": "findings"}); got != 1 {
		t.Errorf("generations with findings = %v, want 1", got)
	}
	for rule, want := range map[string]string{
		"schema": "schema", "kyverno/require-labels/check": "policy", "conventions/labels": "conventions",
		"no-latest-tag": "policy", "terraform/too-deep": "terraform", "render": "render",
	} {
		if got := telemetry.CheckOf(rule); got != want {
			t.Errorf("CheckOf(%q) = %q, want %q", rule, got, want)
		}
	}
}

// serveH2C serves h over h2c on loopback until the test ends.
func serveH2C(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPServer("", h)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
