package validators

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/validators/manifest"
	"github.com/stackgen/aiden/validators/policy"
	"github.com/stackgen/aiden/validators/schema"
	"github.com/stackgen/aiden/validators/terraform"
	"github.com/stackgen/aiden/workspace"
)

// Options configure a Validator.
type Options struct {
	// KubernetesVersion is the release charts are rendered for and objects
	// are validated against, as "1.35.4". Default: the version of the
	// embedded schemas.
	KubernetesVersion string
	// SchemaLocations are extra kubeconform schema locations for custom
	// resources, tried after the embedded schemas.
	SchemaLocations []string
	// Strict rejects fields a schema does not list and duplicate keys.
	// Default (nil): true.
	Strict *bool
	// Namespace is the release namespace charts are rendered into.
	// Default: "default".
	Namespace string
	// ReleaseName is the release name charts are rendered with.
	// Default: "release-name".
	ReleaseName string
	// CacheDir is where the embedded schemas are materialized for
	// kubeconform. Default: the user cache folder (see schema.Options).
	CacheDir string
	// NoResultCache validates every object, even one an earlier run found
	// valid against the same embedded schema (see schema.Options).
	NoResultCache bool
	// TerraformSchema is the path of a `terraform providers schema -json`
	// export to check Terraform resources against. Default: none, so only
	// syntax and structure are checked.
	TerraformSchema string
	// TerraformBinary is the terraform or tofu executable whose validate
	// also runs on Terraform modules ("auto": whichever is on PATH).
	// Default: none runs.
	TerraformBinary string
}

// Validator runs the checks on a set of files. Reuse it: it keeps compiled
// schemas between calls. It is safe for concurrent use.
type Validator struct {
	opts      Options
	schema    *schema.Validator
	helm      *helmchart.Renderer
	terraform *terraform.Checker
}

