package generator

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/stackgen/aiden/change"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/infer"
	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// The generate pipeline, as Generate runs it: each stage reads and
// fills one state (run). The attempts stage is itself a loop over
// author → place → conventions → fit → render → check, once per attempt
// (once for the planner; the first answer and each repair for a model),
// keeping the best attempt. docs/architecture.md names each stage, its
// file and what it may touch.
var pipeline = []func(*run, context.Context) error{
	(*run).request,  // the request's own limits; the model
	(*run).context,  // the config (parsed once), format, mode; the author
	(*run).cached,   // an identical model request answered before
	(*run).attempts, // author → place → conventions → fit → render → check, per attempt
	(*run).register, // the parent kustomization lists the app
	(*run).guard,    // nothing written by hand is destroyed; the record
	(*run).patch,    // the diff against the workspace
}

// run is the state one request carries through the pipeline.
type run struct {
	ctx       context.Context // the request's, for the Observer
	e         *Engine
	req       Request
	progress  func(Event)
	streaming bool
	start     time.Time // of the current stage's timing
	res       *Result
	done      bool // a stage answered the request (the cache)

	target string
	format Format
	model  string
	cfg    *genconfig.Config // parsed once per request
	v      Validator         // made on first use
	mode   Mode
	app    *change.App // the app a change changes
	own    *guard
	author author
	land   func(ctx context.Context, d draft) (landing, error)
	key    string // the cache key, when the model writes a new app

	// inferred is the proposal cfg was inferred from, when the workspace
	// holds no config (inferred.go).
	inferred *infer.Proposal
}

// Generate runs the pipeline: check the request, read the context, write
// the files (the model, or the built-in planner when none is configured)
// and check them — place, conventions, fit into the repository, render
// once, check that render — repairing with the model while errors remain,
// then register the app, guard what a person wrote and compute the patch.
// progress, when not nil, is called after each stage and, while a model
// writes, with each piece of its answer. Findings are returned in the
// result, not as errors; a model that produced nothing usable is a
// *ModelError.
func (e *Engine) Generate(ctx context.Context, req Request, progress func(Event)) (*Result, error) {
	r := &run{ctx: ctx, e: e, req: req, progress: progress, streaming: progress != nil, start: time.Now(),
		res: &Result{Provenance: Provenance{Generator: "planner"}}}
	if r.progress == nil {
		r.progress = func(Event) {}
	}
	for _, stage := range pipeline {
		if err := stage(r, ctx); err != nil {
			return nil, err
		}
		if r.done {
			break
		}
	}
	return r.res, nil
}

// stage ends the timing of stage s, started at r.start, records it and
// reports it with msg; the next stage's timing starts now. Every stage
// event and timing of a generation comes from here.
func (r *run) stage(s Stage, msg string) {
	d := time.Since(r.start)
	r.observeStage(s, r.start, d)
	r.res.Provenance.Stages = append(r.res.Provenance.Stages, StageTiming{Stage: s, Elapsed: d})
	r.progress(Event{Stage: s, Message: msg, Elapsed: d})
	r.start = time.Now()
}

// request checks the request's own limits and picks the model.
func (r *run) request(context.Context) error {
	var err error
	if r.target, r.format, err = r.e.check(r.req); err != nil {
		return err
	}
	r.model, err = r.e.modelName(r.req)
	return err
}

// context parses the generation config (once for the whole request),
// takes the format and Kubernetes version it gives the target, decides
// the mode, reads the target's record, and picks the author and where
// its files land.
func (r *run) context(context.Context) error {
	req := &r.req
	cfg, err := genconfig.FromWorkspace(req.Workspace)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if inferred, p := inferConfig(req.Workspace); inferred != nil {
		cfg, r.inferred = inferred, p // no config: what the repository does (inferred.go)
		req.Workspace = withInferred(req.Workspace, p)
	}
	r.cfg = infer.WithCatalog(cfg)
	if strings.TrimSpace(string(req.Format)) == "" {
		if f := cfg.FormatFor(r.target); f != "" {
			r.format = Format(f)
		}
	}
	if req.KubernetesVersion == "" {
		req.KubernetesVersion = cfg.KubernetesVersion
	}
	r.stage(StageContext, fmt.Sprintf("%d workspace files, target %s", len(req.Workspace), r.target))

	if r.mode, r.app, err = resolveMode(req.Mode, r.target, req.Workspace); err != nil {
		return err
	}
	r.res.Mode = r.mode
	if r.own, err = newGuard(*req, r.mode, r.target); err != nil {
		return err
	}
	return r.pickAuthor()
}

// pickAuthor chooses who writes the files — the model when one is
// configured, else the built-in planner (or, for a change, the built-in
// change author) — and where its files land.
func (r *run) pickAuthor() error {
	model := r.e.opts.Model.Provider != nil
	var err error
	switch {
	case r.mode == ModeChange && model:
		r.author, err = newModelChangeAuthor(r)
		r.land = r.landChange
	case r.mode == ModeChange:
		r.author = &changeAuthor{r: r}
		r.land = r.landChange
	case model:
		r.author, err = newModelAuthor(r)
		r.land = r.landNew
		r.key = r.e.cacheKey(r.req, r.target, r.format, r.model)
	default:
		r.author = &plannerAuthor{r: r}
		r.land = r.landNew
	}
	return err
}

