package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stackgen/aiden/change"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// changeApp makes the change an intent asks of the app at the target and
// fills res with the edited files: with a model configured, the model
// edits the app's current files (and the repair loop runs as for
// creation); without one, the built-in change author does. Either way the
// whole app, as it stands after the change, is rendered and checked.
func (e *Engine) changeApp(ctx context.Context, req Request, cfg *genconfig.Config, app *change.App, res *Result,
	stage func(Stage, time.Time, string), progress func(Event)) error {
	if e.opts.Model.Provider != nil {
		model, err := e.modelName(req)
		if err != nil {
			return err
		}
		return e.modelChange(ctx, req, app, model, res, stage, progress)
	}
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
	stage(StagePlan, start, out.Summary)

	if !req.SkipValidation {
		if res.Report, err = e.renderAndCheck(ctx, req, changedApp(app, res.Files, res.Deleted), stage); err != nil {
			return err
		}
		res.Validated = true
	}
	return nil
}

// changedApp returns the app's files as they stand after a change: the
// changed files in place of their old content, deleted ones gone.
func changedApp(app *change.App, changed []workspace.File, deleted []string) []workspace.File {
	gone := map[string]bool{}
	for _, p := range deleted {
		gone[p] = true
	}
	byPath := map[string][]byte{}
	for _, f := range app.Files {
		byPath[f.Path] = f.Content
	}
	for _, f := range changed {
		byPath[f.Path] = f.Content
	}
	var out []workspace.File
	for p, c := range byPath {
		if !gone[p] {
			out = append(out, workspace.File{Path: p, Content: c})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// modelChange has the model change the app: its current files, redacted,
// go into the prompt with the intent; the answer holds the files it
// changes, which must lie in the app folder. Each answer is checked with
// the rest of the app, and error-level findings go back to the model as
// for creation.
func (e *Engine) modelChange(ctx context.Context, req Request, app *change.App, model string, res *Result,
	stage func(Stage, time.Time, string), progress func(Event)) error {
	in, redacted := e.changeInput(req, app)
	res.Provenance.Redacted = redacted
	p, err := prompts.Change(in)
	if err != nil {
		return err
	}
	current := map[string][]byte{}
	for _, f := range app.Files {
		current[f.Path] = f.Content
	}
	land := func(_ context.Context, files []workspace.File) (landing, error) {
		var changed []workspace.File
		var conv validators.Report
		for _, f := range files {
			old, ok := current[f.Path]
			if ok {
				f.Content = restoreSecrets(f.Content, old)
			}
			if bytes.Contains(f.Content, []byte(redactedMark)) {
				conv.Findings = append(conv.Findings, validators.Finding{File: f.Path, Rule: "output", Severity: validators.SeverityError,
					Message: "the file holds a redacted value (" + redactedMark + "...>) on a line that was changed; leave lines with redacted values exactly as they were"})
			}
			// Only what differs from the app as it is counts as changed; a
			// model that echoes a file unchanged has not changed it.
			if ok && bytes.Equal(old, f.Content) {
				continue
			}
			changed = append(changed, f)
		}
		return landing{files: changed, final: changedApp(app, changed, nil), conv: conv}, nil
	}
	// Generate does not tell changeApp whether its caller streams, so a
	// change's answer is not streamed piece by piece.
	if err := e.modelLoop(ctx, req, app.Root, model, p, res, stage, false, progress, land); err != nil {
		return err
	}
	prov := &res.Provenance
	var paths []string
	for _, f := range res.Files {
		paths = append(paths, strings.TrimPrefix(f.Path, app.Root+"/"))
	}
	prov.Summary = fmt.Sprintf("%s changed %d files of %s %s for %q: %s (attempt %d of %d, %d input and %d output tokens)",
		model, len(res.Files), app.Kind, app.Root, req.Intent, strings.Join(paths, ", "), prov.Chosen, len(prov.Attempts),
		prov.Usage.InputTokens, prov.Usage.OutputTokens)
	if len(res.Files) == 0 {
		return &ModelError{Err: fmt.Errorf("%w: the answer changed no file of %s", ErrBadAnswer, app.Root), Model: model, Attempts: prov.Attempts}
	}
	return nil
}

// changeInput assembles what the model is told about a change: the
// intent, the app's files and the generation config (all redacted), and
// the policies' names. Nothing else of the workspace is sent.
func (e *Engine) changeInput(req Request, app *change.App) (prompts.ChangeInput, int) {
	version := e.kubernetesVersion(req)
	total := 0
	redact := func(b []byte) []byte {
		out, n := redactSecrets(b)
		total += n
		return out
	}
	in := prompts.ChangeInput{
		Intent:            string(redact([]byte(strings.TrimSpace(req.Intent)))),
		Kind:              string(app.Kind),
		TargetPath:        app.Root,
		Environment:       req.Environment,
		KubernetesVersion: version,
	}
	for _, f := range app.Files {
		in.Files = append(in.Files, workspace.File{Path: strings.TrimPrefix(f.Path, app.Root+"/"), Content: redact(f.Content)})
	}
	for _, f := range req.Workspace {
		p, err := workspace.Clean(f.Path)
		if err != nil {
			continue
		}
		switch {
		case p == workspace.ConfigPath:
			in.Conventions = strings.TrimSpace(string(redact(f.Content)))
		case workspace.Within(workspace.PoliciesDir, p) && p != workspace.PoliciesDir:
			if s := policyLine(p, f.Content); s != "" {
				in.Policies = append(in.Policies, s)
			}
		}
	}
	if req.PolicyCheck {
		in.Policies = append(append([]string{}, builtinPolicies...), in.Policies...)
	}
	return in, total
}

// redactedMark starts what secrets.Redact puts in place of a secret.
const redactedMark = "<redacted:"

// restoreSecrets puts back the secret values of old into a model's new
// content: redaction keeps lines in place, so a line the model returned
// exactly as it saw it (redacted) is the original line.
func restoreSecrets(content, old []byte) []byte {
	if !bytes.Contains(content, []byte(redactedMark)) {
		return content
	}
	red, _ := redactSecrets(old)
	oldLines, redLines := bytes.Split(old, []byte("\n")), bytes.Split(red, []byte("\n"))
	if len(oldLines) != len(redLines) {
		return content
	}
	orig := map[string][]byte{}
	for i, l := range redLines {
		if !bytes.Equal(l, oldLines[i]) {
			orig[string(l)] = oldLines[i]
		}
	}
	lines := bytes.Split(content, []byte("\n"))
	for i, l := range lines {
		if o, ok := orig[string(l)]; ok {
			lines[i] = o
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
