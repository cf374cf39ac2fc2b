package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/validators/helmchart"
)

func newServeCmd(stderr io.Writer) *cobra.Command {
	var addr string
	var rf recordFlags
	var mf modelFlags
	var sf securityFlags
	var shutdownTimeout time.Duration
	var lf limitFlags
	var ff fleetFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Connect, gRPC and gRPC-Web API on one port",
		Long: `Serve runs the aiden API: Connect (JSON or binary over HTTP/1.1 or HTTP/2),
gRPC and gRPC-Web on one port, with gRPC health checking and server reflection;
over TLS (HTTP/2 by ALPN) with --tls-cert and --tls-key, else over h2c.

Every request but health checks needs an identity: a bearer token from
--auth-token-file or --oidc-issuer, or a client certificate (--client-ca).
Without any, serve listens on loopback only, with a warning, and refuses any
other address unless --insecure-no-auth is given. See docs/security.md.`,
		Example: `  aiden serve --addr :8443 --tls-cert tls.crt --tls-key tls.key --auth-token-file tokens.yaml
  curl -s https://aiden.example.com:8443/aiden.v1.GenerateService/Generate -H "Authorization: Bearer $AIDEN_TOKEN" \
    -H 'Content-Type: application/json' -d '{"intent":"Deploy a Redis cluster with 3 replicas in production","targetPath":"apps/redis"}'`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ff.check(); err != nil {
				return err
			}
			log := telemetry.NewLogger(stderr, ff.logFormat)
			if err := sf.check(cmd.Context(), addr, log); err != nil {
				return err
			}
			ms, err := mf.resolve(cmd.Flags(), os.Getenv)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), addr, rf, sf, lf, ff, ms, shutdownTimeout, log)
		},
	}
	addModelFlags(cmd.Flags(), &mf, true)
	cmd.Flags().StringVar(&addr, "addr", "localhost:8080", "address to listen on")
	cmd.Flags().DurationVar(&shutdownTimeout, "shutdown-timeout", 30*time.Second,
		"on SIGTERM or SIGINT, how long requests and generations in flight may take to finish before they are cancelled and marked interrupted")
	rf.bind(cmd)
	sf.bind(cmd)
	lf.bind(cmd)
	ff.bind(cmd)
	return cmd
}

