package mcp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// File is a file's path and text.
type File struct {
	Path    string `json:"path" jsonschema:"path relative to the workspace (repository) root"`
	Content string `json:"content" jsonschema:"the file's text"`
}

// Finding is a validators.Finding on the wire, with its one-line text.
type Finding struct {
	File     string `json:"file,omitempty" jsonschema:"file the finding is about"`
	Line     int    `json:"line,omitempty" jsonschema:"1-based line in file, or absent"`
	Column   int    `json:"column,omitempty" jsonschema:"1-based column in that line of the node the finding is about, or absent"`
	Resource string `json:"resource,omitempty" jsonschema:"Kubernetes object, Kind/namespace/name"`
	Path     string `json:"path,omitempty" jsonschema:"JSON path inside the object"`
	Rule     string `json:"rule" jsonschema:"rule id; explain_finding explains it"`
	Severity string `json:"severity" jsonschema:"info, warning or error"`
	Message  string `json:"message" jsonschema:"what is wrong"`
	Fixable  bool   `json:"fixable,omitempty" jsonschema:"aiden can fix it mechanically"`
	Fixed    bool   `json:"fixed,omitempty" jsonschema:"aiden already fixed it in the returned files"`
	Text     string `json:"text" jsonschema:"the finding on one line, as the CLI prints it"`
}

// Check is one check's outcome.
type Check struct {
	Name    string `json:"name" jsonschema:"render, lint, schema, kustomize, policy, conventions, terraform"`
	Status  string `json:"status" jsonschema:"passed, failed or skipped"`
	Checked int    `json:"checked" jsonschema:"what it looked at"`
	Skipped int    `json:"skipped,omitempty" jsonschema:"what it could not look at"`
	Detail  string `json:"detail,omitempty" jsonschema:"a short summary"`
}

type generateIn struct {
	Intent      string `json:"intent" jsonschema:"what to deploy, in a sentence (for example: Deploy a Redis cluster with 3 replicas and persistent storage in production)"`
	Target      string `json:"target" jsonschema:"the folder to generate into, relative to the workspace root (for example clusters/production/apps/redis)"`
	Format      string `json:"format,omitempty" jsonschema:"helm (the default), kustomize or terraform"`
	Environment string `json:"environment,omitempty" jsonschema:"production, staging, ...; read from the intent or the target path when empty"`
	Mode        string `json:"mode,omitempty" jsonschema:"auto (the default: change the app the target holds, else create one), create, change or replace"`
	Force       bool   `json:"force,omitempty" jsonschema:"with mode replace, also overwrite files changed by hand since aiden wrote them"`
	PolicyCheck *bool  `json:"policy_check,omitempty" jsonschema:"run the policy checks (default true)"`
	Files       []File `json:"files,omitempty" jsonschema:"the workspace files the generation reads (config, overlays, chart sources), only when the server has no workspace on disk"`
	Write       bool   `json:"write,omitempty" jsonschema:"write the files into the workspace, all or nothing (aiden mcp over stdio only); by default nothing is written and the files and patch are returned"`
}

type fact struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	From  string `json:"from,omitempty" jsonschema:"the words of the intent it was read from"`
}

type leftAlone struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

type generateOut struct {
	Summary    string      `json:"summary" jsonschema:"what was built, in one line"`
	Generator  string      `json:"generator" jsonschema:"planner (built-in, no model) or model"`
	Model      string      `json:"model,omitempty"`
	Mode       string      `json:"mode" jsonschema:"what the generation did: create, change or replace"`
	Target     string      `json:"target" jsonschema:"the folder, relative to the repository root"`
	Understood []fact      `json:"understood" jsonschema:"what was read from the intent"`
	Ignored    []string    `json:"ignored" jsonschema:"words of the intent that were not used"`
	Files      []File      `json:"files" jsonschema:"the generated files, paths relative to the repository root"`
	Deleted    []string    `json:"deleted" jsonschema:"repository files the generated ones replace"`
	Patch      string      `json:"patch" jsonschema:"unified diff from the workspace to the generated files (git apply)"`
	Checks     []Check     `json:"checks"`
	Findings   []Finding   `json:"findings"`
	Valid      bool        `json:"valid" jsonschema:"validated, and no error-level finding remains"`
	LeftAlone  []leftAlone `json:"left_alone" jsonschema:"files at the target that were not written or deleted, with the reason"`
	Written    bool        `json:"written" jsonschema:"the files were written into the workspace"`
}

