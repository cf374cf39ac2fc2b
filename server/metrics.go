package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/otelconnect"

	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/wire"
)

// Doors as the requests metric names them: the store's (rpc, cli, chat),
// and mcp and http for the routes mounted beside the API.
const (
	metricsDoorMCP  = "mcp"
	metricsDoorHTTP = "http"
)

// metricsInterceptor counts every Connect call that reaches a handler by
// procedure, door and code (Options.Metrics).
type metricsInterceptor struct{ m *telemetry.Metrics }

func (i metricsInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		start := time.Now()
		resp, err := next(ctx, req)
		i.m.Request(req.Spec().Procedure, rpcDoor(req.Header()), codeOf(err), time.Since(start))
		return resp, err
	}
}

func (i metricsInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i metricsInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		err := next(ctx, conn)
		i.m.Request(conn.Spec().Procedure, rpcDoor(conn.RequestHeader()), codeOf(err), time.Since(start))
		return err
	}
}

// rpcDoor is the door of an RPC: cli for aiden generate --server, else rpc.
func rpcDoor(h http.Header) string {
	if strings.EqualFold(h.Get(wire.HeaderClient), "cli") {
		return string(store.DoorCLI)
	}
	return string(store.DoorRPC)
}

// codeOf is "ok" or the Connect code of err.
func codeOf(err error) string {
	if err == nil {
		return "ok"
	}
	return connect.CodeOf(err).String()
}

// route names the route of path for the requests metric from a fixed set,
// and says whether it is a Connect procedure (counted by the interceptor
// once it reaches a handler): never the path as sent.
func (h *Handler) route(path string) (name string, procedure bool) {
	switch {
	case procedureRoles[path] != "":
		return path, true
	case path == slackPath:
		return slackPath, false
	case strings.HasPrefix(path, patchPrefix):
		return patchPrefix + "{id}.patch", false
	case h.streams[path]:
		return path, false
	case strings.HasPrefix(path, "/grpc.reflection."):
		return "grpc.reflection", true
	}
	return "other", false
}

// countRefused counts a Connect call refused before its handler (by the
// guard or a stop); other routes are counted by countHTTP.
func (h *Handler) countRefused(r *http.Request, code connect.Code) {
	if name, procedure := h.route(r.URL.Path); procedure {
		h.metrics.Request(name, rpcDoor(r.Header), code.String(), 0)
	}
}

// countHTTP serves a route that is not a Connect procedure (the Slack
// command, a patch, a mounted door such as /mcp) and counts it with the
// Connect code its HTTP status stands for.
func (h *Handler) countHTTP(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) {
	name, _ := h.route(r.URL.Path)
	door := metricsDoorHTTP
	switch {
	case name == slackPath:
		door = string(store.DoorChat)
	case h.streams[name]:
		door = metricsDoorMCP
	}
	sw := &statusWriter{ResponseWriter: w}
	start := time.Now()
	serve(sw, r)
	h.metrics.Request(name, door, httpCode(sw.status), time.Since(start))
}

// httpCode maps an HTTP status onto the Connect code that stands for it.
func httpCode(status int) string {
	switch {
	case status == 0 || status < 400:
		return "ok"
	case status == http.StatusBadRequest:
		return connect.CodeInvalidArgument.String()
	case status == http.StatusUnauthorized:
		return connect.CodeUnauthenticated.String()
	case status == http.StatusForbidden:
		return connect.CodePermissionDenied.String()
	case status == http.StatusNotFound:
		return connect.CodeNotFound.String()
	case status == http.StatusConflict:
		return connect.CodeFailedPrecondition.String()
	case status == http.StatusRequestEntityTooLarge, status == http.StatusTooManyRequests:
		return connect.CodeResourceExhausted.String()
	case status == http.StatusNotImplemented:
		return connect.CodeUnimplemented.String()
	case status == http.StatusServiceUnavailable:
		return connect.CodeUnavailable.String()
	case status == http.StatusGatewayTimeout:
		return connect.CodeDeadlineExceeded.String()
	case status >= 500:
		return connect.CodeInternal.String()
	}
	return connect.CodeUnknown.String()
}

