// Package generator is aiden's engine: it turns a sentence of intent into
// files for a GitOps repository, validates them, and returns them with a
// patch against the repository and a record of what was checked.
//
// The engine knows nothing of transports; the RPC server and the CLI call
// Generate and translate.
package generator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Format is the kind of files to generate.
type Format string

// Formats.
const (
	FormatHelm      Format = "helm"
	FormatKustomize Format = "kustomize"
	FormatTerraform Format = "terraform"
)

// ParseFormat reads a format name; empty means helm.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return FormatHelm, nil
	case FormatHelm, FormatKustomize, FormatTerraform:
		return f, nil
	}
	return "", invalidf("unknown format %q (want helm, kustomize or terraform)", s)
}

// Stage names a step of the pipeline.
type Stage string

// Stages, in the order they run.
const (
	StageContext  Stage = "context"
	StagePlan     Stage = "plan"
	StageRender   Stage = "render"
	StageValidate Stage = "validate"
	StageDone     Stage = "done"
)

// Event reports a finished stage.
type Event struct {
	Stage   Stage
	Message string
	Elapsed time.Duration
}

// Request asks for files from a sentence of intent.
type Request struct {
	// Intent is the sentence, for example "Deploy a Redis cluster with 3
	// replicas, persistent storage, and automatic failover in production".
	Intent string
	// Format is the kind of files to produce; empty means helm.
	Format Format
	// TargetPath is the folder, relative to the repository root, that every
	// generated file lands in.
	TargetPath string
	// Environment is optional; the intent or the target path may name it.
	Environment string
	// Workspace holds the repository files the caller sent: configuration,
	// examples, policies and files already at the target. The patch is
	// computed against them.
	Workspace []workspace.File
	// SkipValidation turns render and schema checks off.
	SkipValidation bool
	// PolicyCheck asks for policy checks.
	PolicyCheck bool
	// KubernetesVersion overrides the pinned version to validate against.
	KubernetesVersion string
	// SchemaLocations adds kubeconform schema locations (for CRDs).
	SchemaLocations []string
}

// StageTiming is how long one stage took.
type StageTiming struct {
	Stage   Stage
	Elapsed time.Duration
}

// Provenance says who wrote the files and what they made of the intent.
type Provenance struct {
	// Generator is "planner" or "model".
	Generator string
	// Model names the model when one wrote the files.
	Model string
	// Summary says in one line what was built.
	Summary string
	// Understood lists what was read from the intent.
	Understood []planner.Fact
	// Ignored lists the words of the intent that were not used.
	Ignored []string
	// Stages lists the time spent per stage.
	Stages []StageTiming
}

// Result is what a generation returns.
type Result struct {
	// Files are the generated files, paths relative to the repository root.
	Files []workspace.File
	// Patch is a unified diff from the workspace to the generated files.
	Patch []byte
	// Report lists the checks that ran and their findings.
	Report validators.Report
	// Validated is true when render and schema checks ran.
	Validated bool
	// Provenance says who wrote the files and how long each stage took.
	Provenance Provenance
}

// Valid reports whether the files were validated and no error-level
// finding remains. An unvalidated result is never valid.
func (r *Result) Valid() bool {
	return r.Validated && r.Report.Count(validators.SeverityError) == 0
}

// Validator renders and checks files; *validators.Validator is one.
type Validator interface {
	Render(ctx context.Context, files []workspace.File) (validators.Rendered, validators.Report, error)
	Check(ctx context.Context, r validators.Rendered, opts validators.CheckOptions) (validators.Report, error)
	Validate(ctx context.Context, files []workspace.File, opts validators.CheckOptions) (validators.Report, error)
}

// Limits bound what one request may carry.
type Limits struct {
	// MaxIntent is the longest intent accepted, in bytes.
	MaxIntent int
	// MaxWorkspaceFiles is the most workspace files accepted.
	MaxWorkspaceFiles int
	// MaxWorkspaceBytes is the most workspace content accepted, in bytes.
	MaxWorkspaceBytes int
}

