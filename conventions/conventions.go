// Package conventions makes generated files follow the repository's
// generation config (genconfig): object names after the naming pattern and
// within the maximum length, the required labels and annotations on every
// object and pod template, and the namespace rule.
//
// Apply fixes what can be fixed mechanically and says so: renaming an
// object also renames every reference to it among the files (volumes, env
// and envFrom sources, service accounts, pull secrets, StatefulSet
// serviceName, HPA targets, Ingress backends, RoleBinding subjects, Flux
// sources). Plain manifests are edited in place, keeping comments; Helm
// charts are fixed in their source, through the values.yaml keys the chart
// reads (fullnameOverride, commonLabels, commonAnnotations,
// podAnnotations), decided from the sources without rendering. A
// Kustomize base with overlays, generated for no single environment,
// follows the rules without {env}; each overlay's kustomization adds its
// environment's part (namePrefix or nameSuffix, namespace, labels,
// commonAnnotations). Fix does all that; CheckRendered then checks what
// the charts render and the overlays build, reading the one render the
// other checks read (validators.Render). Each fix is a finding marked
// Fixed; what could not be fixed is a finding left open.
package conventions

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// Rules of the findings.
const (
	RuleNaming      = "conventions/naming"
	RuleLabels      = "conventions/labels"
	RuleAnnotations = "conventions/annotations"
	RuleNamespace   = "conventions/namespace"
)

// Apply checks files (paths relative to the repository) against cfg for
// the app and environment in vars, fixes what can be fixed, and returns the
// fixed files (in the same order) with one finding per fix and per problem
// left. Files that are neither charts nor YAML manifests pass through
// unchanged. An error means the files could not be read or written, not
// that they break the conventions.
//
// Apply is Fix followed by a render of each chart (as Releases says) and
// its check, for callers that render nothing themselves; the generate
// pipeline calls Fix, renders once, and checks that render with
// CheckRendered.
func Apply(ctx context.Context, cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File) ([]workspace.File, []validators.Finding, error) {
	out, findings, err := Fix(cfg, vars, files)
	if err != nil || cfg == nil {
		return out, findings, err
	}
	ccfg := chartConfig(cfg, vars, files)
	for root, rel := range sortedReleases(Releases(cfg, vars, out)) {
		r, err := helmchart.New(helmchart.Options{ReleaseName: rel.Name, Namespace: rel.Namespace, KubeVersion: cfg.KubernetesVersion})
		if err != nil {
			return nil, nil, fmt.Errorf("conventions: %w", err)
		}
		fs, _, _, err := renderCheck(ctx, r, ccfg, vars, root, out)
		if err != nil {
			return nil, nil, err
		}
		findings = append(findings, fs...)
	}
	return out, findings, nil
}

// Fix makes files (paths relative to the repository) follow cfg for the
// app and environment in vars wherever that can be done in their sources,
// rendering nothing: plain manifests are checked and edited in place
// (renames follow to every reference), each Kustomize overlay of a base
// made for no environment gets its environment's part, and each chart's
// values.yaml is set so that what the chart renders follows the rules (see
// fixChart). It returns the files in the same order with a finding per fix
// and per problem left in the manifests. What charts render and overlays
// build is checked afterwards, on the one render, by CheckRendered.
func Fix(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File) ([]workspace.File, []validators.Finding, error) {
	if cfg == nil {
		return files, nil, nil
	}
	out := append([]workspace.File(nil), files...)
	var findings []validators.Finding

	// Without an environment, a Kustomize base with overlays follows the
	// rules that do not use {env}; each overlay adds its environment's.
	if ovs := overlays(files); vars.Env == "" && len(ovs) > 0 {
		if r := splitEnv(cfg); r.has() {
			r.fitBase(cfg, vars, ovs)
			at := map[string]int{}
			for i, f := range out {
				at[f.Path] = i
			}
			for _, o := range ovs {
				f, fs, err := r.applyOverlay(cfg, vars, o, out[at[o.path]])
				if err != nil {
					return nil, nil, err
				}
				out[at[o.path]] = f
				findings = append(findings, fs...)
			}
			cfg = r.base
		}
	}

	fs, err := fixManifests(cfg, vars, out)
	if err != nil {
		return nil, nil, err
	}
	findings = append(findings, fs...)
	for root, rel := range sortedReleases(Releases(cfg, vars, out)) {
		var fixes []validators.Finding
		out, fixes = fixChart(cfg, vars, root, rel.Name, out)
		findings = append(findings, fixes...)
	}
	return out, findings, nil
}