// statusWriter keeps the status a handler wrote; Flush and Unwrap keep
// event streams working through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingReplays counts the errors of the Slack replay guard's database.
type countingReplays struct {
	st *store.Store
	m  *telemetry.Metrics
}

func (c countingReplays) Seen(ctx context.Context, key string, expires time.Time) (bool, error) {
	seen, err := c.st.Seen(ctx, key, expires)
	if err != nil {
		c.m.StoreError("seen")
	}
	return seen, err
}

// countStoreError counts err as an error of the record database unless it
// is an answer (a record not found, a bad page token) or a cancellation.
func countStoreError(m *telemetry.Metrics, operation string, err error) {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidPageToken) || errors.Is(err, context.Canceled) {
		return
	}
	m.StoreError(operation)
}

// WatchDatabase checks the record database every interval until ctx
// ends (and forgets the shared rate buckets that have refilled): while it
// does not answer, health (readiness) is NOT_SERVING, so
// that a load balancer sends requests to the replicas that can record
// them; it turns SERVING again when the database answers, unless the
// server is draining. Without a store it returns at once.
func (h *Handler) WatchDatabase(ctx context.Context, interval time.Duration) {
	if h.rec.store == nil {
		return
	}
	h.metrics.DatabaseUp(true)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, interval)
		err := h.rec.store.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		up := err == nil
		if !up {
			h.metrics.StoreError("ping")
		}
		h.metrics.DatabaseUp(up)
		if h.setDatabaseUp(up) {
			h.rec.log.Warn("record database", "up", up, "error", err)
		}
		if up && h.limit != nil && h.limit.shared != nil {
			// Buckets refilled since are full: forgetting them changes nothing.
			full := time.Duration(float64(h.limit.limit.Burst) / (h.limit.limit.PerMinute / 60) * float64(time.Second))
			if _, err := h.limit.shared.ExpireBuckets(ctx, time.Now().Add(-full-time.Minute)); err != nil && ctx.Err() == nil {
				h.metrics.StoreError("expire")
			}
		}
	}
}

// setDatabaseUp records whether the database answers and sets health
// from it and the drain; it reports whether that changed.
func (h *Handler) setDatabaseUp(up bool) bool {
	h.state.Lock()
	defer h.state.Unlock()
	changed := h.dbDown == up
	h.dbDown = !up
	h.setHealthLocked()
	return changed
}

// setHealthLocked sets every service's health from the drain and the
// database; h.state is held.
func (h *Handler) setHealthLocked() {
	status := grpchealth.StatusServing
	if h.draining || h.dbDown {
		status = grpchealth.StatusNotServing
	}
	h.health.SetStatus("", status)
	for _, s := range h.services {
		h.health.SetStatus(s, status)
	}
}

// rpcTracing is the interceptor making a span of every RPC, or nil when
// tracing is off.
func rpcTracing(t *telemetry.Tracing, log *slog.Logger) connect.Interceptor {
	if t == nil || !t.Enabled {
		return nil
	}
	i, err := otelconnect.NewInterceptor(otelconnect.WithTracerProvider(t.Provider),
		otelconnect.WithPropagator(t.Propagator), otelconnect.WithoutMetrics())
	if err != nil {
		// Only a bad option fails, and the options are fixed here.
		log.Error("rpc tracing off", "error", err)
		return nil
	}
	return i
}

// HeaderRequestID carries the id of every request but health checks in
// its response, as the log's request_id.
const HeaderRequestID = "Aiden-Request-Id"

// withRequestID gives r an id, in its context (for the log) and in the
// response's headers.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := telemetry.NewRequestID()
	w.Header().Set(HeaderRequestID, id)
	return r.WithContext(telemetry.WithRequest(r.Context(), id))
}
