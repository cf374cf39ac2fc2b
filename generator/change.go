package generator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stackgen/aiden/change"
	"github.com/stackgen/aiden/genconfig"
)

// changeApp makes the change an intent asks of the app at the target, with
// the built-in change author, and fills res with the edited files.
func (e *Engine) changeApp(ctx context.Context, req Request, cfg *genconfig.Config, app *change.App, res *Result,
	stage func(Stage, time.Time, string), progress func(Event)) error {
	start := time.Now()
	out, err := change.Apply(ctx, app, change.Request{Intent: req.Intent, Environment: req.Environment, Workspace: req.Workspace})
	if err != nil {
		var u *change.UnsupportedError
		if errors.As(err, &u) {
			return fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
		return fmt.Errorf("change %s: %w", app.Root, err)
	}
	res.Files, res.Deleted = out.Files, out.Deleted
	res.Provenance.Summary = out.Summary
	res.Provenance.Understood = out.Understood
	res.Provenance.Ignored = out.Ignored
	stage(StagePlan, start, out.Summary)
	return nil
}