// New returns a Validator, filling defaults into opts.
func New(opts Options) (*Validator, error) {
	if opts.Strict == nil {
		strict := true
		opts.Strict = &strict
	}
	if opts.KubernetesVersion == "" {
		v, err := schema.Version()
		if err != nil {
			return nil, err
		}
		opts.KubernetesVersion = v
	}
	sv, err := schema.New(schema.Options{
		KubernetesVersion: opts.KubernetesVersion,
		Strict:            *opts.Strict,
		SchemaLocations:   opts.SchemaLocations,
		CacheDir:          opts.CacheDir,
		NoResultCache:     opts.NoResultCache,
	})
	if err != nil {
		return nil, fmt.Errorf("create schema validator: %w", err)
	}
	hr, err := helmchart.New(helmchart.Options{
		ReleaseName: opts.ReleaseName,
		Namespace:   opts.Namespace,
		KubeVersion: opts.KubernetesVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("create chart renderer: %w", err)
	}
	tc, err := terraform.New(terraform.Options{SchemaFile: opts.TerraformSchema, Binary: opts.TerraformBinary})
	if err != nil {
		return nil, fmt.Errorf("create terraform checker: %w", err)
	}
	return &Validator{opts: opts, schema: sv, helm: hr, terraform: tc}, nil
}

// Validate checks files, whose paths are relative to the repository:
// every chart (a folder with Chart.yaml) is rendered, linted, and its
// objects schema-validated; every Kustomize overlay is built and its
// objects schema-validated; every Terraform module (folder of .tf files)
// is parsed and checked; every other YAML or JSON file that looks like a
// Kubernetes manifest is schema-validated. Bad input yields findings; an
// error means a check could not run. It is Render followed by Check.
func (v *Validator) Validate(ctx context.Context, files []workspace.File, opts CheckOptions) (Report, error) {
	_, rep, err := v.RenderAndCheck(ctx, files, RenderOptions{Repository: opts.Workspace}, opts)
	return rep, err
}

// RenderAndCheck is Validate with render options, also returning the
// render, for callers whose own checks read it (the conventions check of
// existing files) rather than render again.
func (v *Validator) RenderAndCheck(ctx context.Context, files []workspace.File, ropts RenderOptions, copts CheckOptions) (Rendered, Report, error) {
	in := classify(files, copts.Named)
	r, rep, err := v.render(ctx, in, ropts)
	if err != nil {
		return Rendered{}, Report{}, err
	}
	checked, err := v.Check(ctx, r, copts)
	if err != nil {
		return Rendered{}, Report{}, err
	}
	rep.Add(checked)
	rep.Add(inputReport(in))
	return r, rep, nil
}

// Rendered is what rendering produced: the objects to check, as files
// with repository paths (a chart's objects are named after its templates).
// Every check reads it; nothing renders a chart or builds an overlay again.
type Rendered struct {
	// Objects are the rendered manifests and the plain manifests given.
	// A Kustomize overlay's objects are one file named after the overlay
	// folder, holding what `kustomize build` of that folder prints.
	Objects []workspace.File
	// Kustomizations are the Kustomize folders built (overlays and other
	// kustomizations no other one includes).
	Kustomizations []string
	// Terraform holds the Terraform files (.tf, .tf.json) given, for
	// checks that read HCL (terraform.Parse, then Module.Input for
	// conftest-style Rego).
	Terraform []workspace.File
	// Sources map the path of a rendered file of Objects (a chart's
	// template, an overlay's build) to what locates its findings in the
	// files a person edits; plain manifests have none.
	Sources map[string]Source
	// Values are the charts' values files (values.yaml, values-*.yaml,
	// subcharts' too), with repository paths: the policy check scans them
	// for credentials, which a value no template uses would otherwise hide.
	Values []workspace.File
	// Charts are the charts rendered, by root folder, sorted, each with
	// the release it was rendered as and its objects (which are also in
	// Objects).
	Charts []RenderedChart
	// Built holds what each Kustomize folder built: the Kustomizations and
	// RenderOptions.Build, by folder. A folder that did not build is absent.
	Built map[string][]byte
	// Decoded is the split and decode of Objects' documents, made once
	// (on first use) for every check that reads them: lint's template
	// rules, the policy engine and the conventions check. Nil decodes
	// where used.
	Decoded *manifest.Set
}

// RenderedChart is one chart as Render rendered it.
type RenderedChart struct {
	// Root is the chart's folder (repository path).
	Root string
	// Release is the release the chart was rendered as.
	Release Release
	// Objects are the rendered templates, with repository paths.
	Objects []workspace.File
	// Failed is true when the chart did not render (a render finding says
	// why); Objects may then be incomplete.
	Failed bool
}

// Release is the name and namespace a chart is rendered as: .Release.Name
// and .Release.Namespace.
type Release struct {
	Name, Namespace string
}

// RenderOptions say how Render renders.
type RenderOptions struct {
	// Repository holds the repository's other files (paths relative to the
	// same root): overlays among the files are built over them, so one that
	// refers to a base or a Component outside the files builds as it will
	// in the repository; they are not checked themselves.
	Repository []workspace.File
	// Releases gives, by chart root folder, the release each chart is
	// rendered as; a chart not listed, or an empty field, takes the
	// Validator's Options.ReleaseName and Namespace.
	Releases map[string]Release
	// Build names more Kustomize folders to build, besides those no other
	// kustomization includes, for checks that read what one overlay builds
	// (Rendered.Built). A folder is built once however often it is named
	// or included; their objects are not added to Objects.
	Build []string
}

// Render renders and lints every chart in files, builds every Kustomize
// overlay and collects the plain manifests, returning the objects for
// Check and the render, lint and kustomize checks' report. Each chart is
// rendered once and each Kustomize folder built once: what Check and the
// callers' own checks read is that render.
func (v *Validator) Render(ctx context.Context, files []workspace.File, opts RenderOptions) (Rendered, Report, error) {
	return v.render(ctx, classify(files, nil), opts)
}

func (v *Validator) render(ctx context.Context, in inputs, opts RenderOptions) (Rendered, Report, error) {
	var rep Report
	out := Rendered{Terraform: in.terraform, Decoded: manifest.NewSet()}
	if len(in.charts) > 0 {
		if err := v.renderCharts(ctx, in.charts, opts.Releases, &out, &rep); err != nil {
			return Rendered{}, Report{}, err
		}
	}
	if len(in.kfiles) > 0 {
		v.buildKustomize(ctx, in.kfiles, opts, &out, &rep)
	}
	if len(in.terraform) > 0 {
		res, err := v.terraform.Check(ctx, in.terraform)
		if err != nil {
			return Rendered{}, Report{}, err
		}
		checks, findings := terraformReport(res)
		rep.Checks = append(rep.Checks, checks...)
		rep.Findings = append(rep.Findings, findings...)
	}
	out.Objects = append(out.Objects, in.manifests...)
	return out, rep, nil
}

// renderCharts renders and lints each chart once, as its release, adding
// its objects to out and the render and lint checks to rep.
func (v *Validator) renderCharts(ctx context.Context, charts map[string][]workspace.File, releases map[string]Release, out *Rendered, rep *Report) error {
	render := Check{Name: "render", Checked: len(charts)}
	lint := Check{Name: "lint", Checked: len(charts)}
	var renderFindings, lintFindings []Finding
	for _, root := range sortedKeys(charts) {
		chartFiles := charts[root]
		out.Values = append(out.Values, chartValues(root, chartFiles)...)
		helm := v.helm
		if rel, ok := releases[root]; ok {
			helm = helm.As(rel.Name, rel.Namespace)
		}
		res, err := helm.Render(ctx, chartFiles)
		if err != nil {
			return err
		}
		rc := RenderedChart{Root: root, Release: Release{Name: helm.ReleaseName(), Namespace: helm.Namespace()}}
		for _, m := range res.Messages {
			renderFindings = append(renderFindings, chartFinding(root, m))
			rc.Failed = rc.Failed || m.Level == helmchart.Error
		}
		decoded := make([]*manifest.File, len(res.Manifests))
		for i, f := range res.Manifests {
			rc.Objects = append(rc.Objects, workspace.File{Path: join(root, f.Path), Content: f.Content})
			out.addSource(join(root, f.Path), templateSource(root, f, chartFiles))
			decoded[i] = out.Decoded.File(join(root, f.Path), f.Content)
		}
		out.Objects = append(out.Objects, rc.Objects...)
		out.Charts = append(out.Charts, rc)
		msgs, err := helm.LintDecoded(ctx, chartFiles, res, decoded)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			lintFindings = append(lintFindings, chartFinding(root, m))
		}
	}
	render.Status, render.Detail = summarize(renderFindings, len(charts), "chart")
	lint.Status, lint.Detail = summarize(lintFindings, len(charts), "chart")
	rep.Checks = append(rep.Checks, render, lint)
	rep.Findings = append(rep.Findings, renderFindings...)
	rep.Findings = append(rep.Findings, lintFindings...)
	return nil
}