// fixManifests checks and fixes the plain manifests among files in place
// (a chart's templates are fixed through its values; a manifest beside
// Chart.yaml, such as the HelmRelease of the chart, is a plain manifest).
func fixManifests(cfg *genconfig.Config, vars genconfig.Vars, out []workspace.File) ([]validators.Finding, error) {
	charts := chartRoots(out)
	var parsed []*yamlFile
	index := map[string]int{}
	for i, f := range out {
		if inChartTemplates(f.Path, charts) || !isYAML(f.Path) || kustomize.IsKustomization(f.Path) || !mayHoldObject(f.Content) {
			continue
		}
		yf, err := parseFile(f.Path, f.Content)
		if err != nil {
			// Unparseable YAML is the schema check's to report.
			continue
		}
		if len(yf.objects) > 0 {
			parsed = append(parsed, yf)
			index[f.Path] = i
		}
	}
	e := newEngine(cfg, vars, true)
	e.run(parsed)
	findings := append(e.notices, e.findings...)
	for _, yf := range parsed {
		if !yf.changed {
			continue
		}
		b, err := yf.encode()
		if err != nil {
			return nil, err
		}
		out[index[yf.path]].Content = b
	}
	return findings, nil
}

// chartConfig is the config charts among files follow: cfg, or for a
// Kustomize base with overlays of no environment, cfg without the rules
// that use {env} (as Fix applies them).
func chartConfig(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File) *genconfig.Config {
	if vars.Env == "" && len(overlays(files)) > 0 {
		if r := splitEnv(cfg); r.has() {
			r.fitBase(cfg, vars, overlays(files))
			return r.base
		}
	}
	return cfg
}

// CheckRendered checks what the charts among files rendered and what
// their Kustomize overlays built, as r holds it (validators.Render, asked
// to build OverlayDirs too), against cfg for vars, without changing
// anything: each chart's objects (a chart that did not render is the
// render check's to report) and, when vars names no environment, each
// overlay's build with {env} the overlay's environment (see
// CheckOverlays).
func CheckRendered(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File, r validators.Rendered) ([]validators.Finding, error) {
	if cfg == nil {
		return nil, nil
	}
	ccfg := chartConfig(cfg, vars, files)
	roots := map[string]bool{}
	for _, root := range chartRoots(files) {
		roots[root] = true
	}
	var out []validators.Finding
	for _, c := range r.Charts {
		if !roots[c.Root] || c.Failed {
			continue
		}
		e := newEngine(ccfg, vars, false)
		parsed, _, err := checkDecoded(e, c.Objects, r.Decoded)
		if err != nil {
			continue // unparseable output is the schema check's to report
		}
		e.run(parsed)
		placeRendered(e.findings, c.Objects, files)
		out = append(out, e.findings...)
	}
	built, err := checkOverlayBuilds(cfg, vars, files, r.Built)
	if err != nil {
		return nil, err
	}
	return append(out, built...), nil
}

// Check checks rendered objects (a chart's output, a kustomize build or
// plain manifests; every file is read as YAML) against cfg without
// changing them. An object without a namespace is
// taken to be in the release's namespace and passes the namespace rule.
func Check(cfg *genconfig.Config, vars genconfig.Vars, objects []workspace.File) ([]validators.Finding, error) {
	fs, _, err := CheckObjects(cfg, vars, objects)
	return fs, err
}

