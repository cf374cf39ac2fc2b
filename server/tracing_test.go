package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/wire"
)

// collector is an OTLP/HTTP trace receiver keeping the spans it gets.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			c.spans = append(c.spans, ss.GetSpans()...)
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Write(b)
}

// TestTracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, a generation is
// exported as one trace: the RPC's span (otelconnect) with a span per
// stage and per model call beneath it; the log lines about the request
// carry its request, generation and trace ids.
func TestTracing(t *testing.T) {
	col := &collector{}
	otlp := httptest.NewServer(col)
	defer otlp.Close()
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.URL, "OTEL_SERVICE_NAME": "aiden-test"}
	tracing, err := telemetry.NewTracing(context.Background(), func(k string) string { return env[k] }, "test")
	if err != nil || !tracing.Enabled {
		t.Fatalf("NewTracing: %v, enabled %v", err, tracing != nil && tracing.Enabled)
	}
	model := providertest.OpenAI(t, providertest.Step{Text: goodChart(t)})
	mo := generator.ModelOptions{Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted-1", CacheEntries: -1}
	engine := generator.New(generator.Options{Model: mo, Observer: tracing.Observer()})
	var logs bytes.Buffer
	var logMu sync.Mutex
	h := server.New(engine, server.Options{Store: openStore(t), Tracing: tracing,
		Logger: telemetry.NewLogger(lockedWriter{&logMu, &logs}, "json")})
	url := serveH2C(t, h)
	resp, err := aidenv1connect.NewGenerateServiceClient(http.DefaultClient, url).Generate(context.Background(),
		connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}))
	if err != nil {
		t.Fatal(err)
	}
	genID, reqID := resp.Header().Get(wire.HeaderGenerationID), resp.Header().Get(server.HeaderRequestID)
	if !strings.HasPrefix(reqID, "req_") {
		t.Errorf("request id header %q", reqID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tracing.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	col.mu.Lock()
	spans := col.spans
	col.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, s := range spans {
		byName[s.GetName()] = s
	}
	rpc := byName["aiden.v1.GenerateService/Generate"]
	if rpc == nil {
		t.Fatalf("no span of the RPC among %d spans", len(spans))
	}
	for _, name := range []string{"stage context", "stage plan", "stage render", "stage validate", "stage patch", "model call"} {
		s := byName[name]
		switch {
		case s == nil:
			t.Errorf("no span %q", name)
		case !bytes.Equal(s.GetTraceId(), rpc.GetTraceId()):
			t.Errorf("span %q in another trace", name)
		case !bytes.Equal(s.GetParentSpanId(), rpc.GetSpanId()):
			t.Errorf("span %q is not a child of the RPC's span", name)
		case s.GetEndTimeUnixNano() < s.GetStartTimeUnixNano():
			t.Errorf("span %q ends before it starts", name)
		}
	}

	// The line logged about the generation carries the three ids.
	logMu.Lock()
	defer logMu.Unlock()
	found := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "generated" {
			found = true
			if rec["request_id"] != reqID || rec["generation_id"] != genID || rec["trace_id"] == nil || rec["trace_id"] == "" {
				t.Errorf("log line %s lacks the ids (request %s, generation %s, a trace)", line, reqID, genID)
			}
		}
	}
	if !found {
		t.Errorf("no \"generated\" line in the log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestTracingOff: without an endpoint nothing is exported and no
// interceptor runs; an unsupported protocol is refused by name.
func TestTracingOff(t *testing.T) {
	tr, err := telemetry.NewTracing(context.Background(), func(string) string { return "" }, "test")
	if err != nil || tr.Enabled {
		t.Fatalf("without an endpoint: %v, enabled %v", err, tr.Enabled)
	}
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	if _, err := telemetry.NewTracing(context.Background(), func(k string) string { return env[k] }, "test"); err == nil || !strings.Contains(err.Error(), "grpc") {
		t.Errorf("grpc protocol: %v, want an error naming it", err)
	}
}

// TestSlackTracing: a slash command is a trace of its own (a span of the
// request, the generation's stages beneath it), and every line logged
// about it, the ones after the acknowledgement included, carries its
// request id; the lines after the record is made carry the generation id
// and the trace id too.
func TestSlackTracing(t *testing.T) {
	col := &collector{}
	otlp := httptest.NewServer(col)
	defer otlp.Close()
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.URL}
	tracing, err := telemetry.NewTracing(context.Background(), func(k string) string { return env[k] }, "test")
	if err != nil || !tracing.Enabled {
		t.Fatalf("NewTracing: %v", err)
	}
	respURL, posts := responseURL(t)
	var logs bytes.Buffer
	var logMu sync.Mutex
	h := server.New(generator.New(generator.Options{Observer: tracing.Observer()}), server.Options{
		Store: openStore(t), Tracing: tracing, Logger: telemetry.NewLogger(lockedWriter{&logMu, &logs}, "json"),
		Slack: server.SlackOptions{SigningSecret: signingSecret, Repo: t.TempDir(), ResponseBases: []string{respURL}},
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := command("generate "+redisIntent+" —path clusters/production/apps/redis --format helm", "U1", "C1", respURL)
	if code, ack := post(t, srv.URL, body, sign(signingSecret, body, time.Now())); code != http.StatusOK || !strings.Contains(ack, "Working on it") {
		t.Fatalf("ack: %d %q", code, ack)
	}
	select {
	case <-posts:
	case <-time.After(2 * time.Minute):
		t.Fatal("no result posted to response_url")
	}
	// The line about the posted result follows the post Slack received.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		logMu.Lock()
		done := strings.Contains(logs.String(), `"msg":"result posted"`)
		logMu.Unlock()
		if done {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tracing.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	col.mu.Lock()
	spans := col.spans
	col.mu.Unlock()
	var root *tracepb.Span
	for _, s := range spans {
		if s.GetName() == "POST /slack/commands" {
			root = s
		}
	}
	if root == nil {
		t.Fatalf("no span of the slash command among %d spans", len(spans))
	}
	stages := 0
	for _, s := range spans {
		if strings.HasPrefix(s.GetName(), "stage ") {
			stages++
			if !bytes.Equal(s.GetTraceId(), root.GetTraceId()) || !bytes.Equal(s.GetParentSpanId(), root.GetSpanId()) {
				t.Errorf("span %q is not a child of the slash command's span", s.GetName())
			}
		}
	}
	if stages == 0 {
		t.Error("no stage spans exported")
	}

	logMu.Lock()
	defer logMu.Unlock()
	seen := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["door"] == "chat" {
			seen[rec["msg"].(string)] = rec
		}
	}
	for _, msg := range []string{"generation started", "result posted"} {
		rec := seen[msg]
		switch {
		case rec == nil:
			t.Errorf("no %q line in the log:\n%s", msg, logs.String())
		case !strings.HasPrefix(fmt.Sprint(rec["request_id"]), "req_") || rec["generation_id"] != rec["id"] || rec["trace_id"] == nil:
			t.Errorf("%q line lacks the request, generation or trace id: %v", msg, rec)
		}
	}
	if a, b := seen["generation started"], seen["result posted"]; a != nil && b != nil && a["request_id"] != b["request_id"] {
		t.Errorf("request ids differ before and after the acknowledgement: %v, %v", a["request_id"], b["request_id"])
	}
}