// buildKustomize builds each Kustomize folder no other includes, and the
// folders opts.Build names, once, over opts.Repository, adding the
// former's objects to out and the kustomize check to rep.
func (v *Validator) buildKustomize(ctx context.Context, kfiles []workspace.File, opts RenderOptions, out *Rendered, rep *Report) {
	tree := kustomize.Load(kfiles, opts.Repository)
	out.Kustomizations = tree.Roots()
	roots := make(map[string]bool, len(out.Kustomizations))
	dirs := append([]string{}, out.Kustomizations...)
	for _, d := range out.Kustomizations {
		roots[d] = true
	}
	for _, d := range opts.Build {
		if !roots[d] {
			roots[d] = false
			dirs = append(dirs, d)
		}
	}
	check := Check{Name: "kustomize", Checked: len(out.Kustomizations)}
	var findings []Finding
	seen := map[kustomize.Problem]bool{}
	out.Built = map[string][]byte{}
	for _, res := range tree.BuildContext(ctx, dirs) {
		if res.Manifest != nil {
			out.Built[res.Dir] = res.Manifest
		}
		if !roots[res.Dir] {
			continue // asked for by a caller; its problems are its includer's
		}
		for _, p := range res.Problems {
			if seen[p] {
				continue // a broken base is reported once, not per overlay
			}
			seen[p] = true
			f := Finding{File: p.File, Line: p.Line, Column: p.Column, Rule: "kustomize", Severity: SeverityError, Message: p.Message}
			if p.Warning {
				f.Severity = SeverityWarning
			}
			findings = append(findings, f)
		}
		if res.Manifest != nil {
			out.Objects = append(out.Objects, workspace.File{Path: res.Dir, Content: res.Manifest})
			if src := res.Source(); src != nil {
				out.addSource(res.Dir, src)
			}
		}
	}
	check.Status, check.Detail = summarize(findings, len(out.Kustomizations), "overlay")
	rep.Checks = append(rep.Checks, check)
	rep.Findings = append(rep.Findings, findings...)
}

