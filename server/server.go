// Package server exposes aiden's engine over one Connect RPC API: Connect,
// gRPC and gRPC-Web on the same port (HTTP/1.1 and h2c, or HTTP/2 over
// TLS), with gRPC health and reflection, behind authentication.
package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/auth"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/wire"
	"github.com/stackgen/aiden/workspace"
)

// Engine is what the handlers need of the generator; *generator.Engine is one.
type Engine interface {
	Generate(ctx context.Context, req generator.Request, progress func(generator.Event)) (*generator.Result, error)
	Validate(ctx context.Context, files []workspace.File, c generator.Check) (validators.Report, error)
}

// Options configure the server.
type Options struct {
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// MaxRequestBytes bounds a request message; 0 means 32 MiB.
	MaxRequestBytes int
	// Store keeps the record of every generation; nil keeps none, and
	// GetGeneration and ListGenerations answer Unimplemented.
	Store *store.Store
	// Slack configures POST /slack/commands; it is off (404) without a
	// signing secret.
	Slack SlackOptions
	// Auth authenticates every request but health checks and Slack's
	// (which Slack signs); nil turns authentication off, and every caller
	// may then do everything (see docs/security.md).
	Auth auth.Authenticator
	// Limits bound each request's time and each caller's generations.
	Limits Limits
	// Metrics, when not nil, count requests, generations, model use,
	// findings and database errors (see telemetry); MetricsPath, when not
	// empty, serves them there to anyone, like health checks.
	Metrics     *telemetry.Metrics
	MetricsPath string
	// Tracing, when not nil and enabled, traces every RPC
	// (connectrpc.com/otelconnect); the engine's Observer adds the spans
	// of stages and model calls.
	Tracing *telemetry.Tracing
	// Heartbeat is how often a running generation's record is marked
	// alive; 0 means DefaultHeartbeat. A record not marked for
	// StaleFactor heartbeats is taken for one whose process died.
	Heartbeat time.Duration
}

// New returns a Handler serving the API, gRPC health and reflection.
func New(engine Engine, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxRequestBytes == 0 {
		opts.MaxRequestBytes = 32 << 20
	}
	handlerOpts := []connect.HandlerOption{connect.WithReadMaxBytes(opts.MaxRequestBytes), fastGzip()}
	if opts.Metrics != nil {
		handlerOpts = append(handlerOpts, connect.WithInterceptors(metricsInterceptor{opts.Metrics}))
	}
	if i := rpcTracing(opts.Tracing, opts.Logger); i != nil {
		handlerOpts = append(handlerOpts, connect.WithInterceptors(i))
	}
	if t := cmp.Or(opts.Limits.RequestTimeout, DefaultRequestTimeout); t > 0 {
		handlerOpts = append(handlerOpts, connect.WithInterceptors(deadline(t)))
	}

	mux := http.NewServeMux()
	work := newTracker()
	rec := &recorder{engine: engine, store: opts.Store, log: opts.Logger, work: work, metrics: opts.Metrics,
		beat: cmp.Or(opts.Heartbeat, DefaultHeartbeat)}
	limit := newLimiter(opts.Limits)
	if limit != nil && opts.Store != nil && opts.Store.Shared() {
		limit.shared = opts.Store
	}
	mux.Handle(aidenv1connect.NewGenerateServiceHandler(&generateHandler{rec: rec, log: opts.Logger, limit: limit}, handlerOpts...))
	mux.Handle("GET /generations/{file}", servePatch(opts.Store))
	if opts.Slack.SigningSecret != "" {
		mux.Handle("POST /slack/commands", newSlackHandler(rec, opts.Slack, opts.Logger, opts.Tracing))
	}
	mux.Handle(aidenv1connect.NewValidateServiceHandler(&validateHandler{engine: engine, log: opts.Logger}, handlerOpts...))

	services := []string{aidenv1connect.GenerateServiceName, aidenv1connect.ValidateServiceName}
	health := grpchealth.NewStaticChecker(append([]string{LivenessService}, services...)...)
	mux.Handle(grpchealth.NewHandler(health))
	reflector := grpcreflect.NewStaticReflector(services...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	errs := connect.NewErrorWriter(handlerOpts...)
	h := &Handler{
		health: health, services: services, rec: rec, errors: errs, work: work,
		mux: mux, routes: mux, streams: map[string]bool{}, limit: limit, requestTimeout: opts.Limits.RequestTimeout,
		metrics: opts.Metrics, metricsPath: opts.MetricsPath,
	}
	h.api = &guard{authn: opts.Auth, next: mux, errors: errs, log: opts.Logger, refused: h.countRefused}
	return h
}

// NewHTTPServer returns an http.Server for handler that speaks HTTP/1.1 and
// unencrypted HTTP/2 (h2c), as gRPC clients without TLS need.
func NewHTTPServer(addr string, handler http.Handler) *http.Server {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
	}
}

type generateHandler struct {
	rec   *recorder
	log   *slog.Logger
	limit *limiter // nil: none
}