type validateIn struct {
	Paths       []string `json:"paths,omitempty" jsonschema:"files or folders relative to the workspace root: chart folders, Kustomize folders, manifests, Terraform"`
	Files       []File   `json:"files,omitempty" jsonschema:"files to check by content instead of paths, with paths relative to one repository root (include .stackgen/generation-config.yaml to check conventions)"`
	PolicyCheck *bool    `json:"policy_check,omitempty" jsonschema:"run the policy checks (default true)"`
	Conventions *bool    `json:"conventions,omitempty" jsonschema:"check the generation config's conventions (default true)"`
	FailOn      string   `json:"fail_on,omitempty" jsonschema:"info, warning, error (the default) or none: failed is true when an unfixed finding at or above it remains"`
}

type validateOut struct {
	Checked  int       `json:"checked" jsonschema:"files checked"`
	Checks   []Check   `json:"checks"`
	Findings []Finding `json:"findings"`
	Valid    bool      `json:"valid" jsonschema:"no error-level finding remains"`
	Failed   bool      `json:"failed" jsonschema:"the gate fails (fail_on)"`
}

type policyTestIn struct {
	Paths []string `json:"paths,omitempty" jsonschema:"folders or kyverno-test.yaml files relative to the workspace root"`
	Files []File   `json:"files,omitempty" jsonschema:"kyverno-test.yaml files with the policies and resources they name, by content, instead of paths"`
}

type unmet struct {
	Test     string `json:"test" jsonschema:"the kyverno-test.yaml file"`
	Policy   string `json:"policy"`
	Rule     string `json:"rule"`
	Kind     string `json:"kind,omitempty"`
	Resource string `json:"resource"`
	Want     string `json:"want"`
	Got      string `json:"got"`
	Message  string `json:"message,omitempty"`
	Text     string `json:"text" jsonschema:"the expectation on one line, as aiden policy test prints it"`
}

type policyTestOut struct {
	Met    int     `json:"met"`
	Total  int     `json:"total"`
	Failed bool    `json:"failed" jsonschema:"an expectation is unmet, a test file could not be run, or there were no expectations"`
	Unmet  []unmet `json:"unmet"`
	// Broken are the test files that could not be run; the others ran.
	Broken []brokenTest `json:"broken"`
}

// brokenTest is a kyverno-test.yaml that could not be run.
type brokenTest struct {
	Test  string `json:"test"`
	Error string `json:"error"`
	Text  string `json:"text" jsonschema:"the CLI's line for it"`
}

type explainIn struct {
	Rule string `json:"rule" jsonschema:"a finding's rule id, for example resources, schema, conventions/labels or kyverno/require-labels/check-team"`
}

func (d *door) addTools(s *sdk.Server) {
	yes, no := true, false
	sdk.AddTool(s, &sdk.Tool{
		Name:  "generate",
		Title: "Generate infrastructure from intent",
		Description: "Turn a sentence of intent into a validated Helm chart, Kustomize base and overlays, or Terraform module in a folder of the GitOps repository, " +
			"following the repository's generation config. Returns the files, a patch, what was understood from the intent, the checks that ran and their findings. " +
			"It writes nothing unless write is true (aiden mcp over stdio only), and then only inside the target folder of the workspace, all or nothing. " +
			"When the folder already holds an app, the intent changes it; mode replace regenerates it.",
		InputSchema: generateSchema(),
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: false, DestructiveHint: &yes, IdempotentHint: false, OpenWorldHint: &no},
	}, bound(d, "generate", d.runGenerate))
	sdk.AddTool(s, &sdk.Tool{
		Name:  "validate",
		Title: "Validate files",
		Description: "Check chart folders, Kustomize folders, manifests and Terraform the way aiden's CI gate does: Helm render and lint, kustomize build over the repository, " +
			"Kubernetes schemas (strict), the built-in and repository policies, and the generation config's conventions. Give paths in the workspace or the files' contents.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &no},
	}, bound(d, "validate", d.runValidate))
	sdk.AddTool(s, &sdk.Tool{
		Name:        "policy_test",
		Title:       "Run Kyverno policy tests",
		Description: "Run kyverno-test.yaml files offline, as kyverno test does, and report every unmet expectation.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &no},
	}, bound(d, "policy_test", d.runPolicyTest))
	sdk.AddTool(s, &sdk.Tool{
		Name:        "explain_finding",
		Title:       "Explain a finding's rule",
		Description: "Explain the rule a finding names: what it checks, why it matters and how to fix it.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &no},
	}, d.explain)
	sdk.AddTool(s, &sdk.Tool{
		Name:        "conventions",
		Title:       "Repository conventions",
		Description: "Summarise the repository's generation config (.stackgen/generation-config.yaml): team, naming, required labels and annotations, namespaces, resources per environment, chart sources, formats per path, examples and policies folders.",
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &no},
	}, d.conventions)
}