// CheckObjects is Check, also returning the number of objects checked.
func CheckObjects(cfg *genconfig.Config, vars genconfig.Vars, objects []workspace.File) ([]validators.Finding, int, error) {
	if cfg == nil {
		return nil, 0, nil
	}
	fs, n, err := checkCount(cfg, vars, objects)
	if err != nil {
		return nil, 0, err
	}
	return append(newEngine(cfg, vars, false).notices, fs...), n, nil
}

func check(cfg *genconfig.Config, vars genconfig.Vars, objects []workspace.File) ([]validators.Finding, error) {
	fs, _, err := checkCount(cfg, vars, objects)
	return fs, err
}

// checkCount is check, also returning the number of objects checked.
// Every file is read as YAML, whatever its name: rendered objects may be
// named after a template or, built by kustomize, after a folder.
func checkCount(cfg *genconfig.Config, vars genconfig.Vars, objects []workspace.File) ([]validators.Finding, int, error) {
	var parsed []*yamlFile
	n := 0
	for _, f := range objects {
		yf, err := parseFile(f.Path, f.Content)
		if err != nil {
			return nil, 0, err
		}
		parsed = append(parsed, yf)
		n += len(yf.objects)
	}
	e := newEngine(cfg, vars, false)
	e.run(parsed)
	return e.findings, n, nil
}

// CheckFiles checks files of one app (paths relative to the repository) as
// they are, seen the way Apply sees them, without fixing anything: plain
// manifests in place, each finding at the node it is about (the name's
// value, the labels mapping or, when there is none, metadata, the
// namespace's value); charts through the objects they render, each finding
// at the template line that writes the node (placeRendered). It
// returns the findings, rules it could not apply for vars first (as
// warnings, like Check), and the number of objects checked. Files that do
// not parse or charts that do not render are left to the other checks.
func CheckFiles(ctx context.Context, cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File) ([]validators.Finding, int, error) {
	if cfg == nil {
		return nil, 0, nil
	}
	var r validators.Rendered
	releases := Releases(cfg, vars, files) // one read of the chartRefs
	for _, root := range chartRoots(files) {
		rel := releases[root]
		rr, err := helmchart.New(helmchart.Options{ReleaseName: rel.Name, Namespace: rel.Namespace, KubeVersion: cfg.KubernetesVersion})
		if err != nil {
			return nil, 0, fmt.Errorf("conventions: %w", err)
		}
		c, err := renderChart(ctx, rr, root, files)
		if err != nil {
			return nil, 0, err
		}
		r.Charts = append(r.Charts, c)
	}
	return CheckRenderedFiles(cfg, vars, files, r)
}

// CheckRenderedFiles is CheckFiles reading what the charts among files
// rendered from r (validators.Render, each chart rendered as Releases
// says) instead of rendering them again.
func CheckRenderedFiles(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File, r validators.Rendered) ([]validators.Finding, int, error) {
	if cfg == nil {
		return nil, 0, nil
	}
	charts := chartRoots(files)
	var parsed []*yamlFile
	n := 0
	for _, f := range files {
		if inChartTemplates(f.Path, charts) || !isYAML(f.Path) || kustomize.IsKustomization(f.Path) || !mayHoldObject(f.Content) {
			continue
		}
		yf, err := parseFile(f.Path, f.Content)
		if err != nil {
			continue
		}
		parsed = append(parsed, yf)
		n += len(yf.objects)
	}
	e := newEngine(cfg, vars, false)
	e.run(parsed)
	findings := append(e.notices, e.findings...)
	roots := map[string]bool{}
	for _, root := range charts {
		roots[root] = true
	}
	for _, c := range r.Charts {
		if !roots[c.Root] || c.Failed {
			continue
		}
		ce := newEngine(cfg, vars, false)
		parsed, objects, err := checkDecoded(ce, c.Objects, r.Decoded)
		if err != nil {
			continue // unparseable output is the schema check's to report
		}
		ce.run(parsed)
		placeRendered(ce.findings, c.Objects, files)
		findings = append(findings, ce.findings...)
		n += objects
	}
	return findings, n, nil
}

