package generator

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stackgen/aiden/change"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// plannerAuthor is the built-in planner: it reads the intent and writes
// a chart, a Kustomize base with overlays, Terraform, or a HelmRelease of
// the chart the repository prefers for the component. It writes once.
type plannerAuthor struct{ r *run }

func (a *plannerAuthor) rounds() int { return 1 }

func (a *plannerAuthor) finish(*Result) error { return nil }

func (a *plannerAuthor) write(context.Context, int, *outcome) (draft, error) {
	r, cfg := a.r, a.r.cfg
	flux, argo := planner.WorkspaceGitOps(r.req.Workspace)
	plan, err := planner.Parse(r.req.Intent, planner.Hints{
		Flux:         flux,
		ArgoCD:       argo,
		Environment:  r.req.Environment,
		TargetPath:   r.target,
		Format:       string(r.format),
		Environments: planner.WorkspaceEnvironments(r.req.Workspace, cfg),
		Resources:    planner.ConfigResources(cfg),
		Components:   planner.WorkspaceComponents(r.req.Workspace),
	})
	if err != nil {
		return draft{}, fmt.Errorf("plan: %w", err)
	}
	generated, argoApp, err := argoApplication(cfg, plan, r.target) // an app-of-apps repository (argocd.go)
	if err != nil {
		return draft{}, fmt.Errorf("plan: %w", err)
	}
	if argoApp {
		// written above
	} else if plan.Blueprint == planner.BlueprintChart && (flux || r.format == FormatKustomize) {
		// A catalogue chart: a HelmRelease of the pinned upstream chart,
		// from the source the cluster already has when there is one.
		var src planner.ChartSource
		if repo, ok := gitops.FindHelmRepository(r.req.Workspace, r.target, plan.Chart.Repository); ok {
			src = planner.ChartSource{Name: repo.Name, Namespace: repo.Namespace, Existing: true}
			plan.Understood = append(plan.Understood, planner.Fact{Key: "source",
				Value: fmt.Sprintf("HelmRepository %s/%s", repo.Namespace, repo.Name), From: fmt.Sprintf("(%s:%d)", repo.File, repo.Line)})
		}
		if flux {
			generated, err = plan.ChartFiles(true, src)
		} else {
			generated, err = plan.Files(string(r.format))
		}
	} else if up, ok := cfg.Chart(plan.Component()); ok && r.format == FormatHelm && plan.Blueprint != planner.BlueprintChart {
		// The repository prefers an upstream chart for this component:
		// install it with Flux, pinned to the configured versions, from the
		// HelmRepository the cluster already has when there is one.
		var src planner.ChartSource
		if repo, ok := gitops.FindHelmRepository(r.req.Workspace, r.target, up.Repository); ok {
			src = planner.ChartSource{Name: repo.Name, Namespace: repo.Namespace, Existing: true}
			plan.Understood = append(plan.Understood, planner.Fact{Key: "source",
				Value: fmt.Sprintf("HelmRepository %s/%s", repo.Namespace, repo.Name), From: fmt.Sprintf("(%s:%d)", repo.File, repo.Line)})
		}
		generated, err = plan.HelmRelease(planner.Upstream{Repository: up.Repository, Chart: up.Chart, Version: up.Version}, src)
	} else {
		generated, err = plan.Files(string(r.format))
	}
	if err != nil {
		return draft{}, fmt.Errorf("plan: %w", err)
	}
	prov := &r.res.Provenance
	prov.Summary, prov.Understood, prov.Ignored = plan.Summary(), plan.Understood, plan.Ignored
	files, err := place(r.target, generated)
	if err != nil {
		return draft{}, fmt.Errorf("plan: %w", err)
	}
	vars := genconfig.Vars{Env: plan.Environment, App: plan.App, Component: plan.Component(), Team: cmp.Or(plan.Team, cfg.Team)}
	return draft{files: files, vars: vars, message: prov.Summary}, nil
}

// modelAuthor is a model writing a new app: the prompt holds the intent
// and what the repository says (promptInput); a repair sends back the
// previous answer with what was wrong with it.
type modelAuthor struct {
	r     *run
	first []Message // the system and user prompt
	last  string    // the previous answer's text
}

