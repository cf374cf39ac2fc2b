// Package action holds one action per verb of aiden — generate (create,
// change, replace), validate, policy test — that every door calls: the
// CLI, the RPC server, Slack, MCP and the language server. An action owns
// what each door must do the same way: running the engine, redacting what
// leaves the process, the findings exit rule and the text form of a
// finding. It knows nothing of Connect, HTTP or the proto; doors convert at
// their edge.
package action

import (
	"context"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Generator is what Generate needs of the engine; *generator.Engine is one.
type Generator interface {
	Generate(ctx context.Context, req generator.Request, progress func(generator.Event)) (*generator.Result, error)
}

// Validator is what Validate needs of the engine; *generator.Engine is one.
type Validator interface {
	Validate(ctx context.Context, files []workspace.File, c generator.Check) (validators.Report, error)
}