// Options configure an Engine.
type Options struct {
	// KubernetesVersion is the default version to validate against; empty
	// means the version whose schemas ship with aiden.
	KubernetesVersion string
	// SchemaLocations are extra kubeconform schema locations used for every
	// request (for CRDs), before any the request adds.
	SchemaLocations []string
	// Limits bound requests; zero fields take defaults.
	Limits Limits
}

// Engine runs generations. It is safe for concurrent use.
type Engine struct {
	opts Options

	mu         sync.Mutex
	validators map[string]Validator
}

// New returns an Engine with defaults filled in.
func New(opts Options) *Engine {
	if opts.Limits.MaxIntent == 0 {
		opts.Limits.MaxIntent = 4 << 10
	}
	if opts.Limits.MaxWorkspaceFiles == 0 {
		opts.Limits.MaxWorkspaceFiles = 2000
	}
	if opts.Limits.MaxWorkspaceBytes == 0 {
		opts.Limits.MaxWorkspaceBytes = 16 << 20
	}
	return &Engine{opts: opts, validators: map[string]Validator{}}
}

// ErrInvalidInput marks errors caused by the request itself: a missing
// intent, a path that escapes the repository, an oversized request.
var ErrInvalidInput = errors.New("invalid input")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// Generate runs the pipeline: read the context, plan, render, validate,
// and compute the patch. progress, when not nil, is called after each
// stage. Findings are returned in the result, not as errors.
func (e *Engine) Generate(ctx context.Context, req Request, progress func(Event)) (*Result, error) {
	if progress == nil {
		progress = func(Event) {}
	}
	res := &Result{Provenance: Provenance{Generator: "planner"}}
	stage := func(s Stage, start time.Time, msg string) {
		d := time.Since(start)
		res.Provenance.Stages = append(res.Provenance.Stages, StageTiming{Stage: s, Elapsed: d})
		progress(Event{Stage: s, Message: msg, Elapsed: d})
	}

	start := time.Now()
	target, format, err := e.check(req)
	if err != nil {
		return nil, err
	}
	stage(StageContext, start, fmt.Sprintf("%d workspace files, target %s", len(req.Workspace), target))

	start = time.Now()
	plan, err := planner.Parse(req.Intent, planner.Hints{Environment: req.Environment, TargetPath: target, Format: string(format)})
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	generated, err := plan.Files(string(format))
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	res.Provenance.Summary = plan.Summary()
	res.Provenance.Understood = plan.Understood
	res.Provenance.Ignored = plan.Ignored
	if res.Files, err = place(target, generated); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	stage(StagePlan, start, res.Provenance.Summary)

	if !req.SkipValidation {
		start = time.Now()
		v, err := e.validator(req.KubernetesVersion, req.SchemaLocations)
		if err != nil {
			return nil, err
		}
		rendered, rep, err := v.Render(ctx, res.Files)
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		stage(StageRender, start, checkLine(rep, "render", "lint"))

		start = time.Now()
		checked, err := v.Check(ctx, rendered, validators.CheckOptions{Policy: req.PolicyCheck, Workspace: req.Workspace})
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		rep.Add(checked)
		res.Report = rep
		res.Validated = true
		stage(StageValidate, start, checkLine(checked, "schema", "kustomize", "policy"))
	}

	res.Patch = patch.Unified(req.Workspace, res.Files)
	progress(Event{Stage: StageDone, Message: doneLine(res)})
	return res, nil
}

// Check says what to check in Validate.
type Check struct {
	// PolicyCheck asks for policy checks.
	PolicyCheck bool
	// KubernetesVersion overrides the pinned version to validate against.
	KubernetesVersion string
	// SchemaLocations adds kubeconform schema locations (for CRDs).
	SchemaLocations []string
}

// Validate checks existing files (chart folders, manifests) with the same
// checks Generate runs on what it writes. Paths are names only here; the
// caller confines them when they come from outside.
func (e *Engine) Validate(ctx context.Context, files []workspace.File, c Check) (validators.Report, error) {
	if len(files) == 0 {
		return validators.Report{}, invalidf("no files to validate")
	}
	v, err := e.validator(c.KubernetesVersion, c.SchemaLocations)
	if err != nil {
		return validators.Report{}, err
	}
	rep, err := v.Validate(ctx, files, validators.CheckOptions{Policy: c.PolicyCheck, Workspace: files})
	if err != nil {
		return validators.Report{}, fmt.Errorf("validate: %w", err)
	}
	return rep, nil
}