type engine struct {
	cfg         *genconfig.Config
	vars        genconfig.Vars
	fix         bool
	base        string // the expanded naming pattern, "" when none
	namespace   string // the expanded namespace rule, "" when none
	allowed     *regexp.Regexp
	labels      []kv
	annotations []kv
	findings    []validators.Finding
	notices     []validators.Finding // rules not applied
}

type kv struct{ key, value string }

// newEngine expands the config's rules for vars. A rule that uses a
// placeholder vars leaves empty is not applied (guessing would be worse);
// notices says so.
func newEngine(cfg *genconfig.Config, vars genconfig.Vars, fix bool) *engine {
	e := &engine{cfg: cfg, vars: vars, fix: fix}
	usable := func(key, s string) bool {
		unset := cfg.Unset(s, vars)
		if len(unset) == 0 {
			return true
		}
		e.notices = append(e.notices, validators.Finding{
			File: genconfig.Path, Rule: ruleFor(key), Severity: validators.SeverityWarning,
			Message: fmt.Sprintf("%s uses %s, which this generation does not know (name it in the intent, the request or the target path): not applied", key, strings.Join(unset, ", ")),
		})
		return false
	}
	if cfg.Naming.Pattern != "" && usable("naming.pattern", cfg.Naming.Pattern) {
		e.base = cfg.Expand(cfg.Naming.Pattern, vars)
	}
	if cfg.Namespace.Pattern != "" && usable("namespace", cfg.Namespace.Pattern) {
		e.namespace = cfg.Expand(cfg.Namespace.Pattern, vars)
	}
	e.allowed = allowedRE(cfg.AllowedChars())
	for _, k := range cfg.LabelKeys {
		if usable("labels."+k, cfg.Labels[k]) {
			e.labels = append(e.labels, kv{k, cfg.Expand(cfg.Labels[k], vars)})
		}
	}
	for _, k := range cfg.AnnotationKeys {
		if usable("annotations."+k, cfg.Annotations[k]) {
			e.annotations = append(e.annotations, kv{k, cfg.Expand(cfg.Annotations[k], vars)})
		}
	}
	return e
}

// allowedREs are the compiled allowed-characters expressions, by their
// character class: an engine is made for every check of every request,
// and a repository's config names one class.
var allowedREs sync.Map // string -> *regexp.Regexp

// maxAllowedREs bounds allowedREs; past it an expression is compiled
// each time.
const maxAllowedREs = 64

var allowedREsLen atomic.Int32

// allowedRE returns the expression matching a name made of chars (a
// character class's contents) only.
func allowedRE(chars string) *regexp.Regexp {
	if re, ok := allowedREs.Load(chars); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile("^[" + chars + "]+$")
	if allowedREsLen.Load() < maxAllowedREs {
		if _, loaded := allowedREs.LoadOrStore(chars, re); !loaded {
			allowedREsLen.Add(1)
		}
	}
	return re
}

func ruleFor(key string) string {
	switch {
	case strings.HasPrefix(key, "naming"):
		return RuleNaming
	case strings.HasPrefix(key, "labels"):
		return RuleLabels
	case strings.HasPrefix(key, "annotations"):
		return RuleAnnotations
	}
	return RuleNamespace
}

func (e *engine) add(o *object, p, rule, msg string, fixed bool) {
	sev := validators.SeverityError
	if fixed {
		sev = validators.SeverityWarning
	}
	pos := o.at(p)
	e.findings = append(e.findings, validators.Finding{
		File: o.file, Line: pos.Line, Column: pos.Column, Resource: o.resource(), Path: p, Rule: rule,
		Severity: sev, Message: msg, Fixable: fixed, Fixed: fixed,
	})
}