// bound makes a tool's handler of run: the caller is bound to the call
// first, a workspace that needs the client's roots asks for them, and an
// error carries the API's code.
func bound[In, Out any](d *door, tool string, run sdk.ToolHandlerFor[In, Out]) sdk.ToolHandlerFor[In, Out] {
	return func(ctx context.Context, req *sdk.CallToolRequest, in In) (*sdk.CallToolResult, Out, error) {
		ctx, err := d.bind(ctx, tool)
		if err != nil {
			var zero Out
			return nil, zero, err
		}
		res, out, err := run(ctx, req, in)
		if errors.Is(err, errNeedRoots) {
			return &sdk.CallToolResult{InputRequests: needRoots()}, out, nil
		}
		return res, out, rpcError(err)
	}
}

// generateSchema is generateIn's schema with the enumerations spelled out.
func generateSchema() *jsonschema.Schema {
	s, err := jsonschema.For[generateIn](nil)
	if err != nil {
		panic(err) // a static type: fails in every test
	}
	s.Properties["format"].Enum = []any{"helm", "kustomize", "terraform"}
	s.Properties["mode"].Enum = []any{"auto", "create", "change", "replace"}
	return s
}

func (d *door) runGenerate(ctx context.Context, req *sdk.CallToolRequest, in generateIn) (*sdk.CallToolResult, generateOut, error) {
	if strings.TrimSpace(in.Intent) == "" {
		return nil, generateOut{}, invalid("intent is required: say what to deploy")
	}
	format, err := generator.ParseFormat(in.Format)
	if err != nil {
		return nil, generateOut{}, invalid("format: %w", err)
	}
	mode, err := parseMode(in.Mode)
	if err != nil {
		return nil, generateOut{}, err
	}
	if in.Write && !d.opts.Write {
		return nil, generateOut{}, invalid("write: this server never writes (only aiden mcp over stdio does); apply the returned patch instead")
	}
	target, err := workspace.Clean(in.Target)
	if err != nil || target == "." {
		return nil, generateOut{}, invalid("target %q: name a folder inside the workspace, for example clusters/production/apps/redis", in.Target)
	}
	root, err := d.root(req.Session, req.Params.InputResponses)
	if err != nil {
		return nil, generateOut{}, err
	}
	if in.Write && root == "" {
		return nil, generateOut{}, invalid("write: %w", errNoRoot)
	}
	greq := generator.Request{
		Intent: in.Intent, Format: format, TargetPath: target, Environment: in.Environment,
		Mode: mode, Force: in.Force, PolicyCheck: in.PolicyCheck == nil || *in.PolicyCheck,
	}
	var place action.Place
	switch {
	case root != "" && len(in.Files) > 0:
		return nil, generateOut{}, invalid("files: this server reads the workspace from disk; leave files out")
	case root != "":
		if place, err = action.FindPlace(filepath.Join(root, filepath.FromSlash(target))); err != nil {
			return nil, generateOut{}, invalid("target %s: %w", target, err)
		}
		if !within(root, place.Root, place.Target) {
			return nil, generateOut{}, invalid("target %s: its repository lies outside the workspace root", target)
		}
		if err := place.Load(format); err != nil {
			return nil, generateOut{}, invalid("read workspace: %w", err)
		}
		greq.TargetPath, greq.Workspace = place.Target, place.Files
		greq.Environment = cmp.Or(greq.Environment, place.Environment)
	default:
		for _, f := range in.Files {
			greq.Workspace = append(greq.Workspace, workspace.File{Path: f.Path, Content: []byte(f.Content)})
		}
	}
	res, err := d.opts.Generate(ctx, greq, progressFunc(ctx, req))
	if err != nil {
		return nil, generateOut{}, err
	}
	out := generated(res, greq.TargetPath)
	if in.Write {
		if err := place.Write(res.Files, res.Deleted); err != nil {
			return nil, generateOut{}, fmt.Errorf("write %s: %w (nothing was written)", target, err)
		}
		out.Written = true
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: generateText(res, out)}}}, out, nil
}