// terraformReport turns a terraform check result into the "terraform"
// check (syntax and structure), "terraform-schema" and, when it was
// asked for, "terraform-validate".
func terraformReport(res terraform.Result) ([]Check, []Finding) {
	byRule := map[string][]Finding{}
	for _, p := range res.Problems {
		rule := p.Rule
		if rule == terraform.RuleSyntax || rule == terraform.RuleTooDeep {
			rule = terraform.RuleStructure
		}
		f := Finding{File: p.File, Line: p.Line, Resource: p.Address, Rule: p.Rule, Severity: SeverityError, Message: p.Message()}
		if p.Severity == terraform.Warning {
			f.Severity = SeverityWarning
		}
		byRule[rule] = append(byRule[rule], f)
	}
	n := len(res.Modules)
	structure := Check{Name: "terraform", Checked: n}
	structure.Status, structure.Detail = summarize(byRule[terraform.RuleStructure], n, "module")
	schemaCheck := Check{Name: "terraform-schema", Status: CheckSkipped, Skipped: n, Detail: "no provider schema export given (terraform providers schema -json)"}
	if res.SchemaChecked {
		schemaCheck = Check{Name: "terraform-schema", Checked: n}
		schemaCheck.Status, schemaCheck.Detail = summarize(byRule[terraform.RuleSchema], n, "module")
	}
	checks := []Check{structure, schemaCheck}
	switch {
	case res.Validate == "":
	case len(byRule[terraform.RuleValidate]) > 0 || strings.HasSuffix(res.Validate, "validate ran"):
		c := Check{Name: "terraform-validate", Checked: n}
		c.Status, c.Detail = summarize(byRule[terraform.RuleValidate], n, "module")
		c.Detail = res.Validate + ": " + c.Detail
		checks = append(checks, c)
	default:
		checks = append(checks, Check{Name: "terraform-validate", Status: CheckSkipped, Skipped: n, Detail: res.Validate})
	}
	var findings []Finding
	for _, rule := range []string{terraform.RuleStructure, terraform.RuleSchema, terraform.RuleValidate} {
		findings = append(findings, byRule[rule]...)
	}
	return checks, findings
}

// CheckOptions say which checks Check runs besides the schema check.
type CheckOptions struct {
	// Policy asks for policy checks.
	Policy bool
	// Workspace holds the repository files that configure checks (the
	// generation config, the policies folder) and, for Validate, those
	// Kustomize overlays may refer to outside the files checked (see
	// Render).
	Workspace []workspace.File
	// AllKyverno applies every Kyverno policy in the policies folder, not
	// only those annotated stackgen.io/ai-enforce: "true".
	AllKyverno bool
	// PolicyConfig is the repository's policy configuration (the policy
	// key of the generation config) when the caller has parsed the config
	// already, as the generate pipeline does once per request; nil reads
	// it from Workspace (policy.ReadConfig).
	PolicyConfig *policy.Config
	// Named are the files named one by one (not found in a folder), for
	// Validate: such a YAML or JSON file is checked as a Kubernetes
	// manifest whatever it holds, so a document without kind fails, and
	// any other file that is no chart, kustomization or Terraform is an
	// error. Files found in a folder that are none of those are listed in
	// the "input" check as skipped.
	Named []string
}

// Check schema-validates rendered objects and, when asked, policy-checks
// them.
func (v *Validator) Check(ctx context.Context, r Rendered, opts CheckOptions) (Report, error) {
	var rep Report
	if len(r.Objects) > 0 {
		results, err := v.schema.Validate(ctx, r.Objects)
		if err != nil {
			return Report{}, err
		}
		check, findings := schemaReport(results, v.opts.KubernetesVersion)
		findings = locate(findings, r)
		rep.Checks = append(rep.Checks, check)
		rep.Findings = append(rep.Findings, findings...)
	}
	if opts.Policy {
		check, findings, err := policyCheck(ctx, r, opts)
		if err != nil {
			return Report{}, err
		}
		findings = locate(findings, r)
		rep.Checks = append(rep.Checks, check)
		rep.Findings = append(rep.Findings, findings...)
	}
	return rep, nil
}

