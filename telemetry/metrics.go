// Package telemetry holds what aiden serve tells operators about itself:
// Prometheus metrics (Metrics), and the Observer the generator reports its
// stages and model calls to. Names follow Prometheus conventions (the
// aiden_ prefix, _total for counters, _seconds for durations) and every
// label has a small, fixed set of values: never an intent, a path or a
// caller. docs/operations.md lists the series.
package telemetry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stackgen/aiden/generator"
)

// Metrics are one server's Prometheus metrics, in a registry of their own
// (with the Go runtime and process collectors). The zero value is not
// usable; a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	generations     *prometheus.CounterVec
	inFlight        prometheus.Gauge
	stageSeconds    *prometheus.HistogramVec
	modelCalls      *prometheus.CounterVec
	modelSeconds    prometheus.Histogram
	modelAttempts   prometheus.Counter
	modelTokens     *prometheus.CounterVec
	modelRetries    prometheus.Counter
	repairs         *prometheus.CounterVec
	cacheHits       prometheus.Counter
	findings        *prometheus.CounterVec
	storeErrors     *prometheus.CounterVec
	recoveredTotal  prometheus.Counter
	databaseHealthy prometheus.Gauge
}

// Buckets of the duration histograms: a stage takes milliseconds (the
// planner) to minutes (a model's repair loop).
var (
	stageBuckets   = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	requestBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
)

// NewMetrics returns the metrics, registered in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_requests_total",
			Help: "Requests answered, by procedure (an RPC's full name, or a door's route), door (rpc, cli, chat, mcp, http) and code (ok or a Connect error code).",
		}, []string{"procedure", "door", "code"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "aiden_request_duration_seconds",
			Help:    "Time to answer a request, by procedure.",
			Buckets: requestBuckets,
		}, []string{"procedure"}),
		generations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_generations_total",
			Help: "Generations finished, by door, author (planner or model) and outcome (valid, findings, failed, canceled).",
		}, []string{"door", "author", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aiden_generations_in_flight",
			Help: "Generations running in this process.",
		}),
		stageSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "aiden_stage_duration_seconds",
			Help:    "Time spent in each stage of the generation pipeline: context, plan (the author; once per attempt), render, validate (the checks) and patch.",
			Buckets: stageBuckets,
		}, []string{"stage"}),
		modelCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_model_calls_total",
			Help: "Calls to the model (each retry is a call), by result (ok or error).",
		}, []string{"result"}),
		modelSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "aiden_model_call_duration_seconds",
			Help:    "Time one call to the model took.",
			Buckets: stageBuckets,
		}),
		modelAttempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aiden_model_attempts_total",
			Help: "Model attempts: first answers and repairs.",
		}),
		modelTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_model_tokens_total",
			Help: "Model tokens, by direction (in: the prompt; out: the answer).",
		}, []string{"direction"}),
		modelRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aiden_model_retries_total",
			Help: "Model calls repeated after a 429, a 5xx or a dropped connection.",
		}),
		repairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_model_repair_rounds_total",
			Help: "Repair rounds (attempts after the first answer), by the generation's outcome (valid, findings, failed).",
		}, []string{"outcome"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aiden_generation_cache_hits_total",
			Help: "Model generations answered from this replica's cache of identical requests.",
		}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_findings_total",
			Help: "Findings in the files returned, by check (schema, render, lint, kustomize, terraform, conventions, policy, ...) and severity.",
		}, []string{"check", "severity"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aiden_store_errors_total",
			Help: "Errors of the generation record's database, by operation.",
		}, []string{"operation"}),
		recoveredTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aiden_generations_recovered_total",
			Help: "Running records this replica marked interrupted because their process stopped (no heartbeat within the window).",
		}),
		databaseHealthy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aiden_database_up",
			Help: "1 when the last check of the record database succeeded, else 0.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestSeconds, m.generations, m.inFlight, m.stageSeconds,
		m.modelCalls, m.modelSeconds, m.modelAttempts, m.modelTokens, m.modelRetries, m.repairs,
		m.cacheHits, m.findings, m.storeErrors, m.recoveredTotal, m.databaseHealthy,
	)
	// Series that exist from the start, so that rates and alerts see a
	// zero rather than nothing.
	for _, d := range []string{"in", "out"} {
		m.modelTokens.WithLabelValues(d)
	}
	for _, r := range []string{"ok", "error"} {
		m.modelCalls.WithLabelValues(r)
	}
	return m
}

