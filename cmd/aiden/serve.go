package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
)

func newServeCmd(stderr io.Writer) *cobra.Command {
	var addr string
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
			return serve(cmd.Context(), addr, slog.New(slog.NewTextHandler(stderr, nil)))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "localhost:8080", "address to listen on")
	return cmd
}

func serve(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr("listen on %s: %w", addr, err)
	}
	engine := generator.New(generator.Options{})
	srv := server.NewHTTPServer(addr, server.New(engine, server.Options{Logger: log}))
	log.Info("serving", "addr", ln.Addr().String(), "version", versionString())

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