func (e *engine) run(files []*yamlFile) {
	var objs []*object
	for _, f := range files {
		objs = append(objs, f.objects...)
	}
	e.names(objs)
	for _, o := range objs {
		changed := e.labelsAndAnnotations(o)
		changed = e.ns(o) || changed
		changed = e.upstream(o) || changed
		if changed {
			o.changed()
		}
	}
}

// upstream passes the required labels and annotations to the objects of
// an upstream chart that a Flux HelmRelease installs, through the values
// commonLabels and commonAnnotations (which Bitnami's charts, among
// others, put on every object): those objects are rendered in the
// cluster, so they cannot be checked here.
func (e *engine) upstream(o *object) bool {
	if !e.fix || o.kind != "HelmRelease" || !strings.HasPrefix(o.group, "helm.toolkit.fluxcd.io") {
		return false // when checking, a chart that takes other values is not wrong
	}
	if k := scalar(dig(o.root, "spec", "chart", "spec", "sourceRef"), "kind"); k == "GitRepository" || k == "Bucket" {
		return false // a chart of this repository, fixed in its own values.yaml
	}
	changed := false
	for _, want := range []struct {
		value string
		pairs []kv
		rule  string
	}{{"commonLabels", e.labels, RuleLabels}, {"commonAnnotations", e.annotations, RuleAnnotations}} {
		if len(want.pairs) == 0 {
			continue
		}
		spec := get(o.root, "spec")
		values := ensureMap(spec, "values")
		if values == nil {
			continue
		}
		have := stringMap(get(values, want.value))
		var missing []string
		for _, p := range want.pairs {
			if have[p.key] != p.value {
				missing = append(missing, fmt.Sprintf("%s=%q", p.key, p.value))
			}
		}
		if len(missing) == 0 {
			continue
		}
		msg := fmt.Sprintf("the upstream chart's objects are rendered in the cluster and cannot be checked here; values.%s passes them %s", want.value, strings.Join(missing, ", "))
		m := ensureMap(values, want.value)
		if m == nil {
			e.add(o, "/spec/values/"+want.value, want.rule, msg+"; it is not a mapping", false)
			continue
		}
		for _, p := range want.pairs {
			set(m, p.key, p.value)
		}
		changed = true
		e.add(o, "/spec/values/"+want.value, want.rule, msg+": set", true)
	}
	return changed
}

// skipNaming tells the objects the naming rule does not cover: namespaces
// (the namespace rule does) and CRDs (named after their group).
func skipNaming(o *object) bool {
	return o.kind == "Namespace" || o.kind == "CustomResourceDefinition"
}

// names checks every name and, when fixing, renames objects and their
// references.
func (e *engine) names(objs []*object) {
	taken := map[string]bool{}
	for _, o := range objs {
		taken[o.kind+"/"+o.name] = true
	}
	renames := map[string]string{}
	var renamed []*object
	for _, o := range objs {
		if skipNaming(o) || o.name == "" {
			continue
		}
		problem := e.nameProblem(o.name)
		if problem == "" {
			continue
		}
		want := e.fixName(o.name)
		switch {
		case !e.fix:
			e.add(o, "/metadata/name", RuleNaming, problem, false)
		case want == "" || e.nameProblem(want) != "":
			e.add(o, "/metadata/name", RuleNaming, problem+"; no name of the pattern fits naming.maxLength", false)
		case taken[o.kind+"/"+want]:
			e.add(o, "/metadata/name", RuleNaming, fmt.Sprintf("%s; the fixed name %q is taken by another %s", problem, want, o.kind), false)
		default:
			old := o.name
			set(get(o.root, "metadata"), "name", want)
			o.name = want
			taken[o.kind+"/"+want] = true
			renames[o.kind+"/"+old] = want
			renamed = append(renamed, o)
			e.add(o, "/metadata/name", RuleNaming, fmt.Sprintf("%s: renamed %q to %q", problem, old, want), true)
		}
	}
	if len(renames) == 0 {
		return
	}
	for _, o := range objs {
		changed := false
		for _, r := range refs(o) {
			if want, ok := renames[r.kind+"/"+r.node.Value]; ok {
				e.add(o, r.path, RuleNaming, fmt.Sprintf("reference to %s %q follows the rename to %q", r.kind, r.node.Value, want), true)
				r.node.Value = want
				changed = true
			}
		}
		if changed {
			o.changed()
		}
	}
	for _, o := range renamed {
		o.changed()
	}
}

