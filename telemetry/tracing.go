package telemetry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/stackgen/aiden/generator"
)

// Tracing is OpenTelemetry tracing as the standard environment variables
// configure it: spans are exported over OTLP (HTTP/protobuf) when
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
// set, and nothing is recorded otherwise.
type Tracing struct {
	// Provider makes the tracers; a no-op one when tracing is off.
	Provider trace.TracerProvider
	// Propagator reads and writes the W3C trace context and baggage.
	Propagator propagation.TextMapPropagator
	// Enabled is true when spans are exported.
	Enabled  bool
	shutdown func(context.Context) error
}

// NewTracing reads the environment (getenv) and returns the tracing it
// asks for. version is recorded as service.version; OTEL_SERVICE_NAME
// names the service (default "aiden").
func NewTracing(ctx context.Context, getenv func(string) string, version string) (*Tracing, error) {
	t := &Tracing{
		Provider:   noop.NewTracerProvider(),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		shutdown:   func(context.Context) error { return nil },
	}
	// The traces endpoint is used as it is; the general one gets the
	// signal's path, as the specification says.
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base != "" {
			endpoint = strings.TrimSuffix(base, "/") + "/v1/traces"
		}
	}
	if endpoint == "" || strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || getenv("OTEL_TRACES_EXPORTER") == "none" {
		return t, nil
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if protocol != "" && protocol != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported: aiden exports traces over http/protobuf", protocol)
	}
	// The exporter reads the headers, timeout, TLS and compression from
	// the same environment.
	exp, err := newOTLPExporter(endpoint, getenv)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "aiden"
	}
	res := resource.NewSchemaless(attribute.String("service.name", name), attribute.String("service.version", version))
	if extra, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, extra); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.Provider, t.Enabled, t.shutdown = tp, true, tp.Shutdown
	return t, nil
}

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("shut tracing down: %w", err)
	}
	return nil
}

// Observer returns the generator.Observer that makes a span per stage and
// per model call, children of the request's span.
func (t *Tracing) Observer() generator.Observer {
	return tracer{t.Provider.Tracer("github.com/stackgen/aiden/generator")}
}

type tracer struct{ t trace.Tracer }

// Stage records the stage that just ended as a span from its start.
func (tr tracer) Stage(ctx context.Context, s generator.Stage, start time.Time, elapsed time.Duration) {
	_, span := tr.t.Start(ctx, "stage "+string(s), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("aiden.stage", string(s))))
	span.End(trace.WithTimestamp(start.Add(elapsed)))
}

// ModelCall opens a span for one call to the model.
func (tr tracer) ModelCall(ctx context.Context, model string) (context.Context, func(error)) {
	ctx, span := tr.t.Start(ctx, "model call", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("gen_ai.request.model", model)))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// Observers tells every one of obs (nil ones left out) of each stage and
// model call; nil when none is left.
func Observers(obs ...generator.Observer) generator.Observer {
	var out fanout
	for _, o := range obs {
		if o != nil && !isNil(o) {
			out = append(out, o)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// isNil reports whether o is a typed nil *Metrics, which records nothing.
func isNil(o generator.Observer) bool {
	m, ok := o.(*Metrics)
	return ok && m == nil
}

type fanout []generator.Observer

func (f fanout) Stage(ctx context.Context, s generator.Stage, start time.Time, elapsed time.Duration) {
	for _, o := range f {
		o.Stage(ctx, s, start, elapsed)
	}
}

func (f fanout) ModelCall(ctx context.Context, model string) (context.Context, func(error)) {
	ends := make([]func(error), 0, len(f))
	for _, o := range f {
		var end func(error)
		ctx, end = o.ModelCall(ctx, model)
		ends = append(ends, end)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}
