package generator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// maxReceived caps the text of an unusable answer kept in an Attempt.
const maxReceived = 64 << 10

// best is the attempt kept so far.
type best struct {
	n         int
	files     []workspace.File
	deleted   []string
	report    validators.Report
	validated bool
	errors    int
}

// modelPlan asks the model for the files, then feeds error-level findings
// back for at most RepairRounds more answers, keeping the best attempt
// (fewest errors; the later one on a tie). shape makes each answer's files
// follow the repository's conventions and returns the conventions check,
// which joins the attempt's report. It fills res; it fails only when no
// attempt gave usable files.
func (e *Engine) modelPlan(ctx context.Context, req Request, own owner, format Format, model string,
	res *Result, stage func(Stage, time.Time, string), streaming bool, progress func(Event),
	shape func(context.Context, []workspace.File) ([]workspace.File, validators.Report, error)) error {
	prov := &res.Provenance
	target := own.target
	in, redacted := e.promptInput(req, target, format)
	prov.Redacted = redacted
	for _, ex := range in.Examples {
		prov.Examples = append(prov.Examples, ex.ID())
		prov.ExampleTokens += ex.Tokens
	}
	p, err := prompts.Build(in)
	if err != nil {
		return err
	}
	land := func(ctx context.Context, files []workspace.File) (landing, error) {
		// The repository's conventions hold whoever wrote the files; what
		// cannot be fixed mechanically goes back to the model.
		files, conv, err := shape(ctx, files)
		if err != nil {
			return landing{}, err
		}
		final, deleted := settle(format, own, req.Workspace, files)
		return landing{files: files, final: final, deleted: deleted, conv: conv}, nil
	}
	if err := e.modelLoop(ctx, req, target, model, p, res, stage, streaming, progress, land); err != nil {
		return err
	}
	prov.Summary = fmt.Sprintf("%s wrote %d files for %q (attempt %d of %d, %d input and %d output tokens)",
		model, len(res.Files), req.Intent, prov.Chosen, len(prov.Attempts), prov.Usage.InputTokens, prov.Usage.OutputTokens)
	return nil
}

// landing is where an answer's files land: the files returned, what is
// checked (final: with the files they sit beside), the workspace files
// they delete, and the findings about them that join the checks (the
// conventions check for a new app; the answer's own problems for a change).
type landing struct {
	files   []workspace.File
	final   []workspace.File
	deleted []string
	conv    validators.Report
}

