// Command aiden turns a sentence of infrastructure intent into validated
// Helm charts for a GitOps repository, validates existing files, and serves
// the same engine over a Connect RPC API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/wire"
)

// Exit codes.
const (
	exitOK       = 0 // clean
	exitFindings = 1 // findings at or above --fail-on
	exitUsage    = 2 // bad usage or input
	exitFailure  = 3 // aiden itself failed (server unreachable, internal error)
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error // nil when the output already said everything
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// codeFor picks the exit code for an engine or RPC error.
func codeFor(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	switch wire.Error(err).Code() {
	case connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodeUnimplemented,
		connect.CodeOutOfRange, connect.CodeNotFound, connect.CodeAlreadyExists:
		return exitUsage
	}
	return exitFailure
}

func main() {
	helmchart.RunIfChild() // a chart render started by serve (helmchart.Isolate)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := codeFor(err)
	var ee *exitError
	if !errors.As(err, &ee) || ee.err != nil {
		fmt.Fprintf(stderr, "aiden: %s\n", message(err))
	}
	return code
}

// message strips the Connect code prefix that a remote error carries: the
// user wants the reason, not the wire status.
func message(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return err.Error()
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "aiden",
		Short: "Turn a sentence of infrastructure intent into validated files for a GitOps repository",
		Long: `aiden turns a sentence of infrastructure intent into a Helm chart for a GitOps
repository, renders it, validates it against the Kubernetes schemas that ship
inside the binary, and returns it as files or a patch. With no model configured
the built-in offline planner writes the files.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%w (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(
		newGenerateCmd(stdout, stderr),
		newValidateCmd(stdout, stderr),
		newServeCmd(stderr),
		newVersionCmd(stdout),
		newHistoryCmd(stdout), newShowCmd(stdout),
		newConfigCmd(stdout),
		newPolicyCmd(stdout),
		newLSPCmd(),
		newMCPCmd(os.Stdin, stdout),
		newSchemasCmd(stdout),
		newReviewCmd(stdout),
		newInitCmd(stdout, stderr),
	)
	return root
}

// exactArgs wraps cobra's argument checks so that they exit 2.
func argsUsage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageErr("%w (see '%s --help')", err, cmd.CommandPath())
		}
		return nil
	}
}
