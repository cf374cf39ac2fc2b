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
)

func newServeCmd(stderr io.Writer) *cobra.Command {
	var addr string
	var rf recordFlags
	var mf modelFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Connect, gRPC and gRPC-Web API on one port",
		Long: `Serve runs the aiden API: Connect (JSON or binary over HTTP/1.1 or HTTP/2),
gRPC and gRPC-Web on one port, without TLS (h2c), with gRPC health checking and
server reflection. Put TLS in front of it (an ingress or a mesh) when it leaves
the machine.`,
		Example: `  aiden serve --addr :8080
  curl -s localhost:8080/aiden.v1.GenerateService/Generate -H 'Content-Type: application/json' \
    -d '{"intent":"Deploy a Redis cluster with 3 replicas in production","targetPath":"apps/redis"}'`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ms, err := mf.resolve(cmd.Flags(), os.Getenv)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), addr, rf, ms, slog.New(slog.NewTextHandler(stderr, nil)))
		},
	}
	addModelFlags(cmd.Flags(), &mf, true)
	cmd.Flags().StringVar(&addr, "addr", "localhost:8080", "address to listen on")
	rf.bind(cmd)
	return cmd
}

func serve(ctx context.Context, addr string, rf recordFlags, ms modelSetup, log *slog.Logger) error {
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
	engine := generator.New(generator.Options{Model: ms.opts})
	srv := server.NewHTTPServer(addr, server.New(engine, server.Options{Logger: log, Store: st, Slack: slackOpts}))
	log.Info("serving", "addr", ln.Addr().String(), "version", versionString(), "generator", ms.describe())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
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

// open opens the record database, marks what a stopped process left
// running as interrupted, and reads the Slack settings.
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
	if err := server.Recover(ctx, st, log); err != nil {
		st.Close()
		return nil, server.SlackOptions{}, fmt.Errorf("recover records: %w", err)
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