// within reports whether the folder repo/target lies inside root, and so
// does every file the writer may touch (the target and its parent's
// kustomization).
func within(root, repo, target string) bool {
	dir := filepath.Dir(filepath.Join(repo, filepath.FromSlash(target)))
	rel, err := filepath.Rel(evalDir(root), evalDir(dir))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// evalDir resolves symbolic links in the part of dir that exists.
func evalDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(p) == p {
			return abs
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

func parseMode(s string) (generator.Mode, error) {
	switch m := generator.Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", generator.ModeAuto:
		return generator.ModeAuto, nil
	case generator.ModeCreate, generator.ModeChange, generator.ModeReplace:
		return m, nil
	}
	return "", invalid("mode %q: want auto, create, change or replace", s)
}

// progressFunc sends the engine's stage events as MCP progress
// notifications when the caller asked for them (a progress token).
func progressFunc(ctx context.Context, req *sdk.CallToolRequest) func(generator.Event) {
	token := req.Params.GetProgressToken()
	if token == nil || req.Session == nil {
		return nil
	}
	n := 0
	return func(ev generator.Event) {
		if ev.Delta != "" {
			return
		}
		n++
		msg := string(ev.Stage)
		if ev.Message != "" {
			msg += ": " + ev.Message
		}
		// A client that went away cannot be told; the result says it all.
		_ = req.Session.NotifyProgress(ctx, &sdk.ProgressNotificationParams{ProgressToken: token, Progress: float64(n), Message: msg})
	}
}

func generated(res *generator.Result, target string) generateOut {
	p := res.Provenance
	out := generateOut{
		Summary: p.Summary, Generator: p.Generator, Model: p.Model, Mode: string(res.Mode), Target: target,
		Understood: []fact{}, Ignored: append([]string{}, p.Ignored...), Files: files(res.Files),
		Deleted: append([]string{}, res.Deleted...), Patch: string(res.Patch),
		Checks: checks(res.Report.Checks), Findings: findings(res.Report.Findings), Valid: res.Valid(),
		LeftAlone: []leftAlone{},
	}
	for _, f := range p.Understood {
		out.Understood = append(out.Understood, fact{Key: f.Key, Value: f.Value, From: f.From})
	}
	for _, l := range res.LeftAlone {
		out.LeftAlone = append(out.LeftAlone, leftAlone{Path: l.Path, Reason: l.Reason})
	}
	return out
}

// generateText is what a person (or an agent reading text) sees.
func generateText(res *generator.Result, out generateOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generated by %s: %s\n", out.Generator, out.Summary)
	for _, f := range out.Understood {
		fmt.Fprintf(&b, "  %s = %s\n", f.Key, f.Value)
	}
	writeReport(&b, res.Report)
	for _, l := range out.LeftAlone {
		fmt.Fprintf(&b, "Left alone: %s: %s\n", l.Path, l.Reason)
	}
	if out.Written {
		fmt.Fprintf(&b, "Wrote %d files to %s.\n", len(out.Files), out.Target)
	} else {
		fmt.Fprintf(&b, "%d files for %s, not written; the patch follows.\n\n%s", len(out.Files), out.Target, out.Patch)
	}
	return b.String()
}

// writeReport lists the checks and the findings, one line each, in the
// CLI's text form.
func writeReport(b *strings.Builder, rep validators.Report) {
	for _, c := range rep.Checks {
		fmt.Fprintf(b, "Check %s: %s (%s)\n", c.Name, c.Status, c.Detail)
	}
	if len(rep.Findings) == 0 {
		b.WriteString("Findings: none\n")
		return
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(b, "%-7s %s\n", action.SeverityWord(f), action.FindingLine(f))
	}
}

func files(fs []workspace.File) []File {
	out := make([]File, 0, len(fs))
	for _, f := range fs {
		out = append(out, File{Path: f.Path, Content: string(f.Content)})
	}
	return out
}

func findings(fs []validators.Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, Finding{File: f.File, Line: f.Line, Column: f.Column, Resource: f.Resource, Path: f.Path, Rule: f.Rule,
			Severity: f.Severity.String(), Message: f.Message, Fixable: f.Fixable, Fixed: f.Fixed, Text: action.FindingLine(f)})
	}
	return out
}

