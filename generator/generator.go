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

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
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

// Event reports a finished stage, or a piece of a model's answer as it
// arrives (Delta set, Stage plan).
type Event struct {
	Stage   Stage
	Message string
	Elapsed time.Duration
	// Attempt numbers the model attempt the event belongs to (1 is the
	// first answer, 2 the first repair), or 0 without a model.
	Attempt int
	// Delta is text the model just produced, when streaming.
	Delta string
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
	// Model names the model to use instead of the configured one; it must
	// be in the engine's allowed list. Empty means the configured model.
	Model string
	// Mode says whether the request creates an app, changes the one the
	// target holds, or replaces it; empty is ModeAuto.
	Mode Mode
	// Force lets ModeReplace overwrite files changed by hand since aiden
	// wrote them. Files aiden never wrote are left alone even then.
	Force bool
}

// Mode is what a request does to the target folder.
type Mode string

// Modes.
const (
	// ModeAuto changes the app the target holds, or creates one when the
	// target holds none.
	ModeAuto Mode = "auto"
	// ModeCreate creates an app; a target that holds one is refused.
	ModeCreate Mode = "create"
	// ModeChange changes the app the target holds; an empty target is
	// refused.
	ModeChange Mode = "change"
	// ModeReplace regenerates the app from scratch, leaving alone the files
	// aiden did not write and refusing those changed by hand (unless Force).
	ModeReplace Mode = "replace"
)

// LeftAlone is a file a generation did not write or delete, and why.
type LeftAlone struct {
	// Path is the repository path.
	Path string
	// Reason says why, for example "changed by hand since aiden wrote it".
	Reason string
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
	// Attempts lists every model attempt: the first answer and each
	// repair, with its findings and tokens.
	Attempts []Attempt
	// Chosen numbers the attempt whose files were returned (the best one).
	Chosen int
	// Usage is the tokens of all attempts.
	Usage Usage
	// Examples names the few-shot examples sent, as source/name.
	Examples []string
	// ExampleTokens estimates the tokens the examples took.
	ExampleTokens int
	// PromptVersion names the prompt templates used.
	PromptVersion string
	// Redacted counts the secrets removed from what was sent to the model.
	Redacted int
	// Cached is true when the result came from the cache of identical
	// requests, without calling the model.
	Cached bool
}

// Attempt is one answer of a model and what the checks made of it.
type Attempt struct {
	// Number is 1 for the first answer, 2 for the first repair, ...
	Number int
	// Usage is the tokens of this request.
	Usage Usage
	// Elapsed is the time the model took, retries included.
	Elapsed time.Duration
	// Retries counts the calls repeated after 429 or 5xx.
	Retries int
	// Files counts the files accepted from the answer.
	Files int
	// Findings are what the checks found in this attempt's files.
	Findings []validators.Finding
	// Errors counts the error-level findings.
	Errors int
	// Problem says why the answer could not be used, if it could not.
	Problem string
	// Received is the answer's text when it could not be used (capped at
	// 64 KiB), so nothing is lost.
	Received string
	// Truncated is true when the answer stopped at the token limit.
	Truncated bool
}

// Result is what a generation returns.
type Result struct {
	// Files are the generated files, paths relative to the repository root.
	Files []workspace.File
	// Deleted lists workspace files (repository paths) that the generated
	// files replace, such as chart templates the new chart no longer has.
	Deleted []string
	// Patch is a unified diff from the workspace to the generated files.
	Patch []byte
	// Report lists the checks that ran and their findings.
	Report validators.Report
	// Validated is true when render and schema checks ran.
	Validated bool
	// Provenance says who wrote the files and how long each stage took.
	Provenance Provenance
	// Mode is what the generation did: create, change or replace.
	Mode Mode
	// LeftAlone lists the files at the target that were not written or
	// deleted, with the reason.
	LeftAlone []LeftAlone
}

// Valid reports whether the files were validated and no error-level
// finding remains. An unvalidated result is never valid.
func (r *Result) Valid() bool {
	return r.Validated && r.Report.Count(validators.SeverityError) == 0
}

// Validator renders and checks files; *validators.Validator is one.
type Validator interface {
	Render(ctx context.Context, files []workspace.File, opts validators.RenderOptions) (validators.Rendered, validators.Report, error)
	Check(ctx context.Context, r validators.Rendered, opts validators.CheckOptions) (validators.Report, error)
	Validate(ctx context.Context, files []workspace.File, opts validators.CheckOptions) (validators.Report, error)
	RenderAndCheck(ctx context.Context, files []workspace.File, ropts validators.RenderOptions, copts validators.CheckOptions) (validators.Rendered, validators.Report, error)
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
	// Model configures model-backed generation; without a provider the
	// built-in planner writes the files.
	Model ModelOptions
	// Observer, when not nil, is told of each stage and model call.
	Observer Observer
	// RememberValid keeps, across processes, which objects were found
	// valid against an embedded schema (the schema check's results cache,
	// in the user's cache folder), so that a command run again over
	// unchanged files does not validate them again. It is for processes
	// that start cold (the CLI); a long-running engine keeps the compiled
	// schemas in memory instead and validates every object.
	RememberValid bool
}