// policyCheck runs the built-in pack, the repository's Kyverno policies
// and its Rego over the rendered objects and Terraform files, and the
// credential rule over the charts' values files.
func policyCheck(ctx context.Context, r Rendered, opts CheckOptions) (Check, []Finding, error) {
	var cfg policy.Config
	if opts.PolicyConfig != nil {
		cfg = *opts.PolicyConfig
	} else {
		c, err := policy.ReadConfig(opts.Workspace)
		if err != nil {
			return Check{}, nil, err
		}
		cfg = c
	}
	// Objects a chart renders without a namespace land in its release's.
	namespaces := map[string]string{}
	for _, c := range r.Charts {
		for _, o := range c.Objects {
			namespaces[o.Path] = c.Release.Namespace
		}
	}
	eng, err := policy.New(ctx, opts.Workspace, policy.Options{Config: cfg, AllKyverno: opts.AllKyverno, Namespaces: namespaces})
	if err != nil {
		return Check{}, nil, err
	}
	pf, sum, err := eng.CheckDecoded(ctx, r.Decoded, r.Objects, r.Terraform)
	if err != nil {
		return Check{}, nil, err
	}
	pf = append(pf, eng.Credentials(r.Values)...)
	findings := make([]Finding, 0, len(pf))
	for _, f := range pf {
		sev, err := ParseSeverity(string(f.Severity))
		if err != nil {
			sev = SeverityError
		}
		findings = append(findings, Finding{File: f.File, Line: f.Line, Resource: f.Resource, Path: f.Path,
			Rule: f.Rule, Severity: sev, Message: f.Message})
	}
	check := Check{Name: "policy", Checked: sum.Objects + sum.TerraformFiles}
	check.Status, _ = summarize(findings, check.Checked, "object")
	if check.Checked == 0 {
		check.Status = CheckSkipped
	}
	check.Detail = fmt.Sprintf("%d objects, %d Terraform files, %d chart values files against %d built-in rules, %d Kyverno policies, %d Rego files: %d findings",
		sum.Objects, sum.TerraformFiles, len(r.Values), sum.BuiltinRules, sum.KyvernoPolicies, sum.RegoFiles, len(findings))
	check.Detail += policy.CELDetail(sum)
	return check, findings, nil
}

// classify sorts files into charts (by root folder), the files of
// kustomize folders, Terraform files, and plain manifests. Files inside a
// chart or a kustomize folder belong to it: chart values and kustomize
// patches are not whole objects.
func classify(files []workspace.File, named []string) inputs {
	var (
		charts                     map[string][]workspace.File
		kfiles, tfFiles, manifests []workspace.File
		unknown, skipped           []string
		roots, kroots              []string
	)
	isNamed := map[string]bool{}
	for _, n := range named {
		isNamed[n] = true
	}
	for _, f := range files {
		dir, base := path.Split(f.Path)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == "Chart.yaml":
			roots = append(roots, dir)
		case kustomize.IsKustomization(base):
			kroots = append(kroots, dir)
		}
	}
	// Subcharts under charts/ belong to their parent chart.
	roots = outermost(roots)
	charts = map[string][]workspace.File{}
	for _, r := range roots {
		charts[r] = nil
	}
	// Every kustomize folder counts, nested ones too: an overlay under a
	// folder whose kustomization lists it is still built from its files.
	sort.Strings(kroots)
	for _, f := range files {
		if r, ok := within(f.Path, roots); ok {
			rel := f.Path
			if r != "" {
				rel = strings.TrimPrefix(f.Path, r+"/")
			}
			charts[r] = append(charts[r], workspace.File{Path: rel, Content: f.Content})
			continue
		}
		if terraform.IsModuleFile(f.Path) {
			tfFiles = append(tfFiles, f)
			continue
		}
		if _, ok := within(f.Path, kroots); ok {
			// Kustomize reads any file of the repository (bases, patches),
			// so it is given them all; what a kustomization lists is
			// checked through the build.
			continue
		}
		switch {
		case looksLikeManifest(f) || isNamed[f.Path] && isYAMLOrJSON(f.Path):
			manifests = append(manifests, f)
		case isNamed[f.Path]:
			unknown = append(unknown, f.Path)
		default:
			skipped = append(skipped, f.Path)
		}
	}
	if len(kroots) > 0 {
		for _, f := range files {
			if _, ok := within(f.Path, roots); !ok {
				kfiles = append(kfiles, f)
			}
		}
	}
	return inputs{charts: charts, kfiles: kfiles, terraform: tfFiles, manifests: manifests, unknown: unknown, skipped: skipped}
}