func serve(ctx context.Context, addr string, rf recordFlags, sf securityFlags, lf limitFlags, ff fleetFlags, ms modelSetup, shutdownTimeout time.Duration, log *slog.Logger) error {
	authn, err := sf.authenticator(ctx)
	if err != nil {
		return err
	}
	tlsCfg, err := sf.tlsConfig(log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr("listen on %s: %w", addr, err)
	}
	st, slackOpts, err := rf.open(ctx, log, ms.slackSecret)
	if err != nil {
		ln.Close()
		return err
	}
	defer st.Close()
	slackOpts.Users = ms.slackUsers
	slackOpts.ResponseBases = lf.slackResponseBases()
	metrics := ff.metrics()
	tracing, err := ff.tracing(ctx, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer ff.stopTracing(tracing, log)
	engine := generator.New(generator.Options{Model: ms.opts, SchemaLocations: lf.schemaLocations, Observer: observer(metrics, tracing)})
	h := server.New(engine, server.Options{Logger: log, Store: st, Slack: slackOpts, Auth: authn, Limits: lf.limits(ms.opts.Provider != nil),
		Metrics: metrics, MetricsPath: ff.metricsPath(), Heartbeat: ff.heartbeat, Tracing: tracing})
	mountMCP(h, rf.repo)
	if err := ff.start(ctx, h); err != nil {
		ln.Close()
		return err
	}
	stopMetrics, err := ff.serveMetrics(ctx, metrics, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	var srv *http.Server
	if tlsCfg != nil {
		srv = server.NewHTTPSServer(addr, h, tlsCfg)
	} else {
		srv = server.NewHTTPServer(addr, h)
	}
	if ln, err = lf.apply(srv, ln); err != nil {
		ln.Close()
		return err
	}
	defer helmchart.Isolate(nil, helmchart.Limits{}) // render in-process again once serving ends
	// Requests outlive the signal until the shutdown timeout.
	base, cancelRequests := context.WithCancel(context.Background())
	defer cancelRequests()
	srv.BaseContext = func(net.Listener) context.Context { return base }
	log.Info("serving", "addr", ln.Addr().String(), "tls", tlsCfg != nil, "auth", authn != nil,
		"version", versionString(), "generator", ms.describe())

	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return stop(srv, h, errc, shutdownTimeout, cancelRequests, log)
}

// stop shuts the server down gracefully: health NOT_SERVING and new
// requests refused, those in flight given until timeout to finish, then
// the rest cancelled and their records marked interrupted.
func stop(srv *http.Server, h *server.Handler, errc <-chan error, timeout time.Duration, cancelRequests func(), log *slog.Logger) error {
	log.Info("shutting down: health NOT_SERVING, new requests refused, waiting for those in flight", "timeout", timeout)
	drainCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := h.Drain(drainCtx); err != nil {
		log.Warn("shutdown timeout reached: cancelling the requests still running")
	}
	cancelRequests()
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelClose()
	if err := srv.Shutdown(closeCtx); err != nil {
		srv.Close()
	}
	if n, err := h.Interrupt(context.Background()); err != nil {
		log.Error("mark interrupted generations", "error", err)
	} else if n > 0 {
		log.Info("marked generations still running interrupted", "count", n)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// recordFlags are serve's flags for the generation record and the Slack
// slash command.
type recordFlags struct {
	databaseURL string
	repo        string
	publicURL   string
	secretFile  string
}

func (f *recordFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.databaseURL, "database-url", os.Getenv("AIDEN_DATABASE_URL"),
		"where generation records live: postgres://... for PostgreSQL, else a SQLite file path (default $AIDEN_DATABASE_URL, else aiden/aiden.db in the user state folder)")
	fl.StringVar(&f.repo, "repo", os.Getenv("AIDEN_REPO"), "local checkout of the GitOps repository that chat generations read (default $AIDEN_REPO)")
	fl.StringVar(&f.publicURL, "public-url", os.Getenv("AIDEN_PUBLIC_URL"), "this service's URL as users reach it, for patch links in chat (default $AIDEN_PUBLIC_URL)")
	fl.StringVar(&f.secretFile, "slack-signing-secret-file", "", "file holding the Slack app's signing secret (default: $SLACK_SIGNING_SECRET, else slack.signingSecret in the config file); without a secret /slack/commands is off")
}

// open opens the record database and reads the Slack settings (what a
// stopped process left running is marked interrupted by fleetFlags.start).
func (f *recordFlags) open(ctx context.Context, log *slog.Logger, configSecret string) (*store.Store, server.SlackOptions, error) {
	url := f.databaseURL
	if url == "" {
		dir, err := stateDir()
		if err != nil {
			return nil, server.SlackOptions{}, usageErr("--database-url is required: %w", err)
		}
		url = filepath.Join(dir, "aiden", "aiden.db")
	}
	secret := cmp.Or(os.Getenv("SLACK_SIGNING_SECRET"), configSecret)
	if f.secretFile != "" {
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, server.SlackOptions{}, usageErr("--slack-signing-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret != "" && f.repo == "" {
		return nil, server.SlackOptions{}, usageErr("--repo is required with a Slack signing secret: chat generations read that checkout")
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return nil, server.SlackOptions{}, fmt.Errorf("open records: %w", err)
	}
	log.Info("records", "database", redactURL(url), "slack", secret != "")
	return st, server.SlackOptions{SigningSecret: secret, Repo: f.repo, PublicURL: f.publicURL}, nil
}

// stateDir is $XDG_STATE_HOME, else ~/.local/state.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state"), nil
}

// redactURL hides a database password from the log.
func redactURL(s string) string {
	if u, err := neturl.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}
