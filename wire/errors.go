package wire

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/workspace"
)

// Error maps an engine error onto a Connect error with the right code. It
// is the one place where that mapping lives: the server, the CLI and the
// MCP door use it.
func Error(err error) *connect.Error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	var pathErr *workspace.PathError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return modelError(connect.CodeDeadlineExceeded, err)
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	case errors.Is(err, generator.ErrInvalidInput), errors.As(err, &pathErr), errors.Is(err, planner.ErrIncomplete):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.Is(err, planner.ErrNotCovered):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, planner.ErrFormat):
		return connect.NewError(connect.CodeUnimplemented, err)
	case errors.Is(err, generator.ErrRateLimited), errors.Is(err, generator.ErrTruncated):
		return modelError(connect.CodeResourceExhausted, err)
	case errors.Is(err, generator.ErrUnavailable), errors.Is(err, generator.ErrBadAnswer):
		return modelError(connect.CodeUnavailable, err)
	case errors.Is(err, generator.ErrRejected):
		return modelError(connect.CodeFailedPrecondition, err)
	}
	return connect.NewError(connect.CodeInternal, err)
}

// modelError attaches every model attempt, with what was received, to
// the error as details (aiden.v1.ModelAttempt), so nothing is lost.
func modelError(code connect.Code, err error) *connect.Error {
	ce := connect.NewError(code, err)
	var me *generator.ModelError
	if errors.As(err, &me) {
		for _, a := range me.Attempts {
			if d, derr := connect.NewErrorDetail(AttemptToProto(a)); derr == nil {
				ce.AddDetail(d)
			}
		}
	}
	return ce
}