// inputs are files sorted by what checks them.
type inputs struct {
	charts    map[string][]workspace.File // by root folder, paths relative to it
	kfiles    []workspace.File            // the files of and around Kustomize folders
	terraform []workspace.File
	manifests []workspace.File
	unknown   []string // named files that are none of the above
	skipped   []string // files found in a folder that are none of the above
}

// inputReport reports named files aiden cannot check as errors, and the
// files it skipped in the folders given as one skipped check.
func inputReport(in inputs) Report {
	var rep Report
	for _, p := range in.unknown {
		rep.Findings = append(rep.Findings, Finding{File: p, Rule: "input", Severity: SeverityError,
			Message: "not a Kubernetes manifest, Helm chart, Kustomize folder or Terraform file"})
	}
	if n := len(in.unknown); n > 0 {
		rep.Checks = append(rep.Checks, Check{Name: "input", Status: CheckFailed, Checked: n,
			Detail: fmt.Sprintf("%d %s named cannot be checked", n, Plural(n, "file"))})
	}
	if n := len(in.skipped); n > 0 {
		names := in.skipped
		more := ""
		if len(names) > 10 {
			names, more = names[:10], fmt.Sprintf(" and %d more", n-10)
		}
		rep.Checks = append(rep.Checks, Check{Name: "skipped", Status: CheckSkipped, Skipped: n,
			Detail: fmt.Sprintf("%d %s not checked, being no Kubernetes manifest, chart, kustomization or Terraform: %s%s",
				n, Plural(n, "file"), strings.Join(names, ", "), more)})
	}
	return rep
}