func checks(cs []validators.Check) []Check {
	out := make([]Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, Check{Name: c.Name, Status: string(c.Status), Checked: c.Checked, Skipped: c.Skipped, Detail: c.Detail})
	}
	return out
}

func (d *door) runValidate(ctx context.Context, req *sdk.CallToolRequest, in validateIn) (*sdk.CallToolResult, validateOut, error) {
	failOn, err := action.ParseFailOn(cmp.Or(in.FailOn, "error"))
	if err != nil {
		return nil, validateOut{}, invalid("fail_on %w", err)
	}
	conventions := in.Conventions == nil || *in.Conventions
	a := action.Validate{Engine: d.opts.Validate, Check: generator.Check{
		PolicyCheck:     in.PolicyCheck == nil || *in.PolicyCheck,
		SkipConventions: !conventions,
	}}
	var rep validators.Report
	checked := 0
	switch {
	case len(in.Paths) > 0 && len(in.Files) > 0:
		return nil, validateOut{}, invalid("give paths or files, not both")
	case len(in.Paths) > 0:
		root, err := d.root(req.Session, req.Params.InputResponses)
		if err != nil {
			return nil, validateOut{}, err
		}
		abs, err := inRoot(root, in.Paths)
		if err != nil {
			return nil, validateOut{}, err
		}
		groups, err := action.ReadPaths(abs, conventions, a.Check.PolicyCheck)
		if err != nil {
			return nil, validateOut{}, invalid("%w", err)
		}
		if rep, checked, err = a.Run(ctx, groups); err != nil {
			return nil, validateOut{}, err
		}
		for i, f := range rep.Findings {
			if filepath.IsAbs(f.File) {
				if r, err := filepath.Rel(root, f.File); err == nil {
					rep.Findings[i].File = filepath.ToSlash(r)
				}
			}
		}
	case len(in.Files) > 0:
		fs := make([]workspace.File, 0, len(in.Files))
		for _, f := range in.Files {
			fs = append(fs, workspace.File{Path: f.Path, Content: []byte(f.Content)})
		}
		checked = len(fs)
		if rep, err = a.Files(ctx, fs); err != nil {
			return nil, validateOut{}, err
		}
	default:
		return nil, validateOut{}, invalid("name the paths to check, or send the files' contents")
	}
	out := validateOut{Checked: checked, Checks: checks(rep.Checks), Findings: findings(rep.Findings),
		Valid: rep.Count(validators.SeverityError) == 0, Failed: action.Failed(rep.Findings, failOn)}
	var b strings.Builder
	writeReport(&b, rep)
	verdict := "valid"
	if !out.Valid {
		verdict = "NOT valid"
	}
	fmt.Fprintf(&b, "%d files checked: %s\n", checked, verdict)
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: b.String()}}}, out, nil
}

// inRoot returns paths, relative to root, as paths on disk; a path that
// is not clean or leaves the root is invalid_argument.
func inRoot(root string, paths []string) ([]string, error) {
	if root == "" {
		return nil, invalid("%w", errNoRoot)
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		c, err := workspace.Clean(p)
		if err != nil {
			return nil, invalid("path %w", err)
		}
		out = append(out, filepath.Join(root, filepath.FromSlash(c)))
	}
	return out, nil
}