// cached answers a model request identical to one answered before from
// the cache, without calling the model.
func (r *run) cached(context.Context) error {
	if r.key == "" {
		return nil
	}
	if hit, ok := r.e.cache.get(r.key); ok {
		res := *hit
		res.Provenance.Cached = true
		r.res, r.done = &res, true
		r.progress(Event{Stage: StageDone, Message: doneLine(&res) + " (cached)"})
	}
	return nil
}

// register adds a new app to its parent kustomization, when there is
// one. It runs after the checks: the parent's other folders are not in
// the workspace, so the parent itself cannot be built here.
func (r *run) register(context.Context) error {
	if r.mode == ModeChange {
		return nil
	}
	parent, ok, err := gitops.Register(r.req.Workspace, r.target)
	if err != nil {
		return fmt.Errorf("register %s: %w", r.target, err)
	}
	if ok {
		r.res.Files = append(r.res.Files, parent)
	}
	more, facts, err := r.registerLayout()
	if err != nil {
		return fmt.Errorf("register %s: %w", r.target, err)
	}
	r.res.Files = replaceFiles(r.res.Files, more)
	prov := &r.res.Provenance
	if r.inferred != nil {
		prov.Summary += "; layout and conventions " + r.inferred.Summary()
		facts = append(inferredFacts(r.inferred), facts...)
	}
	prov.Understood = append(prov.Understood, facts...)
	return nil
}

// guard refuses what would destroy a file a person wrote and adds the
// app's record (see guard.finish).
func (r *run) guard(context.Context) error { return r.own.finish(r.res) }

// patch computes the diff from the workspace to the result, caches a
// model's result and reports the end.
func (r *run) patch(context.Context) error {
	r.res.Patch = patch.Unified(r.req.Workspace, r.res.Files, r.res.Deleted...)
	if r.key != "" {
		r.e.cache.put(r.key, r.res)
	}
	r.observeStage(StagePatch, r.start, time.Since(r.start))
	r.progress(Event{Stage: StageDone, Message: doneLine(r.res)})
	return nil
}

// draft is what an author wrote for one attempt.
type draft struct {
	// files are the files written, with repository paths (placed).
	files []workspace.File
	// deleted are workspace files the author deletes (a change).
	deleted []string
	// vars are the app, environment, component and team the conventions
	// are applied for.
	vars genconfig.Vars
	// findings are problems of the answer itself (files outside the
	// target, a redacted value written back), reported with the checks.
	findings []validators.Finding
	// after are problems of the answer reported after the checks (a
	// redacted value written back).
	after []validators.Finding
	// problem says why nothing usable came back; the author is asked again.
	problem string
	// failed is a model call that failed after its retries.
	failed error
	// attempt is the model's account of the attempt, nil for the
	// built-in authors.
	attempt *Attempt
	// message is the plan event's message.
	message string
}

// landing is where a draft's files land: the files returned, what is
// rendered and checked (final: with the files they sit beside, as the
// patch will leave the target), the workspace files they delete, and the
// conventions findings about them (those of the sources; what the render
// shows joins them in check).
type landing struct {
	files   []workspace.File
	final   []workspace.File
	deleted []string
	vars    genconfig.Vars
	// own are the answer's own problems, reported before the checks.
	own  []validators.Finding
	conv []validators.Finding
	// conventions is true when the conventions check runs on the render
	// (a new app; a change is checked by the other checks).
	conventions bool
}

// landNew lands the files of a new app: it wraps them for the parent
// kustomization, applies the repository's conventions to their sources
// (conventions stage) and fits them into the target as the repository
// holds it (settle).
func (r *run) landNew(_ context.Context, d draft) (landing, error) {
	files, conv, err := conform(r.cfg, d.vars, r.req.Workspace, r.target, d.files)
	if err != nil {
		return landing{}, err
	}
	final, deleted := settle(r.format, r.own.owner, r.req.Workspace, files)
	return landing{files: files, final: final, deleted: deleted, vars: d.vars, own: d.findings, conv: conv, conventions: true}, nil
}

// landChange lands the files of a change: the whole app as it stands
// after it is rendered and checked.
func (r *run) landChange(_ context.Context, d draft) (landing, error) {
	return landing{files: d.files, final: changedApp(r.app, d.files, d.deleted), deleted: d.deleted, vars: d.vars, own: d.findings, conv: d.after}, nil
}

// appVars are the conventions' variables for a model's files: the
// request's environment, the target folder's name, the config's team.
func (r *run) appVars() genconfig.Vars {
	return genconfig.Vars{Env: requestEnvironment(r.req, r.target), App: path.Base(r.target), Team: r.cfg.Team}
}
