package generator

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/policy"
)

// author writes the files of one attempt. The built-in planner writes
// once; a model writes a first answer and, while errors remain, repairs
// it; for a change, the built-in change author or the model edits the
// app's files.
type author interface {
	// write writes attempt n (1 is the first). prev is the previous
	// attempt's outcome, nil for the first.
	write(ctx context.Context, n int, prev *outcome) (draft, error)
	// rounds is the most attempts the author makes.
	rounds() int
	// finish fills the provenance once the best attempt is chosen.
	finish(res *Result) error
}

// outcome is what became of an attempt: why nothing usable came back, or
// what the checks found.
type outcome struct {
	problem string
	report  validators.Report
}

// attempts runs author → place → conventions → fit → render → check once
// per attempt, asking the author again with what the checks found while
// errors remain and it may repair, and keeps the best attempt (fewest
// errors; the later one on a tie) in the result.
func (r *run) attempts(ctx context.Context) error {
	prov := &r.res.Provenance
	var kept *best
	var prev *outcome
	for n := 1; n <= r.author.rounds(); n++ {
		d, err := r.author.write(ctx, n, prev)
		if err != nil {
			return err
		}
		att := d.attempt
		if d.failed != nil {
			prov.Attempts = append(prov.Attempts, *att)
			if kept == nil || ctx.Err() != nil {
				return &ModelError{Err: d.failed, Model: r.model, Attempts: prov.Attempts}
			}
			break // keep the best answer so far; the attempt says what failed
		}
		if d.problem != "" {
			prov.Attempts = append(prov.Attempts, *att)
			r.stage(StagePlan, fmt.Sprintf("attempt %d: %s", n, d.problem))
			prev = &outcome{problem: d.problem}
			continue
		}
		l, err := r.land(ctx, d)
		if err != nil {
			return err
		}
		r.stage(StagePlan, d.message)

		rep, validated, err := r.check(ctx, l)
		if err != nil {
			return err
		}
		errs := rep.Count(validators.SeverityError)
		if att != nil {
			att.Files, att.Findings, att.Errors = len(l.files), rep.Findings, errs
			prov.Attempts = append(prov.Attempts, *att)
		}
		if kept == nil || errs <= kept.errors {
			kept = &best{n: n, files: l.files, deleted: l.deleted, report: rep, validated: validated, errors: errs}
		}
		if errs == 0 {
			break
		}
		prev = &outcome{report: rep}
	}
	if kept == nil {
		cause := ErrBadAnswer
		if allTruncated(prov.Attempts) {
			cause = ErrTruncated
		}
		return &ModelError{Err: cause, Model: r.model, Attempts: prov.Attempts}
	}
	r.res.Files, r.res.Deleted, r.res.Report, r.res.Validated = kept.files, kept.deleted, kept.report, kept.validated
	if att := len(prov.Attempts); att > 0 {
		prov.Chosen = kept.n
	}
	return r.author.finish(r.res)
}

// check renders the landed files once — every chart as the release it
// will be, every Kustomize folder built once (render stage) — and runs
// every check on that render (validate stage): schema and policy
// (validators.Check), then the conventions check of what the charts
// render and the overlays build (conventions.CheckRendered). The report
// holds the answer's own findings, the render and validate checks, then
// the conventions check. With SkipValidation only the conventions are
// checked, on a render made for them when the config states some.
func (r *run) check(ctx context.Context, l landing) (validators.Report, bool, error) {
	rep := validators.Report{Findings: l.own}
	validate := !r.req.SkipValidation
	if !validate && !(l.conventions && hasConventions(r.cfg)) {
		rep.Add(r.conventionsReport(l.conv))
		return rep, false, nil
	}
	v, err := r.validator()
	if err != nil {
		return validators.Report{}, false, err
	}
	opts := validators.RenderOptions{Repository: r.req.Workspace, Releases: conventions.Releases(r.cfg, l.vars, l.final)}
	if l.conventions {
		opts.Build = conventions.OverlayDirs(r.cfg, l.vars, l.final)
	}
	rendered, rendering, err := v.Render(ctx, l.final, opts)
	if err != nil {
		return validators.Report{}, false, fmt.Errorf("render: %w", err)
	}
	if validate {
		rep.Add(rendering)
		r.stage(StageRender, checkLine(rendering, "render", "lint", "kustomize", "terraform", "terraform-schema", "terraform-validate"))
		copts := validators.CheckOptions{Policy: r.req.PolicyCheck, Workspace: r.req.Workspace}
		if r.req.PolicyCheck {
			if copts.PolicyConfig, err = policyConfig(r.cfg); err != nil {
				return validators.Report{}, false, fmt.Errorf("validate: %w", err)
			}
		}
		checked, err := v.Check(ctx, rendered, copts)
		if err != nil {
			return validators.Report{}, false, fmt.Errorf("validate: %w", err)
		}
		rep.Add(checked)
		r.stage(StageValidate, checkLine(checked, "schema", "policy"))
	}
	conv := l.conv
	if l.conventions {
		fs, err := conventions.CheckRendered(r.cfg, l.vars, l.final, rendered)
		if err != nil {
			return validators.Report{}, false, fmt.Errorf("conventions: %w", err)
		}
		conv = append(append([]validators.Finding{}, conv...), fs...)
	}
	rep.Add(r.conventionsReport(conv))
	return rep, validate, nil
}

// policyConfig is the policy key of the generation config the request
// parsed, read into the policy engine's configuration (the same fields
// policy.ReadConfig reads, without parsing the file again).
func policyConfig(cfg *genconfig.Config) (*policy.Config, error) {
	var pc policy.Config
	if cfg == nil || cfg.Policy == nil {
		return &pc, nil
	}
	var raw any
	if err := cfg.Policy.Decode(&raw); err != nil {
		return nil, fmt.Errorf("read %s: policy: %w", genconfig.Path, err)
	}
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, &pc)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: policy: %w", genconfig.Path, err)
	}
	return &pc, nil
}

// validator returns the request's validator, made on first use.
func (r *run) validator() (Validator, error) {
	if r.v == nil {
		v, err := r.e.validator(r.req.KubernetesVersion, r.req.SchemaLocations)
		if err != nil {
			return nil, err
		}
		r.v = v
	}
	return r.v, nil
}

// conventionsReport is the conventions check of a new app with its
// findings: reported when the config states conventions, or when the
// files broke Kubernetes' own naming rules. A change reports the
// answer's own findings alone.
func (r *run) conventionsReport(conv []validators.Finding) validators.Report {
	if r.mode == ModeChange {
		return validators.Report{Findings: conv}
	}
	return conventionsReport(r.cfg, conv)
}