// modelLoop sends the first request p, then feeds error-level findings
// back for at most RepairRounds more answers, keeping the best attempt.
// land places each answer's files; every attempt is rendered and checked
// as a whole. It fills res's files, report and attempts.
func (e *Engine) modelLoop(ctx context.Context, req Request, target, model string, p prompts.Prompt,
	res *Result, stage func(Stage, time.Time, string), streaming bool, progress func(Event),
	land func(context.Context, []workspace.File) (landing, error)) error {
	m := e.opts.Model
	prov := &res.Provenance
	prov.Generator, prov.Model, prov.PromptVersion = "model", model, prompts.Version
	first := []Message{{Role: RoleSystem, Content: p.System}, {Role: RoleUser, Content: p.User}}
	msgs := first

	var kept *best
	rounds := 1 + max(m.RepairRounds, 0)
	for n := 1; n <= rounds; n++ {
		start := time.Now()
		c := Completion{Model: model, Messages: msgs, Temperature: m.Temperature, MaxTokens: m.MaxTokens}
		if m.Structured {
			c.Schema = prompts.Schema
		}
		var onDelta func(string)
		if streaming {
			onDelta = func(d string) { progress(Event{Stage: StagePlan, Attempt: n, Delta: d}) }
		}
		ans, retries, err := e.complete(ctx, c, onDelta)
		att := Attempt{Number: n, Usage: ans.Usage, Elapsed: time.Since(start), Retries: retries, Truncated: ans.Truncated}
		prov.Usage = prov.Usage.Add(ans.Usage)
		if err != nil {
			att.Problem = err.Error()
			prov.Attempts = append(prov.Attempts, att)
			if kept == nil || ctx.Err() != nil {
				return &ModelError{Err: err, Model: model, Attempts: prov.Attempts}
			}
			break // keep the best answer so far; the attempt says what failed
		}

		files, rejected, problem := readAnswer(ans, target)
		if problem != "" {
			att.Problem, att.Received = problem, head(ans.Content, maxReceived)
			prov.Attempts = append(prov.Attempts, att)
			stage(StagePlan, start, fmt.Sprintf("attempt %d: %s", n, problem))
			repair, err := prompts.Repair(prompts.RepairInput{Problem: problem})
			if err != nil {
				return err
			}
			msgs = append(first, Message{Role: RoleAssistant, Content: ans.Content}, Message{Role: RoleUser, Content: repair})
			continue
		}
		l, err := land(ctx, files)
		if err != nil {
			return err
		}
		files, final, deleted, conv := l.files, l.final, l.deleted, l.conv
		stage(StagePlan, start, fmt.Sprintf("attempt %d: %s wrote %d files (%d input, %d output tokens)",
			n, model, len(files), ans.Usage.InputTokens, ans.Usage.OutputTokens))

		rep := validators.Report{Findings: rejected}
		validated := !req.SkipValidation
		if validated {
			checked, err := e.renderAndCheck(ctx, req, final, stage)
			if err != nil {
				return err
			}
			rep.Add(checked)
		}
		rep.Add(conv) // after the render and schema checks, as for the planner
		att.Files, att.Findings, att.Errors = len(files), rep.Findings, rep.Count(validators.SeverityError)
		prov.Attempts = append(prov.Attempts, att)
		if kept == nil || att.Errors <= kept.errors {
			kept = &best{n: n, files: files, deleted: deleted, report: rep, validated: validated, errors: att.Errors}
		}
		if att.Errors == 0 || n == rounds {
			break
		}
		repair, err := prompts.Repair(prompts.RepairInput{Findings: errorLines(rep, target)})
		if err != nil {
			return err
		}
		msgs = append(first, Message{Role: RoleAssistant, Content: ans.Content}, Message{Role: RoleUser, Content: repair})
	}

	if kept == nil {
		cause := ErrBadAnswer
		if allTruncated(prov.Attempts) {
			cause = ErrTruncated
		}
		return &ModelError{Err: cause, Model: model, Attempts: prov.Attempts}
	}
	res.Files, res.Deleted, res.Report, res.Validated = kept.files, kept.deleted, kept.report, kept.validated
	prov.Chosen = kept.n
	return nil
}

// readAnswer turns an answer into files placed under target. Files that
// would land outside it are dropped and reported as error findings, so
// that the repair request names them. problem is set when nothing usable
// came back.
func readAnswer(ans Answer, target string) (files []workspace.File, rejected []validators.Finding, problem string) {
	if ans.Truncated {
		return nil, nil, fmt.Sprintf("the answer was cut off at the token limit after %d output tokens; answer again, more concisely (no comments, short NOTES.txt)", ans.Usage.OutputTokens)
	}
	parsed, err := prompts.Parse(ans.Content)
	if err != nil {
		return nil, nil, err.Error()
	}
	seen := map[string]int{}
	for _, f := range parsed {
		rel := strings.TrimPrefix(f.Path, target+"/") // models often echo the full path
		p, err := workspace.Clean(target + "/" + rel)
		if err == nil {
			_, err = workspace.Clean(rel)
		}
		if err != nil || !workspace.Within(target, p) || p == target {
			rejected = append(rejected, validators.Finding{File: f.Path, Rule: "output", Severity: validators.SeverityError,
				Message: fmt.Sprintf("file %q is outside the target folder %s; it was rejected (paths are relative to the target folder)", f.Path, target)})
			continue
		}
		if i, ok := seen[p]; ok {
			files[i].Content = f.Content // the later copy wins
			continue
		}
		seen[p] = len(files)
		files = append(files, workspace.File{Path: p, Content: f.Content})
	}
	if len(files) == 0 {
		return nil, nil, fmt.Sprintf("every file of the answer was outside the target folder %s", target)
	}
	return files, rejected, ""
}

// errorLines formats the error-level findings for a repair request, with
// paths relative to the target folder as the model wrote them.
func errorLines(rep validators.Report, target string) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Fixed || f.Severity < validators.SeverityError {
			continue
		}
		f.File = strings.TrimPrefix(f.File, target+"/")
		out = append(out, f.String())
	}
	return out
}

func allTruncated(atts []Attempt) bool {
	for _, a := range atts {
		if !a.Truncated {
			return false
		}
	}
	return len(atts) > 0
}