func (h *generateHandler) Generate(ctx context.Context, req *connect.Request[aidenv1.GenerateRequest]) (*connect.Response[aidenv1.GenerateResponse], error) {
	start := time.Now()
	if err := noSchemaLocations(req.Msg.GetOptions()); err != nil {
		return nil, err
	}
	release, err := h.limit.acquire(ctx, req)
	if err != nil {
		return nil, err
	}
	defer release()
	greq := wire.GenerateRequest(req.Msg)
	door, who := caller(ctx, req.Peer(), req.Header())
	id, err := h.rec.begin(ctx, door, who, greq)
	if err != nil {
		return nil, err
	}
	res, err := h.rec.run(ctx, id, string(door), greq, nil)
	h.logGenerate(ctx, "Generate", req.Msg, res, err, start)
	if err != nil {
		return nil, wire.Error(err)
	}
	resp := connect.NewResponse(wire.GenerateResponse(res))
	if id != "" {
		resp.Header().Set(wire.HeaderGenerationID, id)
	}
	return resp, nil
}

func (h *generateHandler) GenerateStream(ctx context.Context, req *connect.Request[aidenv1.GenerateStreamRequest], stream *connect.ServerStream[aidenv1.GenerateStreamResponse]) error {
	start := time.Now()
	var sendErr error
	progress := func(ev generator.Event) {
		if sendErr != nil || ev.Stage == generator.StageDone {
			return
		}
		sendErr = stream.Send(&aidenv1.GenerateStreamResponse{
			Stage:   wire.StageToProto(ev.Stage),
			Message: ev.Message,
			Millis:  wire.Millis(ev.Elapsed.Seconds()),
			Delta:   ev.Delta,
			Attempt: int32(ev.Attempt),
		})
	}
	if err := noSchemaLocations(req.Msg.GetRequest().GetOptions()); err != nil {
		return err
	}
	release, err := h.limit.acquire(ctx, req)
	if err != nil {
		return err
	}
	defer release()
	greq := wire.GenerateRequest(req.Msg.GetRequest())
	door, who := caller(ctx, req.Peer(), req.Header())
	id, err := h.rec.begin(ctx, door, who, greq)
	if err != nil {
		return err
	}
	if id != "" {
		stream.ResponseHeader().Set(wire.HeaderGenerationID, id)
	}
	res, err := h.rec.run(ctx, id, string(door), greq, progress)
	h.logGenerate(ctx, "GenerateStream", req.Msg.GetRequest(), res, err, start)
	if err != nil {
		return wire.Error(err)
	}
	if sendErr != nil {
		return sendErr
	}
	return stream.Send(&aidenv1.GenerateStreamResponse{
		Stage:   aidenv1.Stage_STAGE_DONE,
		Message: doneMessage(res),
		Result:  wire.GenerateResponse(res),
	})
}

func (h *generateHandler) logGenerate(ctx context.Context, method string, req *aidenv1.GenerateRequest, res *generator.Result, err error, start time.Time) {
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("format", req.GetFormat().String()),
		slog.String("target", req.GetTargetPath()),
		slog.Duration("elapsed", time.Since(start)),
	}
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "generate failed", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	attrs = append(attrs,
		slog.Int("files", len(res.Files)),
		slog.Int("findings", len(res.Report.Findings)),
		slog.Bool("valid", res.Valid()))
	if p := res.Provenance; p.Generator == "model" {
		attrs = append(attrs, slog.String("model", p.Model), slog.Int("attempts", len(p.Attempts)),
			slog.Int("prompt_tokens", p.Usage.InputTokens), slog.Int("completion_tokens", p.Usage.OutputTokens),
			slog.Bool("cached", p.Cached))
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "generated", attrs...)
}

func doneMessage(res *generator.Result) string {
	if res.Valid() {
		return "done: valid"
	}
	if !res.Validated {
		return "done: not validated"
	}
	return "done: findings at error level remain"
}

type validateHandler struct {
	engine Engine
	log    *slog.Logger
}

func (h *validateHandler) Validate(ctx context.Context, req *connect.Request[aidenv1.ValidateRequest]) (*connect.Response[aidenv1.ValidateResponse], error) {
	start := time.Now()
	opts := req.Msg.GetOptions()
	if err := noSchemaLocations(opts); err != nil {
		return nil, err
	}
	rep, err := action.Validate{Engine: h.engine, Check: generator.Check{
		PolicyCheck:       wire.PolicyCheck(opts),
		KubernetesVersion: opts.GetKubernetesVersion(),
		SchemaLocations:   opts.GetSchemaLocations(),
		AllKyverno:        opts.GetAllKyverno(),
	}}.Files(ctx, wire.FilesFromProto(req.Msg.GetFiles()))
	attrs := []slog.Attr{slog.Int("files", len(req.Msg.GetFiles())), slog.Duration("elapsed", time.Since(start))}
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "validate failed", append(attrs, slog.String("error", err.Error()))...)
		return nil, wire.Error(err)
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "validated", append(attrs, slog.Int("findings", len(rep.Findings)))...)
	return connect.NewResponse(wire.ValidateResponse(rep)), nil
}
