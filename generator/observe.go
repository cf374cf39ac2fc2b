package generator

import (
	"context"
	"time"
)

// StagePatch is the stage an Observer is told of last: the app registered
// in its parent, the guard of hand-written files and the patch. Events
// end with StageDone instead.
const StagePatch Stage = "patch"

// Observer is told how each generation goes, for metrics and traces
// (Options.Observer). Its methods are called from the generation's
// goroutine and must be quick and safe for concurrent use.
type Observer interface {
	// Stage is called as each stage ends (StageContext, StagePlan once
	// per attempt, StageRender, StageValidate, StagePatch), with the time
	// it started and how long it took.
	Stage(ctx context.Context, s Stage, start time.Time, elapsed time.Duration)
	// ModelCall is called as one call to the model starts (each retry is a
	// call); the context it returns is the call's, and end is called with
	// the call's error when it returns.
	ModelCall(ctx context.Context, model string) (_ context.Context, end func(error))
}

// observeStage tells the engine's observer, if any, of a stage that ended.
func (r *run) observeStage(s Stage, start time.Time, d time.Duration) {
	if o := r.e.opts.Observer; o != nil {
		o.Stage(r.ctx, s, start, d)
	}
}

// observeCall tells the engine's observer, if any, of a model call
// starting; end is called when it returns.
func (e *Engine) observeCall(ctx context.Context, model string) (context.Context, func(error)) {
	if o := e.opts.Observer; o != nil {
		return o.ModelCall(ctx, model)
	}
	return ctx, func(error) {}
}
