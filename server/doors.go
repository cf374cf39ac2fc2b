package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/wire"
	"github.com/stackgen/aiden/workspace"
)

// Mount serves handler at path behind the same authentication as the API
// (any authenticated caller reaches it; the handler checks roles through
// Generate and Validate) and the same graceful stop, except that GET
// requests at path are long-lived event streams that a stop does not wait
// for. aiden serve mounts the MCP server at /mcp.
func (h *Handler) Mount(path string, handler http.Handler) {
	h.routes.Handle(path, handler)
	h.streams[path] = true
}

// DoorCaller names the caller of an HTTP request to a mounted door: the
// authenticated subject, else the peer address.
func DoorCaller(r *http.Request) string {
	return doorCaller(DoorContext(context.Background(), r))
}

type peerKey struct{}

// DoorContext returns ctx carrying the caller of the HTTP request r (the
// principal the guard put in r's context, and r's peer address), for a
// door whose calls outlive r, such as an MCP session's tool calls.
func DoorContext(ctx context.Context, r *http.Request) context.Context {
	if p, ok := auth.FromContext(r.Context()); ok {
		ctx = auth.NewContext(ctx, p)
	}
	return context.WithValue(ctx, peerKey{}, peerHost(r.RemoteAddr))
}

// doorCaller names the caller of a door call: the authenticated subject,
// else the peer address DoorContext kept.
func doorCaller(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok && p.Subject != "" {
		return p.Subject
	}
	peer, _ := ctx.Value(peerKey{}).(string)
	return peer
}

// Permit refuses a door call whose caller (in ctx, DoorContext) lacks
// role, with the API's permission_denied.
func Permit(ctx context.Context, role auth.Role) error {
	p, ok := auth.FromContext(ctx)
	if !ok || !p.Has(role) {
		return connect.NewError(connect.CodePermissionDenied, errors.New(connect.CodePermissionDenied.String()))
	}
	return nil
}

// Generate runs a generation for a door in this process (MCP over HTTP)
// as GenerateStream runs one: the caller in ctx (DoorContext) needs the
// generate role, counts it against its generation limits, and the
// generation is recorded (door rpc) and bounded by the request timeout.
// Errors are the API's (wire.Error).
func (h *Handler) Generate(ctx context.Context, req generator.Request, progress func(generator.Event)) (*generator.Result, error) {
	if err := Permit(ctx, auth.RoleGenerate); err != nil {
		return nil, err
	}
	if len(req.SchemaLocations) > 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument, errSchemaLocations)
	}
	ctx, cancel := h.timeout(ctx)
	defer cancel()
	release, err := h.limit.acquireKey(ctx, doorCaller(ctx))
	if err != nil {
		return nil, err
	}
	defer release()
	id, err := h.rec.begin(ctx, store.DoorRPC, doorCaller(ctx), req)
	if err != nil {
		return nil, err
	}
	res, err := h.rec.run(ctx, id, metricsDoorMCP, req, progress)
	if err != nil {
		return nil, wire.Error(err)
	}
	return res, nil
}

// Validate checks files for a door in this process as the Validate RPC
// does: the caller in ctx needs the validate role, paths must be clean,
// and the request timeout bounds it.
func (h *Handler) Validate(ctx context.Context, files []workspace.File, c generator.Check) (validators.Report, error) {
	if err := Permit(ctx, auth.RoleValidate); err != nil {
		return validators.Report{}, err
	}
	if len(c.SchemaLocations) > 0 {
		return validators.Report{}, connect.NewError(connect.CodeInvalidArgument, errSchemaLocations)
	}
	ctx, cancel := h.timeout(ctx)
	defer cancel()
	rep, err := action.Validate{Engine: h.rec.engine, Check: c}.Files(ctx, files)
	if err != nil {
		return validators.Report{}, wire.Error(err)
	}
	return rep, nil
}

func (h *Handler) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if t := cmp.Or(h.requestTimeout, DefaultRequestTimeout); t > 0 {
		return context.WithTimeout(ctx, t)
	}
	return context.WithCancel(ctx)
}
