package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/net/netutil"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/wire"
)

// Limits bound the work one request may cause. See docs/security.md.
type Limits struct {
	// RequestTimeout bounds every RPC, model calls, rendering and checks
	// included; a client's shorter deadline holds. 0 means
	// DefaultRequestTimeout, negative means none.
	RequestTimeout time.Duration
	// Generations limits the generations each caller may start and run;
	// nil means no limit (a server without a model needs none).
	Generations *GenerationLimit
	// CallerKey names the caller a request counts against; nil means the
	// authenticated subject, or the peer's IP address without
	// authentication.
	CallerKey func(ctx context.Context, r connect.AnyRequest) string
}

// DefaultRequestTimeout is Limits.RequestTimeout's default.
const DefaultRequestTimeout = 5 * time.Minute

// GenerationLimit is a token bucket and a concurrency bound per caller.
type GenerationLimit struct {
	// PerMinute is the sustained rate of generations a caller may start.
	PerMinute float64
	// Burst is how many a caller may start at once after a quiet spell;
	// 0 means 1.
	Burst int
	// Concurrent is how many a caller may have running; 0 means no bound.
	Concurrent int
}

// Errors the limiter returns, wrapped in resource_exhausted.
var (
	errRate        = errors.New("too many generations")
	errConcurrency = errors.New("too many generations running")
)

// limiter keeps one bucket and count per caller. With a shared store
// (PostgreSQL) the buckets live there, so that the rate holds across every
// replica; the count of generations running is this replica's.
type limiter struct {
	limit  GenerationLimit
	key    func(context.Context, connect.AnyRequest) string
	shared *store.Store // nil: buckets in this process

	mu      sync.Mutex
	callers map[string]*callerState
}

type callerState struct {
	bucket  *rate.Limiter
	running int
}

// maxCallers bounds the callers remembered; idle ones are dropped past it.
const maxCallers = 10000

func newLimiter(l Limits) *limiter {
	if l.Generations == nil {
		return nil
	}
	g := *l.Generations
	if g.Burst <= 0 {
		g.Burst = 1
	}
	key := l.CallerKey
	if key == nil {
		key = func(ctx context.Context, r connect.AnyRequest) string {
			_, who := caller(ctx, r.Peer(), http.Header{})
			return who
		}
	}
	return &limiter{limit: g, key: key, callers: map[string]*callerState{}}
}

// acquire admits one generation of r's caller or returns a
// resource_exhausted error with a retry hint; release must be called when
// the generation ends.
func (l *limiter) acquire(ctx context.Context, r connect.AnyRequest) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	return l.acquireKey(ctx, l.key(ctx, r))
}

// acquireKey is acquire for the caller named key.
func (l *limiter) acquireKey(ctx context.Context, key string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	l.mu.Lock()
	c := l.callers[key]
	if c == nil {
		if len(l.callers) >= maxCallers {
			l.prune()
		}
		c = &callerState{bucket: rate.NewLimiter(rate.Limit(l.limit.PerMinute/60), l.limit.Burst)}
		l.callers[key] = c
	}
	if l.limit.Concurrent > 0 && c.running >= l.limit.Concurrent {
		running := c.running
		l.mu.Unlock()
		return nil, exhausted(fmt.Errorf("%w: %d of %d allowed at once for this caller; retry when one finishes", errConcurrency, running, l.limit.Concurrent), 5*time.Second)
	}
	if l.shared == nil {
		res := c.bucket.Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			l.mu.Unlock()
			return nil, exhausted(fmt.Errorf("%w: more than %g a minute for this caller", errRate, l.limit.PerMinute), d)
		}
	}
	c.running++ // held while the shared bucket is asked, so the bound holds
	l.mu.Unlock()
	release = func() {
		l.mu.Lock()
		c.running--
		l.mu.Unlock()
	}
	if l.shared != nil {
		if err := l.takeShared(ctx, key); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// takeShared takes a token from the caller's bucket in the shared store.
func (l *limiter) takeShared(ctx context.Context, key string) error {
	ok, wait, err := l.shared.Take(ctx, "generations/"+key, l.limit.PerMinute/60, l.limit.Burst)
	if err != nil {
		return connect.NewError(connect.CodeUnavailable, fmt.Errorf("check the generation rate: %w", err))
	}
	if !ok {
		return exhausted(fmt.Errorf("%w: more than %g a minute for this caller", errRate, l.limit.PerMinute), wait)
	}
	return nil
}

// prune drops callers with nothing running and a full bucket: forgetting
// them changes nothing.
func (l *limiter) prune() {
	now := time.Now()
	for k, c := range l.callers {
		if c.running == 0 && c.bucket.TokensAt(now) >= float64(l.limit.Burst) {
			delete(l.callers, k)
		}
	}
}

// exhausted is resource_exhausted with a Retry-After header (in whole
// seconds) and a google.rpc.RetryInfo detail.
func exhausted(err error, after time.Duration) *connect.Error {
	ce := connect.NewError(connect.CodeResourceExhausted, err)
	secs := int(math.Ceil(after.Seconds()))
	ce.Meta().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	if d, derr := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(after)}); derr == nil {
		ce.AddDetail(d)
	}
	return ce
}