func newModelAuthor(r *run) (*modelAuthor, error) {
	prov := &r.res.Provenance
	in, redacted := r.e.promptInput(r.req, r.target, r.format)
	prov.Redacted = redacted
	for _, ex := range in.Examples {
		prov.Examples = append(prov.Examples, ex.ID())
		prov.ExampleTokens += ex.Tokens
	}
	p, err := prompts.Build(in)
	if err != nil {
		return nil, err
	}
	return &modelAuthor{r: r, first: modelConversation(r, p)}, nil
}

// modelConversation starts a model's provenance and conversation.
func modelConversation(r *run, p prompts.Prompt) []Message {
	prov := &r.res.Provenance
	prov.Generator, prov.Model, prov.PromptVersion = "model", r.model, prompts.Version
	return []Message{{Role: RoleSystem, Content: p.System}, {Role: RoleUser, Content: p.User}}
}

func (a *modelAuthor) rounds() int { return 1 + max(a.r.e.opts.Model.RepairRounds, 0) }

func (a *modelAuthor) write(ctx context.Context, n int, prev *outcome) (draft, error) {
	ans, d, err := a.r.ask(ctx, n, a.first, a.last, prev, a.r.streaming)
	if err != nil || d.failed != nil {
		return d, err
	}
	a.last = ans.Content
	files, rejected, problem := readAnswer(ans, a.r.target)
	if problem != "" {
		d.problem, d.attempt.Problem, d.attempt.Received = problem, problem, head(ans.Content, maxReceived)
		return d, nil
	}
	d.files, d.findings, d.vars = files, rejected, a.r.appVars()
	d.message = fmt.Sprintf("attempt %d: %s wrote %d files (%d input, %d output tokens)",
		n, a.r.model, len(files), ans.Usage.InputTokens, ans.Usage.OutputTokens)
	return d, nil
}

func (a *modelAuthor) finish(res *Result) error {
	prov := &res.Provenance
	prov.Summary = fmt.Sprintf("%s wrote %d files for %q (attempt %d of %d, %d input and %d output tokens)",
		a.r.model, len(res.Files), a.r.req.Intent, prov.Chosen, len(prov.Attempts), prov.Usage.InputTokens, prov.Usage.OutputTokens)
	return nil
}

// ask makes attempt n's model call: the first conversation, or for a
// repair the first conversation, the previous answer and what was wrong
// with it (the problem, or the error-level findings). It returns the
// answer and a draft holding the attempt's account; a call that failed
// after its retries is the draft's failed.
func (r *run) ask(ctx context.Context, n int, first []Message, last string, prev *outcome, streaming bool) (Answer, draft, error) {
	m := r.e.opts.Model
	msgs := first
	if prev != nil {
		in := prompts.RepairInput{Problem: prev.problem}
		if prev.problem == "" {
			in.Findings = errorLines(prev.report, r.target)
		}
		repair, err := prompts.Repair(in)
		if err != nil {
			return Answer{}, draft{}, err
		}
		msgs = append(append([]Message{}, first...), Message{Role: RoleAssistant, Content: last}, Message{Role: RoleUser, Content: repair})
	}
	start := time.Now()
	c := Completion{Model: r.model, Messages: msgs, Temperature: m.Temperature, MaxTokens: m.MaxTokens}
	if m.Structured {
		c.Schema = prompts.Schema
	}
	var onDelta func(string)
	if streaming {
		onDelta = func(d string) { r.progress(Event{Stage: StagePlan, Attempt: n, Delta: d}) }
	}
	ans, retries, err := r.e.complete(ctx, c, onDelta)
	att := &Attempt{Number: n, Usage: ans.Usage, Elapsed: time.Since(start), Retries: retries, Truncated: ans.Truncated}
	r.res.Provenance.Usage = r.res.Provenance.Usage.Add(ans.Usage)
	if err != nil {
		att.Problem = err.Error()
		return ans, draft{attempt: att, failed: err}, nil
	}
	return ans, draft{attempt: att}, nil
}

// changeAuthor is the built-in change author (change.Apply): it edits
// the app's files as the intent asks, once.
type changeAuthor struct{ r *run }

func (a *changeAuthor) rounds() int { return 1 }

func (a *changeAuthor) finish(*Result) error { return nil }