// Engine runs generations. It is safe for concurrent use.
type Engine struct {
	opts Options

	mu         sync.Mutex
	validators map[string]Validator

	slots chan struct{} // model calls in flight
	cache *cache        // nil when off
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
	opts.Model.defaults()
	e := &Engine{opts: opts, validators: map[string]Validator{}, slots: make(chan struct{}, opts.Model.Concurrency)}
	if opts.Model.Provider != nil && opts.Model.CacheEntries > 0 {
		e.cache = newCache(opts.Model.CacheEntries)
	}
	return e
}

// ErrInvalidInput marks errors caused by the request itself: a missing
// intent, a path that escapes the repository, an oversized request.
var ErrInvalidInput = errors.New("invalid input")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// Check says what to check in Validate.
type Check struct {
	// PolicyCheck asks for policy checks.
	PolicyCheck bool
	// KubernetesVersion overrides the pinned version to validate against.
	KubernetesVersion string
	// SchemaLocations adds kubeconform schema locations (for CRDs).
	SchemaLocations []string
	// AllKyverno applies every Kyverno policy in the policies folder, not
	// only those annotated stackgen.io/ai-enforce: "true".
	AllKyverno bool
	// Repository holds the repository's other files that the Kustomize
	// overlays among the files refer to (bases, Components outside them),
	// and the generation config, with paths relative to the same root.
	// They are read, not checked.
	Repository []workspace.File
	// SkipConventions turns the conventions check off.
	SkipConventions bool
	// Named are the files named one by one rather than found in a folder
	// (validators.CheckOptions.Named).
	Named []string
}

// Validate checks existing files (chart folders, Kustomize folders,
// manifests) with the same checks Generate runs on what it writes. When
// the files or the repository hold the generation config (at
// genconfig.Path, so with paths relative to the repository root), the
// files are also checked against its conventions, app by app, as
// appCheck describes, on the same render. Paths are names only here; the caller
// confines them when they come from outside.
func (e *Engine) Validate(ctx context.Context, files []workspace.File, c Check) (validators.Report, error) {
	_, rep, err := e.ValidateRendered(ctx, files, c)
	return rep, err
}

// ValidateRendered is Validate, also returning the render the checks read
// (the charts rendered, the overlays built), for callers that compare
// renders, as aiden review does.
func (e *Engine) ValidateRendered(ctx context.Context, files []workspace.File, c Check) (validators.Rendered, validators.Report, error) {
	if len(files) == 0 {
		return validators.Rendered{}, validators.Report{}, invalidf("no files to validate")
	}
	v, err := e.validator(c.KubernetesVersion, c.SchemaLocations)
	if err != nil {
		return validators.Rendered{}, validators.Report{}, err
	}
	// The generation config configures the checks; it is not checked.
	checked := files
	if i := indexOf(files, genconfig.Path); i >= 0 {
		checked = append(append([]workspace.File{}, files[:i]...), files[i+1:]...)
	}
	ws := append(append([]workspace.File{}, files...), c.Repository...)
	ropts := validators.RenderOptions{Repository: ws}
	copts := validators.CheckOptions{Policy: c.PolicyCheck, Workspace: ws, AllKyverno: c.AllKyverno, Named: c.Named}
	var conv *appCheck
	if !c.SkipConventions {
		// The conventions check reads the same render as the other checks:
		// each chart of an app rendered as its release, each Kustomize app's
		// folders built once.
		if conv, err = planConventions(files, c.Repository); err != nil {
			return validators.Rendered{}, validators.Report{}, fmt.Errorf("validate: %w", err)
		}
		ropts.Releases, ropts.Build = conv.releases, conv.builds.dirs
		if c.PolicyCheck && conv.cfg != nil {
			// The policy key of the config just read, not parsed again.
			if copts.PolicyConfig, err = policyConfig(conv.cfg); err != nil {
				return validators.Rendered{}, validators.Report{}, fmt.Errorf("validate: %w", err)
			}
		}
	}
	rendered, rep, err := v.RenderAndCheck(ctx, checked, ropts, copts)
	if err != nil {
		return validators.Rendered{}, validators.Report{}, fmt.Errorf("validate: %w", err)
	}
	if conv != nil {
		checked, err := conv.check(rendered)
		if err != nil {
			return validators.Rendered{}, validators.Report{}, fmt.Errorf("validate: %w", err)
		}
		rep.Add(checked)
	}
	return rendered, rep, nil
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
	v, err := validators.New(validators.Options{KubernetesVersion: version, SchemaLocations: locations, NoResultCache: !e.opts.RememberValid})
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