// nameProblem says what is wrong with name, or "".
func (e *engine) nameProblem(name string) string {
	max := e.cfg.MaxLength()
	switch {
	case len(name) > max:
		return fmt.Sprintf("name %q is %d characters, more than naming.maxLength %d", name, len(name), max)
	case !e.allowed.MatchString(name):
		return fmt.Sprintf("name %q holds characters outside naming.allowedChars %q", name, e.cfg.AllowedChars())
	case !alnum(name[0]) || !alnum(name[len(name)-1]):
		return fmt.Sprintf("name %q must start and end with a letter or digit", name)
	case e.base != "" && name != e.base && !strings.HasPrefix(name, e.base+"-"):
		return fmt.Sprintf("name %q does not follow naming.pattern %q (want %q or %q)", name, e.cfg.Naming.Pattern, e.base, e.base+"-<suffix>")
	}
	return ""
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

var dashes = regexp.MustCompile(`-+`)

// fixName returns the name name should have: the pattern's name, followed
// by what name says beyond the app's own name, within the maximum length.
func (e *engine) fixName(name string) string {
	n := strings.ToLower(name)
	var b strings.Builder
	for _, r := range n {
		if s := string(r); e.allowed.MatchString(s) {
			b.WriteString(s)
		} else {
			b.WriteByte('-')
		}
	}
	n = strings.Trim(dashes.ReplaceAllString(b.String(), "-"), "-")
	if e.base != "" && n != e.base && !strings.HasPrefix(n, e.base+"-") {
		suffix := n
		for _, prefix := range []string{e.vars.Env + "-" + e.vars.App, e.vars.App + "-" + e.vars.Env, e.vars.App, e.vars.Component} {
			if prefix == "" || prefix == "-" {
				continue
			}
			if suffix == prefix {
				suffix = ""
				break
			}
			if strings.HasPrefix(suffix, prefix+"-") {
				suffix = suffix[len(prefix)+1:]
				break
			}
		}
		n = e.base
		if suffix != "" {
			n += "-" + suffix
		}
	}
	if max := e.cfg.MaxLength(); len(n) > max {
		if len(e.base) > max {
			return ""
		}
		n = strings.TrimRight(n[:max], "-")
	}
	return n
}

// labelsAndAnnotations checks the required labels and annotations on the
// object and its pod template.
func (e *engine) labelsAndAnnotations(o *object) bool {
	changed := e.metadata(o, get(o.root, "metadata"), "/metadata", nil)
	if _, tmpl := podSpec(o); tmpl != nil {
		p := "/spec/template/metadata"
		if o.kind == "CronJob" {
			p = "/spec/jobTemplate/spec/template/metadata"
		}
		meta := get(tmpl, "metadata")
		if meta == nil && e.fix && (len(e.labels) > 0 || len(e.annotations) > 0) {
			meta = ensureMap(tmpl, "metadata")
		}
		if meta != nil {
			selector := stringMap(dig(o.root, "spec", "selector", "matchLabels"))
			changed = e.metadata(o, meta, p, selector) || changed
		}
	}
	return changed
}

// metadata checks one metadata mapping; labels in selector cannot change
// value without breaking the workload.
func (e *engine) metadata(o *object, m *yaml.Node, p string, selector map[string]string) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	changed := false
	for _, want := range []struct {
		field, rule string
		pairs       []kv
	}{{"labels", RuleLabels, e.labels}, {"annotations", RuleAnnotations, e.annotations}} {
		have := stringMap(get(m, want.field))
		var missing, wrong []string // what one finding per field reports
		for _, pair := range want.pairs {
			got, ok := have[pair.key]
			if ok && got == pair.value {
				continue
			}
			fieldPath := p + "/" + want.field + "/" + escape(pair.key)
			if sel, in := selector[pair.key]; in && want.field == "labels" {
				// Changing a selector label would orphan the running pods.
				e.add(o, fieldPath, want.rule, fmt.Sprintf("label %s is %q, the generation config wants %q; it is part of the selector, which cannot change on a live workload", pair.key, sel, pair.value), false)
				continue
			}
			if ok {
				wrong = append(wrong, fmt.Sprintf("%s=%q (was %q)", pair.key, pair.value, got))
			} else {
				missing = append(missing, fmt.Sprintf("%s=%q", pair.key, pair.value))
			}
			if e.fix {
				if target := ensureMap(m, want.field); target != nil {
					set(target, pair.key, pair.value)
				}
			}
		}
		if len(missing)+len(wrong) == 0 {
			continue
		}
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing "+strings.Join(missing, ", "))
		}
		if len(wrong) > 0 {
			parts = append(parts, "wrong "+strings.Join(wrong, ", "))
		}
		msg := fmt.Sprintf("%s required by the generation config: %s", want.field, strings.Join(parts, "; "))
		fixed := e.fix && ensureMap(m, want.field) != nil
		if fixed {
			msg += "; set"
			changed = true
		}
		e.add(o, p+"/"+want.field, want.rule, msg, fixed)
	}
	return changed
}