func (a *changeAuthor) write(ctx context.Context, _ int, _ *outcome) (draft, error) {
	r := a.r
	out, err := change.Apply(ctx, r.app, change.Request{Intent: r.req.Intent, Environment: r.req.Environment, Workspace: r.req.Workspace})
	if err != nil {
		var u *change.UnsupportedError
		if errors.As(err, &u) {
			return draft{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
		return draft{}, fmt.Errorf("change %s: %w", r.app.Root, err)
	}
	r.res.Provenance.Summary, r.res.Provenance.Understood = out.Summary, out.Understood
	return draft{files: out.Files, deleted: out.Deleted, vars: r.appVars(), message: out.Summary}, nil
}

// modelChangeAuthor has the model change the app: its current files,
// redacted, go into the prompt with the intent; the answer holds the
// files it changes, which must lie in the app folder. Repairs go as for
// a new app.
type modelChangeAuthor struct {
	r       *run
	first   []Message
	last    string
	current map[string][]byte // the app's files as they are
}

func newModelChangeAuthor(r *run) (*modelChangeAuthor, error) {
	in, redacted := r.e.changeInput(r.req, r.app)
	r.res.Provenance.Redacted = redacted
	p, err := prompts.Change(in)
	if err != nil {
		return nil, err
	}
	current := map[string][]byte{}
	for _, f := range r.app.Files {
		current[f.Path] = f.Content
	}
	return &modelChangeAuthor{r: r, first: modelConversation(r, p), current: current}, nil
}

func (a *modelChangeAuthor) rounds() int { return 1 + max(a.r.e.opts.Model.RepairRounds, 0) }

// write asks the model for the change. Generate does not tell a change
// whether its caller streams, so a change's answer is not streamed piece
// by piece.
func (a *modelChangeAuthor) write(ctx context.Context, n int, prev *outcome) (draft, error) {
	ans, d, err := a.r.ask(ctx, n, a.first, a.last, prev, false)
	if err != nil || d.failed != nil {
		return d, err
	}
	a.last = ans.Content
	files, rejected, problem := readAnswer(ans, a.r.app.Root)
	if problem != "" {
		d.problem, d.attempt.Problem, d.attempt.Received = problem, problem, head(ans.Content, maxReceived)
		return d, nil
	}
	d.files, d.after = a.changed(files)
	d.findings = rejected
	d.vars = a.r.appVars()
	d.message = fmt.Sprintf("attempt %d: %s wrote %d files (%d input, %d output tokens)",
		n, a.r.model, len(files), ans.Usage.InputTokens, ans.Usage.OutputTokens)
	return d, nil
}

// changed keeps the files of an answer that differ from the app as it is
// (a model that echoes a file unchanged has not changed it), with the
// secrets it saw redacted put back, and reports each that writes a
// redacted value back.
func (a *modelChangeAuthor) changed(files []workspace.File) ([]workspace.File, []validators.Finding) {
	var out []workspace.File
	var findings []validators.Finding
	for _, f := range files {
		old, ok := a.current[f.Path]
		if ok {
			f.Content = restoreSecrets(f.Content, old)
		}
		if bytes.Contains(f.Content, []byte(redactedMark)) {
			findings = append(findings, validators.Finding{File: f.Path, Rule: "output", Severity: validators.SeverityError,
				Message: "the file holds a redacted value (" + redactedMark + "...>) on a line that was changed; leave lines with redacted values exactly as they were"})
		}
		if ok && bytes.Equal(old, f.Content) {
			continue
		}
		out = append(out, f)
	}
	return out, findings
}

func (a *modelChangeAuthor) finish(res *Result) error {
	prov, app := &res.Provenance, a.r.app
	var paths []string
	for _, f := range res.Files {
		paths = append(paths, strings.TrimPrefix(f.Path, app.Root+"/"))
	}
	prov.Summary = fmt.Sprintf("%s changed %d files of %s %s for %q: %s (attempt %d of %d, %d input and %d output tokens)",
		a.r.model, len(res.Files), app.Kind, app.Root, a.r.req.Intent, strings.Join(paths, ", "), prov.Chosen, len(prov.Attempts),
		prov.Usage.InputTokens, prov.Usage.OutputTokens)
	if len(res.Files) == 0 {
		return &ModelError{Err: fmt.Errorf("%w: the answer changed no file of %s", ErrBadAnswer, app.Root), Model: a.r.model, Attempts: prov.Attempts}
	}
	return nil
}