// check validates the request and returns its cleaned target and format.
func (e *Engine) check(req Request) (string, Format, error) {
	intent := strings.TrimSpace(req.Intent)
	switch {
	case intent == "":
		return "", "", invalidf("intent is empty: say what to deploy, for example \"Deploy a Redis cluster with 3 replicas\"")
	case len(intent) > e.opts.Limits.MaxIntent:
		return "", "", invalidf("intent is %d bytes, more than the limit of %d", len(intent), e.opts.Limits.MaxIntent)
	}
	format, err := ParseFormat(string(req.Format))
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(req.TargetPath) == "" {
		return "", "", invalidf("target path is empty: name the folder to generate into, for example clusters/production/apps/redis")
	}
	target, err := workspace.Clean(req.TargetPath)
	if err != nil {
		return "", "", fmt.Errorf("%w: target path: %w", ErrInvalidInput, err)
	}
	if target == "." {
		return "", "", invalidf("target path %q is the repository root: name a folder inside it", req.TargetPath)
	}
	if n := len(req.Workspace); n > e.opts.Limits.MaxWorkspaceFiles {
		return "", "", invalidf("workspace has %d files, more than the limit of %d", n, e.opts.Limits.MaxWorkspaceFiles)
	}
	size := 0
	for i, f := range req.Workspace {
		if _, err := workspace.Clean(f.Path); err != nil {
			return "", "", fmt.Errorf("%w: workspace file %d: %w", ErrInvalidInput, i, err)
		}
		size += len(f.Content)
	}
	if size > e.opts.Limits.MaxWorkspaceBytes {
		return "", "", invalidf("workspace holds %d bytes, more than the limit of %d", size, e.opts.Limits.MaxWorkspaceBytes)
	}
	return target, format, nil
}

// place moves generated files (relative to the target) under target,
// refusing any that would land outside it.
func place(target string, files []workspace.File) ([]workspace.File, error) {
	out := make([]workspace.File, 0, len(files))
	for _, f := range files {
		rel, err := workspace.Clean(f.Path)
		if err != nil {
			return nil, fmt.Errorf("generated file: %w", err)
		}
		p := target + "/" + rel
		if !workspace.Within(target, p) {
			return nil, fmt.Errorf("generated file %q lands outside %s", f.Path, target)
		}
		out = append(out, workspace.File{Path: p, Content: f.Content})
	}
	return out, nil
}

// validator returns a validator for the request's options, reusing one per
// distinct set so that compiled schemas are kept between requests.
func (e *Engine) validator(version string, extra []string) (Validator, error) {
	if version == "" {
		version = e.opts.KubernetesVersion
	}
	locations := append(append([]string{}, e.opts.SchemaLocations...), extra...)
	key := version + "\x00" + strings.Join(locations, "\x00")

	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.validators[key]; ok {
		return v, nil
	}
	v, err := validators.New(validators.Options{KubernetesVersion: version, SchemaLocations: locations})
	if err != nil {
		return nil, fmt.Errorf("%w: validator: %w", ErrInvalidInput, err)
	}
	e.validators[key] = v
	return v, nil
}

func checkLine(rep validators.Report, names ...string) string {
	var parts []string
	for _, c := range rep.Checks {
		for _, n := range names {
			if c.Name == n {
				parts = append(parts, fmt.Sprintf("%s %s", c.Name, c.Status))
			}
		}
	}
	if len(parts) == 0 {
		return "nothing to check"
	}
	return strings.Join(parts, ", ")
}

func doneLine(res *Result) string {
	switch {
	case !res.Validated:
		return fmt.Sprintf("%d files, not validated", len(res.Files))
	case res.Valid():
		return fmt.Sprintf("%d files, valid", len(res.Files))
	}
	return fmt.Sprintf("%d files, %d errors", len(res.Files), res.Report.Count(validators.SeverityError))
}