// ns checks the namespace rule.
func (e *engine) ns(o *object) bool {
	if e.namespace == "" || clusterScoped[o.kind] {
		return false
	}
	if o.ns == e.namespace || (o.ns == "" && !e.fix) {
		return false
	}
	msg := fmt.Sprintf("namespace is %q, the generation config wants %q", o.ns, e.namespace)
	if o.ns == "" {
		msg = fmt.Sprintf("no namespace, the generation config wants %q", e.namespace)
	}
	if !e.fix {
		e.add(o, "/metadata/namespace", RuleNamespace, msg, false)
		return false
	}
	setAfter(get(o.root, "metadata"), "namespace", e.namespace, "name")
	o.ns = e.namespace
	e.add(o, "/metadata/namespace", RuleNamespace, msg+": set", true)
	return true
}

// escape writes a key as a JSON pointer token.
func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func isYAML(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// chartRoots returns the folders holding a Chart.yaml, outermost only,
// sorted.
func chartRoots(files []workspace.File) []string {
	var roots []string
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			roots = append(roots, path.Dir(f.Path))
		}
	}
	sort.Strings(roots)
	var out []string
	for _, r := range roots {
		if !inChart(r+"/x", out) {
			out = append(out, r)
		}
	}
	return out
}

// inChartTemplates reports whether p lies in a subfolder of a chart
// (templates/, charts/, crds/).
func inChartTemplates(p string, roots []string) bool {
	for _, r := range roots {
		rel, ok := strings.CutPrefix(p, r+"/")
		if r == "." {
			rel, ok = p, true
		}
		if ok && strings.Contains(rel, "/") {
			return true
		}
	}
	return false
}

func inChart(p string, roots []string) bool {
	for _, r := range roots {
		if r == "." || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// Summary returns the report entry of the conventions check for the
// findings Apply returned: failed while any is left open at error level.
func Summary(findings []validators.Finding) validators.Check {
	c := validators.Check{Name: "conventions", Status: validators.CheckPassed}
	fixed, open := 0, 0
	for _, f := range findings {
		switch {
		case f.Fixed:
			fixed++
		case f.Severity == validators.SeverityError:
			open++
		}
	}
	c.Checked = fixed + open
	if open > 0 {
		c.Status = validators.CheckFailed
	}
	c.Detail = fmt.Sprintf("%d fixed, %d left", fixed, open)
	return c
}
