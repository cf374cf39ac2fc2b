// Package mcp serves aiden's actions over the Model Context Protocol, for
// the agents inside editors (VS Code agent mode, Cursor, Claude Code): the
// tools generate, validate, policy_test, explain_finding and conventions;
// the repository's generation config, examples and policies as resources;
// and a prompt to author infrastructure for the repository. It is a door
// like the CLI and the RPC server: every tool calls an action (package
// action), and errors carry the API's codes and messages.
//
// Over stdio (aiden mcp) the server is rooted at the workspace the client
// names (MCP roots), else the current folder, and generate writes there
// only when asked (write: true), through the CLI's transactional writer.
// Over streamable HTTP (aiden serve, /mcp) it never writes, and reads the
// server's --repo checkout when there is one.
package mcp

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/generator"
)

// Options configure a server.
type Options struct {
	// Generate runs a generation whose result may leave the process:
	// action.Generate.Run over stdio, the server's recorded door over HTTP.
	Generate func(ctx context.Context, req generator.Request, progress func(generator.Event)) (*generator.Result, error)
	// Validate runs the checks (the engine, or the server's door).
	Validate action.Validator
	// Root is the workspace root on disk; "" means none (tools then take
	// file contents, and there are no resources).
	Root string
	// Roots asks a client that supports roots for its workspace and uses
	// the first file:// root instead of Root (stdio).
	Roots bool
	// Write lets generate write into the workspace when a call asks for it
	// (stdio only).
	Write bool
	// Bind attaches the caller to a tool call's context (HTTP: the
	// authenticated principal); nil leaves it.
	Bind func(context.Context) context.Context
	// Authorize refuses a tool to the caller in ctx (HTTP: roles); nil
	// allows every tool.
	Authorize func(ctx context.Context, tool string) error
	// Version is aiden's version, reported to clients.
	Version string

	sessionID func() string // HTTPHandler's session ids
}

// New returns an MCP server with aiden's tools, resources and prompt.
func New(opts Options) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "aiden", Title: "aiden", Version: opts.Version}, &sdk.ServerOptions{
		Instructions: instructions,
		// Tools, resources and prompts are inferred; logging is not offered.
		Capabilities: &sdk.ServerCapabilities{},
		GetSessionID: opts.sessionID,
	})
	d := &door{opts: opts}
	d.addTools(s)
	d.addResources(s)
	d.addPrompt(s)
	return s
}

const instructions = `aiden turns a sentence of infrastructure intent into validated Helm charts,
Kustomize overlays or Terraform for this GitOps repository, and checks existing files the way its
CI gate does. Call conventions first to learn the repository's rules, generate to author files
(it returns the files, a patch and the findings; it writes nothing unless write is true),
validate to check files, and explain_finding for any finding's rule.`

// door holds what every tool call needs.
type door struct{ opts Options }

// bind returns ctx with the caller attached, and an error when the
// caller may not use tool.
func (d *door) bind(ctx context.Context, tool string) (context.Context, error) {
	if d.opts.Bind != nil {
		ctx = d.opts.Bind(ctx)
	}
	if d.opts.Authorize != nil {
		if err := d.opts.Authorize(ctx, tool); err != nil {
			return ctx, rpcError(err)
		}
	}
	return ctx, nil
}

// root returns the workspace root of a call: the client's first file://
// root when Options.Roots and the client has roots, else Options.Root ("" when
// there is none). The client's roots come in the call's input responses;
// without them root returns errNeedRoots, and the handler asks for them
// (needRoots) and is called again with the answer — by the client on
// protocol 2026-07-28 and later, by the SDK on earlier ones.
func (d *door) root(ss *sdk.ServerSession, responses sdk.InputResponseMap) (string, error) {
	if !d.opts.Roots || ss == nil {
		return d.opts.Root, nil
	}
	p := ss.InitializeParams()
	//lint:ignore SA1019 the workspace comes from roots while clients send them (the deprecation window)
	if p == nil || p.Capabilities == nil || p.Capabilities.RootsV2 == nil {
		return d.opts.Root, nil
	}
	//lint:ignore SA1019 as above
	res, ok := responses[rootsRequest].(*sdk.ListRootsResult)
	if !ok {
		return "", errNeedRoots
	}
	for _, r := range res.Roots {
		if dir, ok := fileRoot(r.URI); ok {
			return dir, nil
		}
	}
	return d.opts.Root, nil
}

// rootsRequest is the id of the roots input request.
const rootsRequest = "roots"

// errNeedRoots says the call must first ask the client for its roots.
var errNeedRoots = errors.New("the client's roots are needed")

// needRoots is the input request for the client's roots.
func needRoots() sdk.InputRequestMap {
	//lint:ignore SA1019 as in root
	return sdk.InputRequestMap{rootsRequest: &sdk.ListRootsParams{}}
}

// fileRoot converts a file:// URI to a folder path.
func fileRoot(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") {
		return "", false
	}
	p := u.Path
	if runtime.GOOS == "windows" {
		p = strings.TrimPrefix(p, "/")
	}
	fi, err := os.Stat(filepath.FromSlash(p))
	if err != nil || !fi.IsDir() {
		return "", false
	}
	return filepath.FromSlash(p), true
}

var errNoRoot = errors.New("this server has no workspace on disk: send the files' contents instead of paths")
