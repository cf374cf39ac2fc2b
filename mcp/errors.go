package mcp

import (
	"encoding/json"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/stackgen/aiden/wire"
)

// rpcError maps an error onto an MCP (JSON-RPC) error with the API's code
// and message: wire.Error picks the code as for every RPC, the message
// is the API's, and data.code names the code ("invalid_argument"). The
// JSON-RPC code is -32602 (invalid params) for invalid_argument, -32603
// (internal error) for internal, and -32000 minus the Connect code's
// number otherwise (unavailable -32014, deadline_exceeded -32004,
// resource_exhausted -32008, permission_denied -32007, failed_precondition
// -32009, canceled -32001).
func rpcError(err error) error {
	if err == nil {
		return nil
	}
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return we
	}
	ce := wire.Error(err)
	data, _ := json.Marshal(map[string]string{"code": ce.Code().String()})
	return &jsonrpc.Error{Code: rpcCode(ce.Code()), Message: ce.Message(), Data: data}
}

func rpcCode(c connect.Code) int64 {
	switch c {
	case connect.CodeInvalidArgument:
		return jsonrpc.CodeInvalidParams
	case connect.CodeInternal, connect.CodeUnknown:
		return jsonrpc.CodeInternalError
	}
	return -32000 - int64(c)
}

// invalid is a bad argument of a tool call: invalid_argument.
func invalid(format string, args ...any) error {
	return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(format, args...))
}