// isYAMLOrJSON reports whether p names a YAML or JSON file.
func isYAMLOrJSON(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// outermost drops folders nested in another folder of the list.
func outermost(dirs []string) []string {
	sort.Strings(dirs)
	var out []string
	for _, d := range dirs {
		if _, ok := within(d+"/x", out); !ok {
			out = append(out, d)
		}
	}
	return out
}

// within reports the folder of dirs that holds p ("" is the root).
func within(p string, dirs []string) (string, bool) {
	for _, d := range dirs {
		if d == "" || strings.HasPrefix(p, d+"/") {
			return d, true
		}
	}
	return "", false
}

// looksLikeManifest accepts YAML and JSON files with a top-level kind or
// apiVersion.
func looksLikeManifest(f workspace.File) bool {
	switch strings.ToLower(path.Ext(f.Path)) {
	case ".yaml", ".yml":
		for _, l := range bytes.Split(f.Content, []byte("\n")) {
			if bytes.HasPrefix(l, []byte("kind:")) || bytes.HasPrefix(l, []byte("apiVersion:")) {
				return true
			}
		}
	case ".json":
		return bytes.Contains(f.Content, []byte(`"kind"`)) || bytes.Contains(f.Content, []byte(`"apiVersion"`))
	}
	return false
}

func join(root, p string) string {
	if root == "" {
		return p
	}
	return root + "/" + p
}

func sortedKeys(m map[string][]workspace.File) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func chartFinding(root string, m helmchart.Message) Finding {
	f := Finding{Rule: m.Check, Message: m.Text, File: join(root, m.File)}
	if m.File == "" {
		f.File = root
	}
	f.Line = m.Line
	switch m.Level {
	case helmchart.Error:
		f.Severity = SeverityError
	case helmchart.Warning:
		f.Severity = SeverityWarning
	default:
		f.Severity = SeverityInfo
	}
	return f
}

func summarize(findings []Finding, n int, noun string) (CheckStatus, string) {
	errs := 0
	for _, f := range findings {
		if f.Severity >= SeverityError {
			errs++
		}
	}
	what := fmt.Sprintf("%d %s", n, Plural(n, noun))
	if errs > 0 {
		return CheckFailed, fmt.Sprintf("%s, %d %s", what, errs, Plural(errs, "error"))
	}
	return CheckPassed, what + ", no errors"
}

// schemaReport turns per-object results into the "schema" check and its
// findings. Objects without a schema are counted as skipped, never valid,
// and counted per kind in the detail.
func schemaReport(results []schema.Result, version string) (Check, []Finding) {
	check := Check{Name: "schema"}
	var findings []Finding
	var valid, invalid, errs int
	missing := map[string]int{}
	var kinds []string
	for _, r := range results {
		file, line := r.File, r.Line
		switch r.Status {
		case schema.Valid:
			valid++
		case schema.Invalid:
			invalid++
			for _, e := range r.Errors {
				f := Finding{File: file, Line: line, Resource: r.Resource(), Path: e.Path,
					Rule: "schema", Severity: SeverityError, Message: e.Message}
				if e.Line > 0 {
					f.Line, f.Column = e.Line, e.Column
				}
				findings = append(findings, f)
			}
		case schema.Error:
			errs++
			rule := "schema"
			if r.Unparsable {
				rule = "yaml"
			}
			findings = append(findings, Finding{File: file, Line: line, Resource: r.Resource(),
				Rule: rule, Severity: SeverityError, Message: r.Message})
		case schema.Skipped:
			check.Skipped++
			kind := strings.TrimSpace(r.Kind + " " + r.APIVersion)
			if missing[kind] == 0 {
				kinds = append(kinds, kind)
			}
			missing[kind]++
			findings = append(findings, Finding{File: file, Line: line, Resource: r.Resource(),
				Rule: "schema", Severity: SeverityWarning, Message: r.Message})
		}
		for _, n := range r.Notes {
			findings = append(findings, Finding{File: file, Line: line, Resource: r.Resource(),
				Rule: "schema-crd", Severity: SeverityInfo, Message: n})
		}
	}
	check.Checked = valid + invalid + errs
	parts := []string{fmt.Sprintf("%d valid", valid)}
	if invalid > 0 {
		parts = append(parts, fmt.Sprintf("%d invalid", invalid))
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable", errs))
	}
	if check.Skipped > 0 {
		sort.Strings(kinds)
		per := make([]string, len(kinds))
		for i, k := range kinds {
			per[i] = fmt.Sprintf("%s: %d", k, missing[k])
		}
		parts = append(parts, fmt.Sprintf("%d without schema (%s)", check.Skipped, strings.Join(per, ", ")))
	}
	check.Detail = fmt.Sprintf("%d %s against Kubernetes %s: %s", len(results), Plural(len(results), "object"),
		version, strings.Join(parts, ", "))
	switch {
	case invalid+errs > 0:
		check.Status = CheckFailed
	case check.Checked == 0:
		check.Status = CheckSkipped
	default:
		check.Status = CheckPassed
	}
	return check, findings
}

// LoadPaths reads files for Validate from disk: each path is a file or a
// folder (a chart, a kustomize folder, or a folder of manifests), read
// recursively without .git. File paths stay as given (cleaned,
// slash-separated), so findings name them the way the user typed them.
// Symlinks met in folders are not followed; a named file that is a symlink
// is read only when it stays inside its repository and out of .git
// (workspace.Contained).
func LoadPaths(paths ...string) ([]workspace.File, error) {
	var files []workspace.File
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("load paths: %w", err)
		}
		if !fi.IsDir() {
			// A named file may be a symlink: it must not lead out of its
			// repository or into .git (workspace.Contained).
			b, err := workspace.Contained(p)
			if err != nil {
				return nil, fmt.Errorf("load paths: %w", err)
			}
			files = append(files, workspace.File{Path: filepath.ToSlash(filepath.Clean(p)), Content: b})
			continue
		}
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == ".git" {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(q)
			if err != nil {
				return err
			}
			files = append(files, workspace.File{Path: filepath.ToSlash(filepath.Clean(q)), Content: b})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load paths: %w", err)
		}
	}
	return files, nil
}
