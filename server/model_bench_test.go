package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
)

// modelDelay is how long the scripted model takes to answer.
const modelDelay = 200 * time.Millisecond

// BenchmarkModelOverhead measures what aiden adds to a model-backed
// request: the real Connect client and handler over HTTP/2, prompt
// assembly with few-shot selection, the real go-openai client over HTTP
// to a scripted model that answers after modelDelay with a ten-object
// chart (the built-in planner's Redis with Sentinel), parsing, placing,
// Helm render and lint, strict schema validation and the patch. overhead
// is the request's latency minus modelDelay. The cache is off, so every
// request reaches the model.
func BenchmarkModelOverhead(b *testing.B) {
	for _, c := range []struct {
		concurrent, limit int
		validate          bool
	}{{1, 4, true}, {50, 50, true}, {50, 4, true}, {1, 4, false}, {50, 50, false}} {
		b.Run(fmt.Sprintf("concurrent=%d/model-concurrency=%d/validate=%v", c.concurrent, c.limit, c.validate), func(b *testing.B) {
			benchModel(b, c.concurrent, c.limit, c.validate)
		})
	}
}

func benchModel(b *testing.B, concurrent, limit int, validate bool) {
	plan, err := planner.Parse(redisIntent, planner.Hints{TargetPath: "apps/redis", Format: "helm"})
	if err != nil {
		b.Fatal(err)
	}
	files, err := plan.Files("helm")
	if err != nil {
		b.Fatal(err)
	}
	chart := map[string]string{}
	for _, f := range files {
		chart[f.Path] = string(f.Content)
	}
	// Four more objects make the planner's six a ten-object chart.
	chart["templates/extra.yaml"] = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: redis-bench
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: redis-bench
data:
  note: benchmark
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: redis-bench
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: redis-bench
spec:
  podSelector: {}
  policyTypes: [Ingress]
`
	model := providertest.OpenAI(b, providertest.Step{Delay: modelDelay, Text: providertest.JSON(chart)}).Repeat()
	engine := generator.New(generator.Options{Model: generator.ModelOptions{
		Provider:     openai.New(openai.Options{BaseURL: model.URL + "/v1"}),
		Name:         "scripted-1",
		Concurrency:  limit,
		CacheEntries: -1,
	}})
	srv := httptest.NewUnstartedServer(server.New(engine, server.Options{}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	b.Cleanup(srv.Close)
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	call := func() (time.Duration, *aidenv1.GenerateResponse) {
		start := time.Now()
		resp, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{
			Intent: redisIntent, TargetPath: "apps/redis", Options: &aidenv1.Options{Validate: &validate}}))
		if err != nil {
			b.Error(err)
			return 0, nil
		}
		return time.Since(start), resp.Msg
	}
	// Warm up: compiled schemas, connections; and check what is measured.
	if _, resp := call(); validate && (resp == nil || !resp.GetValid() || !strings.Contains(checkDetail(resp, "schema"), "10 objects")) {
		b.Fatalf("warm-up result is not a valid ten-object chart: %s", checkDetail(resp, "schema"))
	}

	var mu sync.Mutex
	latencies := make([]time.Duration, 0, b.N)
	own := make([]time.Duration, 0, b.N) // latency minus the model attempts' time, slot waits included
	sem := make(chan struct{}, concurrent)
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := processCPU(b)
	start := time.Now()
	for range b.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d, resp := call()
			model := time.Duration(0)
			for _, a := range resp.GetProvenance().GetAttempts() {
				model += time.Duration(a.GetMillis() * float64(time.Millisecond))
			}
			mu.Lock()
			latencies = append(latencies, d)
			own = append(own, d-model)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	pct := func(ds []time.Duration, p float64, minus time.Duration) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		d := ds[int(p*float64(len(ds)-1))] - minus
		return float64(d.Microseconds()) / 1000
	}
	b.ReportMetric(pct(latencies, 0.5, modelDelay), "overhead-ms-p50")
	b.ReportMetric(pct(latencies, 0.95, modelDelay), "overhead-ms-p95")
	b.ReportMetric(pct(own, 0.5, 0), "own-ms-p50")
	b.ReportMetric(pct(own, 0.95, 0), "own-ms-p95")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// What the model alone allows: b.N calls, min(concurrent, limit) at a
	// time, each modelDelay long. 100 % means throughput is limited only
	// by the model concurrency.
	width := min(concurrent, limit)
	ideal := time.Duration((b.N+width-1)/width) * modelDelay
	b.ReportMetric(100*ideal.Seconds()/elapsed.Seconds(), "%-of-model-limit")
	// CPU per request: user and system time of the whole process (the
	// Connect client and server, the engine, and the scripted model and
	// its HTTP server, which are the same for every version of the engine).
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/req")
	b.ReportMetric(0, "ns/op")
}

// processCPU is the CPU time the process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func checkDetail(resp *aidenv1.GenerateResponse, name string) string {
	for _, c := range resp.GetChecks() {
		if c.GetName() == name {
			return c.GetDetail()
		}
	}
	return ""
}
