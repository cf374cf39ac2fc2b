package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/telemetry"
)

// Handler serves the API (see New). Drain and Interrupt stop it
// gracefully: health turns NOT_SERVING, new requests are refused, those in
// flight finish, and records still running are then marked interrupted.
type Handler struct {
	health   *grpchealth.StaticChecker
	services []string
	mux      http.Handler // health checks, unguarded
	api      http.Handler // everything else, behind the guard
	rec      *recorder
	errors   *connect.ErrorWriter
	work     *tracker
	// Doors in this process (doors.go).
	routes         *http.ServeMux  // mux, for Mount
	streams        map[string]bool // mounted paths whose GETs are event streams
	limit          *limiter
	requestTimeout time.Duration
	// Telemetry (metrics.go): nil metrics record nothing; metricsPath
	// serves them unguarded, like health, when not empty.
	metrics     *telemetry.Metrics
	metricsPath string
	// state guards the drain and the database's health (WatchDatabase).
	state    sync.Mutex
	draining bool
	dbDown   bool
}

// LivenessService is the health service that answers SERVING for as long
// as the process serves, draining or not and whatever the database: the
// one a liveness probe asks about. The overall status ("") is readiness.
const LivenessService = "liveness"

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, healthPrefix) {
		h.mux.ServeHTTP(w, r)
		return
	}
	if h.metricsPath != "" && r.URL.Path == h.metricsPath {
		h.metrics.Handler().ServeHTTP(w, r)
		return
	}
	r = withRequestID(w, r)
	if _, procedure := h.route(r.URL.Path); !procedure && h.metrics != nil {
		h.countHTTP(w, r, h.serveAPI)
		return
	}
	h.serveAPI(w, r)
}

// serveAPI serves everything but health and metrics: behind the guard,
// counted in, and refused once the server stops.
func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !h.work.enter() {
		h.unavailable(w, r)
		return
	}
	if r.Method == http.MethodGet && h.streams[r.URL.Path] {
		h.work.leave("") // an event stream: a stop does not wait for it
	} else {
		defer h.work.leave("")
	}
	h.api.ServeHTTP(w, r)
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	h.countRefused(r, connect.CodeUnavailable)
	if h.errors.IsSupported(r) {
		_ = h.errors.Write(w, r, connect.NewError(connect.CodeUnavailable, errors.New("the server is shutting down")))
		return
	}
	http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
}

// Drain turns health NOT_SERVING, refuses new requests (health checks
// still answer), and waits until the requests and the generations in
// flight, chat ones included, have finished, or ctx ends.
func (h *Handler) Drain(ctx context.Context) error {
	h.state.Lock()
	h.draining = true
	h.setHealthLocked()
	h.state.Unlock()
	h.work.close()
	return h.work.wait(ctx)
}

// Interrupt marks the records of generations still running in this
// process interrupted, and returns how many it marked. Call it after
// Drain and after cancelling the requests it did not see finish.
func (h *Handler) Interrupt(ctx context.Context) (int, error) {
	if h.rec.store == nil {
		return 0, nil
	}
	n := 0
	var errs []error
	for _, id := range h.work.running() {
		g, err := h.rec.store.Get(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if g.Status != store.StatusRunning {
			continue
		}
		g.Status = store.StatusInterrupted
		g.Error = "interrupted: the server stopped before the generation finished"
		g.FinishTime = time.Time{} // Finish fills in now
		if err := h.rec.store.Finish(ctx, g); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// tracker counts the requests and generations in flight, and refuses new
// requests once closed.
type tracker struct {
	mu     sync.Mutex
	closed bool
	n      int
	idle   chan struct{} // closed when n falls to zero
	ids    map[string]bool
}

func newTracker() *tracker { return &tracker{ids: map[string]bool{}} }

func (t *tracker) inc() {
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

// enter counts a request in, or returns false once closed.
func (t *tracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.inc()
	return true
}

// begin counts a running generation in, closed or not: it belongs to a
// request that entered.
func (t *tracker) begin(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ids[id] {
		t.ids[id] = true
		t.inc()
	}
}

// leave counts a request (id "") or a generation out.
func (t *tracker) leave(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id != "" {
		if !t.ids[id] {
			return
		}
		delete(t.ids, id)
	}
	t.n--
	if t.n == 0 {
		close(t.idle)
	}
}

func (t *tracker) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// stopping reports whether the tracker was closed: the server is stopping.
func (t *tracker) stopping() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *tracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		if t.n == 0 {
			t.mu.Unlock()
			return nil
		}
		idle := t.idle
		t.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (t *tracker) running() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.ids))
	for id := range t.ids {
		out = append(out, id)
	}
	return out
}