// Handler serves the metrics in the Prometheus text or OpenMetrics format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is where the metrics are registered, for a caller adding its
// own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Request counts one answered request. procedure must come from a fixed
// set (the API's procedures and the doors' routes), never from the URL as
// sent.
func (m *Metrics) Request(procedure, door, code string, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(procedure, door, code).Inc()
	m.requestSeconds.WithLabelValues(procedure).Observe(elapsed.Seconds())
}

// Begin counts a generation in flight; call End when it ends.
func (m *Metrics) Begin() {
	if m != nil {
		m.inFlight.Inc()
	}
}

// End counts a generation out of flight.
func (m *Metrics) End() {
	if m != nil {
		m.inFlight.Dec()
	}
}

// Generation records what one generation did: its outcome, the model's
// attempts, tokens, retries and repairs, a cache hit, and the findings
// of the files returned. res is nil when err is not; a *ModelError in err
// still counts its attempts.
func (m *Metrics) Generation(door string, res *generator.Result, err error) {
	if m == nil {
		return
	}
	var attempts []generator.Attempt
	author, outcome := "planner", "failed"
	switch {
	case err != nil:
		var me *generator.ModelError
		if errors.As(err, &me) {
			author, attempts = "model", me.Attempts
		}
		if errors.Is(err, context.Canceled) {
			outcome = "canceled"
		}
	default:
		p := res.Provenance
		if p.Generator == "model" {
			author = "model"
		}
		outcome = "findings"
		if res.Valid() {
			outcome = "valid"
		}
		if p.Cached {
			m.cacheHits.Inc()
		} else {
			attempts = p.Attempts
		}
		for _, f := range res.Report.Findings {
			if !f.Fixed {
				m.findings.WithLabelValues(CheckOf(f.Rule), f.Severity.String()).Inc()
			}
		}
	}
	m.generations.WithLabelValues(door, author, outcome).Inc()
	for _, a := range attempts {
		m.modelAttempts.Inc()
		m.modelTokens.WithLabelValues("in").Add(float64(a.Usage.InputTokens))
		m.modelTokens.WithLabelValues("out").Add(float64(a.Usage.OutputTokens))
		m.modelRetries.Add(float64(a.Retries))
	}
	if len(attempts) > 1 && outcome != "canceled" {
		m.repairs.WithLabelValues(outcome).Add(float64(len(attempts) - 1))
	}
}

// StoreError counts an error of the record database during operation
// (begin, progress, heartbeat, finish, get, list, seen, recover, ping).
func (m *Metrics) StoreError(operation string) {
	if m != nil {
		m.storeErrors.WithLabelValues(operation).Inc()
	}
}

// Recovered counts records marked interrupted for a stopped process.
func (m *Metrics) Recovered(n int64) {
	if m != nil && n > 0 {
		m.recoveredTotal.Add(float64(n))
	}
}

// DatabaseUp records whether the record database answered its last check.
func (m *Metrics) DatabaseUp(up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.databaseHealthy.Set(v)
}

// Stage implements generator.Observer.
func (m *Metrics) Stage(_ context.Context, s generator.Stage, _ time.Time, elapsed time.Duration) {
	if m != nil {
		m.stageSeconds.WithLabelValues(string(s)).Observe(elapsed.Seconds())
	}
}

// ModelCall implements generator.Observer.
func (m *Metrics) ModelCall(ctx context.Context, _ string) (context.Context, func(error)) {
	if m == nil {
		return ctx, func(error) {}
	}
	start := time.Now()
	return ctx, func(err error) {
		m.modelSeconds.Observe(time.Since(start).Seconds())
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.modelCalls.WithLabelValues(result).Inc()
	}
}

// checks are the rules that name their check; every other rule is a
// policy's (built-in, Kyverno, Rego or CEL, by id).
var checks = map[string]bool{
	"schema": true, "schema-crd": true, "render": true, "lint": true, "yaml": true,
	"kustomize": true, "terraform": true, "terraform-schema": true, "terraform-validate": true,
	"input": true, "output": true, "resources": true, "conventions": true, "config": true, "hcl": true,
}

// CheckOf names the check a finding's rule belongs to, from a small fixed
// set: the rule itself when it names a check, "conventions" for the
// repository's conventions, else "policy".
func CheckOf(rule string) string {
	if checks[rule] {
		return rule
	}
	head, _, _ := strings.Cut(rule, "/")
	switch head {
	case "conventions", "terraform":
		return head
	}
	return "policy"
}
