package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns the logger of aiden serve writing to w in format
// "text" or "json": every line logged with a request's context carries
// its request_id, its generation_id once the generation is recorded, and
// its trace_id and span_id when the request is traced.
func NewLogger(w io.Writer, format string) *slog.Logger {
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, nil)
	} else {
		h = slog.NewTextHandler(w, nil)
	}
	return slog.New(ContextHandler(h))
}

// ContextHandler wraps h so that every record logged with a context
// carries the ids it holds (WithRequest, SetGeneration, the span).
func ContextHandler(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxHandler struct{ slog.Handler }

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if info, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
			r.AddAttrs(slog.String("request_id", info.id))
			if g := info.generation(); g != "" {
				r.AddAttrs(slog.String("generation_id", g))
			}
		}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ctxHandler{h.Handler.WithAttrs(as)}
}

func (h ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{h.Handler.WithGroup(name)} }

type requestKey struct{}

type requestInfo struct {
	id  string
	mu  sync.Mutex
	gen string
}

func (i *requestInfo) generation() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.gen
}

// NewRequestID returns a new request id: "req_" and 16 random hex digits.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// WithRequest returns ctx carrying the request id id, for the log.
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, &requestInfo{id: id})
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// SetGeneration records the id of the generation the request in ctx
// (WithRequest) runs, so that the lines logged with ctx after carry it.
// Without a request in ctx it does nothing.
func SetGeneration(ctx context.Context, id string) {
	if info, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.gen = id
		info.mu.Unlock()
	}
}