// deadline is an interceptor putting Limits.RequestTimeout on every RPC.
type deadline time.Duration

func (d deadline) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(d))
		defer cancel()
		return next(ctx, req)
	}
}

func (d deadline) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (d deadline) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, cancel := context.WithTimeout(ctx, time.Duration(d))
		defer cancel()
		return next(ctx, conn)
	}
}

// HTTPLimits bound connections and their reads and writes.
type HTTPLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers; 0 means 10s.
	ReadHeaderTimeout time.Duration
	// BodyTimeout bounds reading a request's body (a trickled body is cut
	// off), set per request so that long responses are not; 0 means 30s.
	BodyTimeout time.Duration
	// WriteTimeout bounds writing a response; 0 means the request timeout
	// plus 30s, so that a stream lasting the whole request fits.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request; 0
	// means 2 minutes.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers; 0 means 64 KiB.
	MaxHeaderBytes int
	// MaxConnections bounds the connections open at once; more wait in
	// the listen backlog. 0 means 512.
	MaxConnections int
}

func (h HTTPLimits) withDefaults(requestTimeout time.Duration) HTTPLimits {
	if h.ReadHeaderTimeout <= 0 {
		h.ReadHeaderTimeout = 10 * time.Second
	}
	if h.BodyTimeout <= 0 {
		h.BodyTimeout = 30 * time.Second
	}
	if h.WriteTimeout <= 0 {
		if requestTimeout <= 0 {
			requestTimeout = DefaultRequestTimeout
		}
		h.WriteTimeout = requestTimeout + 30*time.Second
	}
	if h.IdleTimeout <= 0 {
		h.IdleTimeout = 2 * time.Minute
	}
	if h.MaxHeaderBytes <= 0 {
		h.MaxHeaderBytes = 64 << 10
	}
	if h.MaxConnections <= 0 {
		h.MaxConnections = 512
	}
	return h
}

// Apply sets h's limits on srv (defaults for zero fields; requestTimeout
// sets the default write timeout) and wraps its handler with the body
// deadline.
func (h HTTPLimits) Apply(srv *http.Server, requestTimeout time.Duration) {
	h = h.withDefaults(requestTimeout)
	srv.ReadHeaderTimeout = h.ReadHeaderTimeout
	srv.WriteTimeout = h.WriteTimeout
	srv.IdleTimeout = h.IdleTimeout
	srv.MaxHeaderBytes = h.MaxHeaderBytes
	srv.Handler = bodyDeadline(srv.Handler, h.BodyTimeout)
}

// Listener bounds the connections accepted from ln at once.
func (h HTTPLimits) Listener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, h.withDefaults(0).MaxConnections)
}

// bodyDeadline gives each request d to send its body; reading it to the
// end lifts the deadline, so a long response is not cut off. (The
// server-wide ReadTimeout would also end HTTP/1.1 responses after d.)
func bodyDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err == nil && r.Body != nil && r.Body != http.NoBody {
			r.Body = &liftAtEOF{ReadCloser: r.Body, rc: rc}
		}
		next.ServeHTTP(w, r)
	})
}

type liftAtEOF struct {
	io.ReadCloser
	rc     *http.ResponseController
	lifted bool
}

func (b *liftAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.lifted {
		b.lifted = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// noSchemaLocations refuses schema locations named by a request: the
// server would fetch any URL a caller chose. They come from the server's
// configuration only.
var errSchemaLocations = errors.New(
	"options.schemaLocations: this server does not take schema locations from requests; its operator sets them (aiden serve --schema-location)")

func noSchemaLocations(o *aidenv1.Options) error {
	if len(o.GetSchemaLocations()) == 0 {
		return nil
	}
	return connect.NewError(connect.CodeInvalidArgument, errSchemaLocations)
}

// requestChecker is implemented by *generator.Engine.
type requestChecker interface {
	CheckRequest(req generator.Request) error
}

// checkRequest refuses a request the engine would refuse, before it is
// stored.
func checkRequest(e Engine, req generator.Request) error {
	if c, ok := e.(requestChecker); ok {
		if err := c.CheckRequest(req); err != nil {
			return wire.Error(err)
		}
	}
	return nil
}
