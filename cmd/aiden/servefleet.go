package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/telemetry"
)

// fleetFlags are serve's flags for running as one of several replicas:
// metrics, heartbeats, and the database check behind readiness.
// docs/operations.md describes them.
type fleetFlags struct {
	metricsAddr   string
	noMetrics     bool
	heartbeat     time.Duration
	databaseCheck time.Duration
	logFormat     string
}

func (f *fleetFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at /metrics on this address of their own (for example :9090) instead of the API's port")
	fl.BoolVar(&f.noMetrics, "no-metrics", false, "serve no /metrics")
	fl.DurationVar(&f.heartbeat, "heartbeat-interval", server.DefaultHeartbeat,
		fmt.Sprintf("how often a running generation's record is marked alive; another replica marks it interrupted after %d missed heartbeats", server.StaleFactor))
	fl.StringVar(&f.logFormat, "log-format", "text", "log lines as text or json; lines about a request carry its request_id, generation_id and trace_id")
	fl.DurationVar(&f.databaseCheck, "database-check-interval", 10*time.Second, "how often the record database is checked; while it does not answer, health (readiness) is NOT_SERVING")
}

func (f *fleetFlags) check() error {
	if f.heartbeat <= 0 {
		return usageErr("--heartbeat-interval must be positive, got %s", f.heartbeat)
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return usageErr("--log-format must be text or json, got %q", f.logFormat)
	}
	if f.databaseCheck <= 0 {
		return usageErr("--database-check-interval must be positive, got %s", f.databaseCheck)
	}
	return nil
}

// metrics returns the server's metrics, or nil with --no-metrics.
func (f *fleetFlags) metrics() *telemetry.Metrics {
	if f.noMetrics {
		return nil
	}
	return telemetry.NewMetrics()
}

// metricsPath is where the API's port serves the metrics: /metrics unless
// they have an address of their own or are off.
func (f *fleetFlags) metricsPath() string {
	if f.noMetrics || f.metricsAddr != "" {
		return ""
	}
	return "/metrics"
}

// serveMetrics serves m at /metrics on --metrics-addr until ctx ends; it
// returns at once when the metrics have no address of their own.
func (f *fleetFlags) serveMetrics(ctx context.Context, m *telemetry.Metrics, log *slog.Logger) (stop func(), err error) {
	if m == nil || f.metricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", f.metricsAddr)
	if err != nil {
		return nil, usageErr("--metrics-addr: listen on %s: %w", f.metricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
			log.Error("serve metrics", "error", err)
		}
	}()
	log.Info("metrics", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// start begins the work a replica does beside serving: marking the
// records of stopped processes interrupted, and the database check behind
// readiness. Both end with ctx.
func (f *fleetFlags) start(ctx context.Context, h *server.Handler) error {
	if err := h.Recover(ctx); err != nil {
		return fmt.Errorf("recover records: %w", err)
	}
	go h.WatchDatabase(ctx, f.databaseCheck)
	return nil
}

// observer is what the engine tells of its stages and model calls: the
// metrics and the tracing, when on.
func observer(m *telemetry.Metrics, t *telemetry.Tracing) generator.Observer {
	var obs []generator.Observer
	if m != nil {
		obs = append(obs, m)
	}
	if t.Enabled {
		obs = append(obs, t.Observer())
	}
	return telemetry.Observers(obs...)
}

// tracing sets up OpenTelemetry tracing from the standard environment
// variables (OTEL_EXPORTER_OTLP_ENDPOINT and the rest): off without an
// endpoint.
func (f *fleetFlags) tracing(ctx context.Context, log *slog.Logger) (*telemetry.Tracing, error) {
	t, err := telemetry.NewTracing(ctx, os.Getenv, versionString())
	if err != nil {
		return nil, usageErr("tracing: %w", err)
	}
	if t.Enabled {
		log.Info("tracing", "exporter", "otlp")
	}
	return t, nil
}

// stopTracing exports the spans still buffered.
func (f *fleetFlags) stopTracing(t *telemetry.Tracing, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn("tracing", "error", err)
	}
}
