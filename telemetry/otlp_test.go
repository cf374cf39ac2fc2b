package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpCollector is an OTLP/HTTP trace receiver: it decodes each request
// with the collector's own protobuf types and keeps it, answering with
// the statuses queued in answers first (then 200).
type otlpCollector struct {
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
	headers  []http.Header
	answers  []int
	reply    []byte
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.headers = append(c.headers, r.Header.Clone())
	if len(c.answers) > 0 {
		code := c.answers[0]
		c.answers = c.answers[1:]
		http.Error(w, "try later", code)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	req := &collectortrace.ExportTraceServiceRequest{}
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(b, req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.requests = append(c.requests, req)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(c.reply)
}

func (c *otlpCollector) spans() map[string]*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]*tracepb.Span{}
	for _, req := range c.requests {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out[s.GetName()] = s
				}
			}
		}
	}
	return out
}

func attr(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue()
		}
	}
	return nil
}

// TestOTLPExport: spans made through NewTracing reach a collector over
// OTLP/HTTP as protobuf (gzip-compressed, with the configured headers),
// batched, with their resource, scope, parent, kind, status, attributes,
// events and links intact.
func TestOTLPExport(t *testing.T) {
	col := &otlpCollector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        srv.URL + "/",
		"OTEL_EXPORTER_OTLP_HEADERS":         "x-general=no",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS":  "authorization=Bearer%20t0ken, x-tenant = acme",
		"OTEL_EXPORTER_OTLP_COMPRESSION":     "gzip",
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT":  "30000",
		"OTEL_SERVICE_NAME":                  "aiden-test",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
	}
	tr, err := NewTracing(context.Background(), func(k string) string { return env[k] }, "1.2.3")
	if err != nil || !tr.Enabled {
		t.Fatalf("NewTracing: %v", err)
	}
	tracer := tr.Provider.Tracer("aiden/test", trace.WithInstrumentationVersion("0.1"))
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true})
	ctx, root := tracer.Start(context.Background(), "request", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithLinks(trace.Link{SpanContext: remote, Attributes: []attribute.KeyValue{attribute.String("why", "caller")}}))
	_, child := tracer.Start(ctx, "model call", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.request.model", "scripted-1"), attribute.Int64("tokens", 42),
		attribute.Float64("ratio", 0.5), attribute.Bool("cached", false),
		attribute.StringSlice("stages", []string{"plan", "render"}), attribute.Int64Slice("sizes", []int64{1, 2})))
	child.AddEvent("retry", trace.WithAttributes(attribute.Int("attempt", 2)))
	child.RecordError(errors.New("model unavailable"))
	child.SetStatus(codes.Error, "model unavailable")
	child.End()
	root.SetStatus(codes.Ok, "")
	root.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	col.mu.Lock()
	if len(col.requests) != 1 {
		t.Fatalf("%d export requests, want the two spans in one batch", len(col.requests))
	}
	h := col.headers[0]
	if h.Get("Authorization") != "Bearer t0ken" || h.Get("X-Tenant") != "acme" || h.Get("X-General") != "" {
		t.Errorf("headers %v: want the traces-specific ones, percent-decoded", h)
	}
	rs := col.requests[0].GetResourceSpans()
	if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 {
		t.Fatalf("want one resource with one scope, got %v", rs)
	}
	res := rs[0].GetResource().GetAttributes()
	if attr(res, "service.name").GetStringValue() != "aiden-test" || attr(res, "service.version").GetStringValue() != "1.2.3" {
		t.Errorf("resource %v", res)
	}
	if sc := rs[0].GetScopeSpans()[0].GetScope(); sc.GetName() != "aiden/test" || sc.GetVersion() != "0.1" {
		t.Errorf("scope %v", sc)
	}
	col.mu.Unlock()

	spans := col.spans()
	r, c := spans["request"], spans["model call"]
	if r == nil || c == nil {
		t.Fatalf("spans %v", spans)
	}
	if !bytes.Equal(c.GetParentSpanId(), r.GetSpanId()) || !bytes.Equal(c.GetTraceId(), r.GetTraceId()) || len(r.GetParentSpanId()) != 0 {
		t.Errorf("model call is not the request's child: %v / %v", c, r)
	}
	if r.GetKind() != tracepb.Span_SPAN_KIND_SERVER || c.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("kinds %v %v", r.GetKind(), c.GetKind())
	}
	if r.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_OK ||
		c.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || c.GetStatus().GetMessage() != "model unavailable" {
		t.Errorf("statuses %v %v", r.GetStatus(), c.GetStatus())
	}
	if c.GetStartTimeUnixNano() == 0 || c.GetEndTimeUnixNano() < c.GetStartTimeUnixNano() {
		t.Errorf("times %d..%d", c.GetStartTimeUnixNano(), c.GetEndTimeUnixNano())
	}
	if c.GetFlags()&0xff != uint32(trace.FlagsSampled) || c.GetFlags()&uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK) == 0 {
		t.Errorf("flags %#x", c.GetFlags())
	}
	a := c.GetAttributes()
	if attr(a, "gen_ai.request.model").GetStringValue() != "scripted-1" || attr(a, "tokens").GetIntValue() != 42 ||
		attr(a, "ratio").GetDoubleValue() != 0.5 || attr(a, "cached") == nil || attr(a, "cached").GetBoolValue() ||
		len(attr(a, "stages").GetArrayValue().GetValues()) != 2 || attr(a, "sizes").GetArrayValue().GetValues()[1].GetIntValue() != 2 {
		t.Errorf("attributes %v", a)
	}
	var names []string
	for _, ev := range c.GetEvents() {
		names = append(names, ev.GetName())
	}
	if strings.Join(names, ",") != "retry,exception" || attr(c.GetEvents()[0].GetAttributes(), "attempt").GetIntValue() != 2 {
		t.Errorf("events %v", c.GetEvents())
	}
	links := r.GetLinks()
	if len(links) != 1 || !bytes.Equal(links[0].GetSpanId(), []byte{4, 5, 6, 0, 0, 0, 0, 0}) ||
		links[0].GetFlags()&uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK) == 0 ||
		attr(links[0].GetAttributes(), "why").GetStringValue() != "caller" {
		t.Errorf("links %v", links)
	}
}

