package main

import (
	"context"
	"io"
	"net/http"
	"os"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/mcp"
	"github.com/stackgen/aiden/server"
)

func newMCPCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var mf modelFlags
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve aiden's tools to an editor's agent over MCP (stdio)",
		Long: `Mcp serves the Model Context Protocol on standard input and output, for the
agents inside editors (VS Code, Cursor, Claude Code). Its tools generate,
validate, policy_test, explain_finding and conventions run the same actions
as the CLI, on the workspace the client names (MCP roots), else the current
folder. generate writes only when a call asks for it (write: true), inside
the workspace and all or nothing, as aiden generate does. The model settings
are generate's (flags, AIDEN_* variables, config file); with none the
built-in planner writes the files. aiden serve serves the same server over
HTTP at /mcp.`,
		Example: `  aiden mcp
  claude mcp add aiden -- aiden mcp`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			setup, err := mf.resolve(cmd.Flags(), os.Getenv)
			if err != nil {
				return err
			}
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			return serveMCP(cmd.Context(), setup, wd, stdin, stdout)
		},
	}
	addModelFlags(cmd.Flags(), &mf, false)
	return cmd
}

// serveMCP serves MCP over in and out until the client leaves or ctx ends.
func serveMCP(ctx context.Context, setup modelSetup, wd string, in io.Reader, out io.Writer) error {
	engine := generator.New(generator.Options{Model: setup.opts})
	s := mcp.New(mcp.Options{
		Generate: action.Generate{Engine: engine}.Run,
		Validate: engine,
		Root:     wd,
		Roots:    true,
		Write:    true,
		Version:  versionString(),
	})
	return s.Run(ctx, &sdk.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}})
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// toolRoles is the role each MCP tool needs over HTTP, as its RPC does;
// explain_finding and conventions need none beyond an identity.
var toolRoles = map[string]auth.Role{"generate": auth.RoleGenerate, "validate": auth.RoleValidate, "policy_test": auth.RoleValidate}

func authorizeTool(ctx context.Context, tool string) error {
	if role, ok := toolRoles[tool]; ok {
		return server.Permit(ctx, role)
	}
	return nil
}

// mountMCP serves MCP over streamable HTTP at /mcp of h, behind its
// authentication and limits: generations go through h's recorded door,
// and the workspace is the --repo checkout, read and never written.
func mountMCP(h *server.Handler, repo string) {
	h.Mount("/mcp", mcp.HTTPHandler(func(r *http.Request) mcp.Options {
		return mcp.Options{
			Generate:  h.Generate,
			Validate:  h,
			Root:      repo,
			Bind:      func(ctx context.Context) context.Context { return server.DoorContext(ctx, r) },
			Authorize: authorizeTool,
			Version:   versionString(),
		}
	}, server.DoorCaller))
}