func (d *door) runPolicyTest(ctx context.Context, req *sdk.CallToolRequest, in policyTestIn) (*sdk.CallToolResult, policyTestOut, error) {
	var paths []string
	base := ""
	switch {
	case len(in.Paths) > 0 && len(in.Files) > 0:
		return nil, policyTestOut{}, invalid("give paths or files, not both")
	case len(in.Paths) > 0:
		root, err := d.root(req.Session, req.Params.InputResponses)
		if err != nil {
			return nil, policyTestOut{}, err
		}
		if paths, err = inRoot(root, in.Paths); err != nil {
			return nil, policyTestOut{}, err
		}
		base = root
	case len(in.Files) > 0:
		dir, err := os.MkdirTemp("", "aiden-policy-test-")
		if err != nil {
			return nil, policyTestOut{}, fmt.Errorf("policy test: %w", err)
		}
		defer os.RemoveAll(dir)
		fs := make([]workspace.File, 0, len(in.Files))
		for i, f := range in.Files {
			p, err := workspace.Clean(f.Path)
			if err != nil {
				return nil, policyTestOut{}, invalid("file %d: %w", i, err)
			}
			fs = append(fs, workspace.File{Path: p, Content: []byte(f.Content)})
		}
		if err := workspace.WriteAll(dir, workspace.Change{Dir: ".", Files: fs}); err != nil {
			return nil, policyTestOut{}, fmt.Errorf("policy test: %w", err)
		}
		paths, base = []string{dir}, dir
	default:
		return nil, policyTestOut{}, invalid("name the kyverno-test.yaml files or folders, or send the files' contents")
	}
	tests, err := action.FindPolicyTests(paths...)
	if err != nil {
		return nil, policyTestOut{}, invalid("%w", err)
	}
	rep, err := action.PolicyTest{}.Run(ctx, tests)
	if err != nil {
		return nil, policyTestOut{}, invalid("%w", err)
	}
	out := policyTestOut{Met: rep.Met, Total: rep.Total, Failed: rep.Failed(), Unmet: []unmet{}, Broken: []brokenTest{}}
	var b strings.Builder
	for _, f := range rep.Files {
		name := f.Path
		if r, err := filepath.Rel(base, f.Path); err == nil {
			name = filepath.ToSlash(r)
		}
		if f.Error != "" {
			line := action.BrokenLine(name, f.Error)
			out.Broken = append(out.Broken, brokenTest{Test: name, Error: f.Error, Text: line})
			b.WriteString(line + "\n")
		}
		for _, e := range f.Expectations {
			if e.Met() {
				continue
			}
			line := action.UnmetLine(name, e)
			out.Unmet = append(out.Unmet, unmet{Test: name, Policy: e.Policy, Rule: e.Rule, Kind: e.Kind, Resource: e.Resource,
				Want: string(e.Want), Got: string(e.Got), Message: e.Message, Text: line})
			b.WriteString(line + "\n")
		}
	}
	fmt.Fprintf(&b, "%d/%d expectations met", rep.Met, rep.Total)
	if rep.Broken > 0 {
		fmt.Fprintf(&b, "; %d of %d test files could not be run", rep.Broken, len(rep.Files))
	}
	b.WriteString("\n")
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: b.String()}}}, out, nil
}

func (d *door) explain(ctx context.Context, _ *sdk.CallToolRequest, in explainIn) (*sdk.CallToolResult, action.Rule, error) {
	if _, err := d.bind(ctx, "explain_finding"); err != nil {
		return nil, action.Rule{}, err
	}
	r, ok := action.Explain(in.Rule)
	if !ok {
		var ids []string
		for _, r := range action.Rules() {
			ids = append(ids, r.ID)
		}
		return nil, action.Rule{}, rpcError(invalid("rule %q: no check emits it; the rules are %s (kyverno/ and rego/ name families)", in.Rule, strings.Join(ids, ", ")))
	}
	text := fmt.Sprintf("%s (%s check): %s\nWhy: %s\nFix: %s\nDocs: %s\n", r.ID, r.Check, r.Summary, r.Why, r.Fix, r.Docs)
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}}, r, nil
}