// TestOTLPRetry: a batch the collector turns away with 503 or 429 is sent
// again; a 400 is not, and the error names the status; a partial success
// is reported; after Shutdown nothing is sent.
func TestOTLPRetry(t *testing.T) {
	col := &otlpCollector{answers: []int{http.StatusServiceUnavailable, http.StatusTooManyRequests}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	exp, err := newOTLPExporter(srv.URL+"/v1/traces", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	exp.backoff, exp.maxBackoff = time.Millisecond, time.Millisecond
	spans := recordSpans(t, "one")
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatalf("after two retryable answers: %v", err)
	}
	col.mu.Lock()
	tries, got := len(col.headers), len(col.requests)
	col.answers = []int{http.StatusBadRequest}
	col.mu.Unlock()
	if tries != 3 || got != 1 {
		t.Errorf("%d tries, %d accepted; want 3 and 1", tries, got)
	}
	if err := exp.ExportSpans(context.Background(), spans); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("400: %v, want an error naming it", err)
	}
	col.mu.Lock()
	if len(col.headers) != 4 {
		t.Errorf("a 400 was retried: %d tries", len(col.headers))
	}
	col.reply, _ = proto.Marshal(&collectortrace.ExportTraceServiceResponse{
		PartialSuccess: &collectortrace.ExportTracePartialSuccess{RejectedSpans: 1, ErrorMessage: "span too old"}})
	col.mu.Unlock()
	if err := exp.ExportSpans(context.Background(), spans); err == nil || !strings.Contains(err.Error(), "rejected 1 spans: span too old") {
		t.Errorf("partial success: %v", err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err == nil {
		t.Error("export after shutdown succeeded")
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.headers) != 5 {
		t.Errorf("%d requests, want 5 (nothing after shutdown)", len(col.headers))
	}
}

// recordSpans ends one span per name and returns them as the SDK hands
// them to an exporter.
func recordSpans(t *testing.T, names ...string) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := &spanRecorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(rec))
	for _, n := range names {
		_, s := tp.Tracer("test").Start(context.Background(), n)
		s.End()
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rec.spans
}

// spanRecorder keeps the spans it is given.
type spanRecorder struct{ spans []sdktrace.ReadOnlySpan }

func (r *spanRecorder) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	r.spans = append(r.spans, spans...)
	return nil
}

func (r *spanRecorder) Shutdown(context.Context) error { return nil }

// TestOTLPConfigErrors: a variable the exporter cannot use stops start-up
// with an error naming it.
func TestOTLPConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"}, `"collector:4318" is not an http or https URL`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, `OTEL_EXPORTER_OTLP_TIMEOUT "10s"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "api-key"}, `OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 1 is not key=value`},
		{map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "x-team=a,Authorization Bearer s3cret"}, `OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://user:s3cret@collector:4318"}, `"ftp://user:xxxxx@collector:4318" is not an http or https URL`},
		{map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, `OTEL_EXPORTER_OTLP_COMPRESSION "zstd" is not supported`},
		{map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": notPEM}, "OTEL_EXPORTER_OTLP_CERTIFICATE: no PEM certificate in"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": filepath.Join(dir, "missing.pem")}, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: open"},
		{map[string]string{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": notPEM}, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY must be set together"},
	} {
		env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
		for k, v := range tc.env {
			env[k] = v
		}
		_, err := NewTracing(context.Background(), func(k string) string { return env[k] }, "test")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%v: the error shows a credential: %v", tc.env, err)
		}
	}
}

// TestOTLPNoRedirect: a collector's redirect is not followed, so the
// exporter's headers (an API key) never reach the host it names.
func TestOTLPNoRedirect(t *testing.T) {
	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(true)
	}))
	defer elsewhere.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/v1/traces", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	env := map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cret"}
	exp, err := newOTLPExporter(redirecting.URL+"/v1/traces", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), recordSpans(t, "one")); err == nil || !strings.Contains(err.Error(), "307") {
		t.Errorf("export to a redirect: %v, want an error naming the 307", err)
	}
	if leaked.Load() {
		t.Error("the redirect was followed: the headers reached another host")
	}
}
