package conventions

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace"
)

// Values a chart reads to follow the conventions. The built-in planner's
// charts honour all four, as do most charts made with `helm create`
// (nameOverride, fullnameOverride, podAnnotations) and Bitnami's
// (commonLabels, commonAnnotations).
const (
	valueFullname          = "fullnameOverride"
	valueCommonLabels      = "commonLabels"
	valueCommonAnnotations = "commonAnnotations"
	valuePodAnnotations    = "podAnnotations"
)

// Releases returns the release each chart among files (paths relative to
// the repository) will be installed as, by chart root folder: the one a
// Flux HelmRelease among files installs it as (its spec.chart.spec.chart,
// or the chart folder of the HelmChart or ExternalArtifact its
// spec.chartRef names, gitops.Charts.Ref; spec.releaseName, else
// [spec.targetNamespace-]metadata.name; spec.targetNamespace, else
// metadata.namespace), else the app's name; in the namespace the config
// wants when the HelmRelease names none, else "default". Charts are
// rendered, fixed and checked as that release.
func Releases(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File) map[string]validators.Release {
	roots := chartRoots(files)
	if len(roots) == 0 {
		return nil
	}
	out := make(map[string]validators.Release, len(roots))
	charts := gitops.NewCharts(files) // read once for every chartRef
	for _, root := range roots {
		out[root] = chartRelease(cfg, vars, root, files, charts)
	}
	return out
}

// chartRelease is the release of the chart at root (see Releases).
func chartRelease(cfg *genconfig.Config, vars genconfig.Vars, root string, files []workspace.File, charts *gitops.Charts) validators.Release {
	var rel validators.Release
	roots := chartRoots(files)
	for _, f := range files {
		if !isYAML(f.Path) || inChartTemplates(f.Path, roots) || !bytes.Contains(f.Content, []byte("HelmRelease")) {
			continue
		}
		yf, err := parseFile(f.Path, f.Content)
		if err != nil {
			continue
		}
		for _, o := range yf.objects {
			spec := get(o.root, "spec")
			chart := strings.TrimPrefix(scalar(dig(spec, "chart", "spec"), "chart"), "./")
			if ref := get(spec, "chartRef"); ref != nil {
				rc, _ := charts.Ref(gitops.Ref{Kind: scalar(ref, "kind"), Name: scalar(ref, "name"), Namespace: cmp.Or(scalar(ref, "namespace"), o.ns)}, f.Path)
				chart = rc.Folder // "" for a chart not in the repository
			}
			if o.kind != "HelmRelease" || !strings.HasPrefix(o.group, "helm.toolkit.fluxcd.io") || chart == "" || path.Clean(chart) != root {
				continue
			}
			target := scalar(spec, "targetNamespace")
			rel.Name = cmp.Or(scalar(spec, "releaseName"), o.name)
			if target != "" && scalar(spec, "releaseName") == "" {
				rel.Name = target + "-" + o.name
			}
			rel.Namespace = cmp.Or(target, o.ns)
		}
	}
	if rel.Name == "" {
		rel.Name = cmp.Or(vars.App, path.Base(root))
	}
	if rel.Namespace == "" && cfg != nil && cfg.Namespace.Pattern != "" && len(cfg.Unset(cfg.Namespace.Pattern, vars)) == 0 {
		rel.Namespace = cfg.Expand(cfg.Namespace.Pattern, vars)
	}
	rel.Namespace = cmp.Or(rel.Namespace, "default")
	return rel
}

// sortedReleases returns releases as an iterator sorted by chart root.
func sortedReleases(releases map[string]validators.Release) func(yield func(string, validators.Release) bool) {
	return func(yield func(string, validators.Release) bool) {
		roots := make([]string, 0, len(releases))
		for r := range releases {
			roots = append(roots, r)
		}
		sort.Strings(roots)
		for _, r := range roots {
			if !yield(r, releases[r]) {
				return
			}
		}
	}
}

// fixChart sets the values of the chart at root that make what it renders
// follow the conventions, deciding from the sources alone, so that the
// chart is rendered once, fixed, for every check: fullnameOverride to the
// naming pattern's name when the names a chart derives from its release
// name would break the pattern; each required label through the top-level
// value of the same name when the chart has one (the chart already turns
// it into the label; setting commonLabels too would repeat the label),
// none when the chart's templates write the label's key themselves (see
// chartWrites: commonLabels would repeat it; the render check reports
// a value other than the wanted one), else through commonLabels; the
// required annotations through commonAnnotations (objects) and
// podAnnotations (pod templates), each but where the templates write the
// annotation's key themselves. A value is set only when the
// chart reads it (its templates name it) and it does not hold the wanted
// value already. What the chart renders is then checked with the other
// checks (CheckRendered); what these values cannot fix stays open there.
func fixChart(cfg *genconfig.Config, vars genconfig.Vars, root, release string, files []workspace.File) ([]workspace.File, []validators.Finding) {
	e := newEngine(cfg, vars, true)
	if e.base == "" && len(e.labels) == 0 && len(e.annotations) == 0 {
		return files, nil // nothing a value could set
	}
	valuesPath := join(root, "values.yaml")
	reads := chartReads(root, files)
	values := content(files, valuesPath)
	var fixes []validators.Finding
	edit := func(key string, value any, rule, msg string) {
		b, err := setValue(values, key, value)
		if err != nil {
			return // an unparseable values.yaml is the render check's to report
		}
		values = b
		fixes = append(fixes, validators.Finding{File: valuesPath, Path: "/" + key, Rule: rule, Severity: validators.SeverityWarning, Message: msg, Fixable: true, Fixed: true})
	}
	top := topLevelScalars(values)
	if e.base != "" && len(e.base) <= cfg.MaxLength() && reads(valueFullname) {
		name := cmp.Or(top[valueFullname], release)
		if e.nameProblem(name) != "" && top[valueFullname] != e.base {
			edit(valueFullname, e.base, RuleNaming, fmt.Sprintf("set %s to %q so that objects are named after naming.pattern %q", valueFullname, e.base, cfg.Naming.Pattern))
		}
	}
	common := map[string]string{}
	have := topLevelMaps(values)
	writes := chartWrites(root, files)
	for _, l := range e.labels {
		// A value the chart already turns into this label (team,
		// environment) must change there, or the label would repeat.
		if v, ok := top[l.key]; ok {
			if v != l.value {
				edit(l.key, l.value, RuleLabels, fmt.Sprintf("set %s to %q for the required label %s", l.key, l.value, l.key))
			}
			continue
		}
		// A label the chart's templates write themselves on objects (a
		// helper's app.kubernetes.io/managed-by), or in a pod template's
		// mapping that may also write commonLabels (it holds a template
		// directive), is theirs: through
		// commonLabels it would be written twice in one mapping. Whether
		// its value is the wanted one shows in the render, which the
		// render check reads. One only a pod template writes still goes
		// to commonLabels, for the objects.
		if w := writes("labels", l.key); w.object || w.podWithCommon {
			continue
		}
		if have[valueCommonLabels][l.key] != l.value {
			common[l.key] = l.value
		}
	}
	if len(common) > 0 && reads(valueCommonLabels) {
		edit(valueCommonLabels, common, RuleLabels, fmt.Sprintf("added the required labels %s to %s", keys(common), valueCommonLabels))
	}
	for _, key := range []string{valueCommonAnnotations, valuePodAnnotations} {
		ann := map[string]string{}
		for _, a := range e.annotations {
			// As for labels: not where the templates write it.
			if w := writes("annotations", a.key); (key == valuePodAnnotations && w.pod) || (key == valueCommonAnnotations && w.object) {
				continue
			}
			if have[key][a.key] != a.value {
				ann[a.key] = a.value
			}
		}
		if len(ann) > 0 && reads(key) {
			edit(key, ann, RuleAnnotations, fmt.Sprintf("added the required annotations %s to %s", keys(ann), key))
		}
	}
	if len(fixes) == 0 {
		return files, nil
	}
	return replace(files, valuesPath, values), fixes
}

// chartReads returns whether the chart at root reads a top-level value:
// whether any of its files other than values files names it.
func chartReads(root string, files []workspace.File) func(key string) bool {
	var text [][]byte
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, root+"/")
		if root == "." {
			rel, ok = f.Path, true
		}
		if !ok || strings.HasPrefix(path.Base(rel), "values") || rel == "Chart.yaml" {
			continue
		}
		text = append(text, f.Content)
	}
	return func(key string) bool {
		for _, t := range text {
			if bytes.Contains(t, []byte(key)) {
				return true
			}
		}
		return false
	}
}

// written says where a chart's templates write a mapping key themselves.
type written struct {
	pod    bool // in a pod template's metadata (below a "template:" key)
	object bool // anywhere else, or in a helper, whose use cannot tell
	// podWithCommon: in a pod template's mapping that also holds a
	// template directive, which may write commonLabels (directly or
	// through a helper), where commonLabels would write the key a second
	// time.
	podWithCommon bool
}

// chartWrites returns where the templates of the chart at root (its
// manifests and helpers under templates/) write a label or an annotation
// (field "labels" or "annotations") themselves, on a line of its own
// ("key: ..." or "- key: ..."), as `helm create`'s labels helper writes
// app.kubernetes.io/name. In a manifest the line counts when it sits right
// below a labels: or annotations: key (by indentation, template
// directives set aside), in a pod template when a key above it is
// "template"; a helper's line counts for both fields and both places,
// since its use cannot tell. A key a chart only names inside an
// expression (a dict Bitnami's helpers merge with commonLabels, which take
// precedence there) does not count. A pod template's labels mapping
// holding any directive is noted (podWithCommon): it may expand
// commonLabels.
func chartWrites(root string, files []workspace.File) func(field, key string) written {
	dir := join(root, "templates") + "/"
	at := map[[2]string]written{}
	mark := func(field, key string, pod, object, withCommon bool) {
		w := at[[2]string{field, key}]
		w.pod, w.object, w.podWithCommon = w.pod || pod, w.object || object, w.podWithCommon || withCommon
		at[[2]string{field, key}] = w
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Path, dir) {
			continue
		}
		helper := strings.HasSuffix(f.Path, ".tpl")
		var stack []yamlLine // the keys above the current line
		// The pod template's labels mapping being read: the keys it
		// writes, and whether a directive in it names commonLabels.
		var podKeys []string
		podCommon := false
		endMapping := func() {
			for _, k := range podKeys {
				mark("labels", k, true, false, podCommon)
			}
			podKeys, podCommon = nil, false
		}
		for _, l := range strings.Split(string(f.Content), "\n") {
			line, ok := keyLine(l)
			if !ok {
				// Any directive met before the pod template's labels
				// mapping ends (whatever its indentation: "{{- with" at
				// column 0 writes into it too) may write commonLabels,
				// directly or through a helper.
				podCommon = podCommon || strings.Contains(l, "{{") && inPodLabels(stack)
				continue
			}
			for len(stack) > 0 && stack[len(stack)-1].indent >= line.indent {
				if stack[len(stack)-1].key == "labels" {
					endMapping()
				}
				stack = stack[:len(stack)-1]
			}
			switch {
			case helper:
				mark("labels", line.key, true, true, false)
				mark("annotations", line.key, true, true, false)
			case len(stack) > 0 && (stack[len(stack)-1].key == "labels" || stack[len(stack)-1].key == "annotations"):
				field := stack[len(stack)-1].key
				pod := slices.ContainsFunc(stack, func(y yamlLine) bool { return y.key == "template" })
				if pod && field == "labels" {
					podKeys = append(podKeys, line.key)
				} else {
					mark(field, line.key, pod, !pod, false)
				}
			}
			stack = append(stack, line)
		}
		endMapping()
	}
	return func(field, key string) written { return at[[2]string{field, key}] }
}

// inPodLabels reports whether the keys above a line (stack) put it in a
// pod template's labels mapping: a "labels" key below a "template" key.
func inPodLabels(stack []yamlLine) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].key == "labels" {
			return slices.ContainsFunc(stack[:i], func(y yamlLine) bool { return y.key == "template" })
		}
	}
	return false
}

// yamlLine is a template line that writes a mapping key.
type yamlLine struct {
	key    string
	indent int
}

// keyLine reads the mapping key a template line writes ("key:", "- key:",
// quoted or not), with the column it starts at; false for a template
// directive, a comment, or a line without one.
func keyLine(l string) (yamlLine, bool) {
	t := strings.TrimLeft(l, " \t")
	indent := len(l) - len(t)
	if rest, ok := strings.CutPrefix(t, "-"); ok {
		t2 := strings.TrimLeft(rest, " \t")
		indent += len(t) - len(t2)
		t = t2
	}
	if t == "" || strings.HasPrefix(t, "{{") || strings.HasPrefix(t, "#") {
		return yamlLine{}, false
	}
	k, _, ok := strings.Cut(t, ":")
	k = strings.Trim(strings.TrimSpace(k), `"'`)
	if !ok || k == "" || strings.ContainsAny(k, "{} ") {
		return yamlLine{}, false
	}
	return yamlLine{key: k, indent: indent}, true
}

// topLevelMaps returns the top-level mappings of a values file whose
// values are strings, by key.
func topLevelMaps(values []byte) map[string]map[string]string {
	var m map[string]any
	_ = yaml.Unmarshal(values, &m)
	out := map[string]map[string]string{}
	for k, v := range m {
		mm, ok := v.(map[string]any)
		if !ok {
			continue
		}
		out[k] = map[string]string{}
		for kk, vv := range mm {
			out[k][kk] = fmt.Sprint(vv)
		}
	}
	return out
}

// renderChart renders the chart at root among files with r, as Render
// reports a chart.
func renderChart(ctx context.Context, r *helmchart.Renderer, root string, files []workspace.File) (validators.RenderedChart, error) {
	var chart []workspace.File
	for _, f := range files {
		if root == "." || strings.HasPrefix(f.Path, root+"/") {
			chart = append(chart, workspace.File{Path: strings.TrimPrefix(f.Path, root+"/"), Content: f.Content})
		}
	}
	res, err := r.Render(ctx, chart)
	if err != nil {
		return validators.RenderedChart{}, fmt.Errorf("conventions: %w", err)
	}
	c := validators.RenderedChart{Root: root, Release: validators.Release{Name: r.ReleaseName(), Namespace: r.Namespace()}}
	for _, m := range res.Messages {
		c.Failed = c.Failed || m.Level == helmchart.Error
	}
	for _, m := range res.Manifests {
		c.Objects = append(c.Objects, workspace.File{Path: join(root, m.Path), Content: m.Content})
	}
	return c, nil
}

// renderCheck renders the chart at root and checks its objects, returning
// the findings and the number of objects; ok is false when it does not
// render.
func renderCheck(ctx context.Context, r *helmchart.Renderer, cfg *genconfig.Config, vars genconfig.Vars, root string, files []workspace.File) ([]validators.Finding, int, bool, error) {
	c, err := renderChart(ctx, r, root, files)
	if err != nil || c.Failed {
		return nil, 0, false, err
	}
	fs, n, err := checkCount(cfg, vars, c.Objects)
	placeRendered(fs, c.Objects, files)
	return fs, n, err == nil, nil
}

// placeRendered points findings about a chart's rendered objects (named
// after their templates, with lines of the rendered output) at the
// template line that writes the node they are about, as the chart's other
// findings are placed (helmchart.TemplateSource): the key spelled out in
// the template, or the deepest one when toYaml or include writes it. A
// finding the template cannot place keeps the file without a line, since
// a rendered line is not a line of the template.
func placeRendered(fs []validators.Finding, objects, files []workspace.File) {
	for i := range fs {
		f := &fs[i]
		if f.File == "" || f.Line == 0 {
			continue
		}
		tmpl, rendered := content(files, f.File), content(objects, f.File)
		if tmpl != nil && rendered != nil {
			src := helmchart.TemplateSource{File: f.File, Template: tmpl, Rendered: rendered}
			if file, pos, ok := src.Locate(f.Line, f.Path, f.Message); ok {
				f.File, f.Line, f.Column = file, pos.Line, pos.Column
				continue
			}
		}
		f.Line, f.Column = 0, 0
	}
}

// setValue sets the top-level key of a values file to value (a string, or
// a map merged into the mapping already there), rewriting only that key's
// lines so the rest of the file keeps its comments and layout.
func setValue(values []byte, key string, value any) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, err
	}
	var root *yaml.Node
	if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.MappingNode {
		root = doc.Content[0]
	}
	if m, ok := value.(map[string]string); ok {
		merged := map[string]string{}
		if cur := get(root, key); cur != nil && cur.Kind == yaml.MappingNode {
			for k, v := range stringMap(cur) {
				merged[k] = v
			}
		}
		for k, v := range m {
			merged[k] = v
		}
		value = merged
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{key: value}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	block := buf.Bytes()
	lines := strings.SplitAfter(string(values), "\n")
	start, end := -1, len(lines)
	if root != nil {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key {
				start = root.Content[i].Line - 1
				if i+2 < len(root.Content) {
					end = root.Content[i+2].Line - 1
				}
			}
		}
	}
	if start < 0 {
		out := string(values)
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		return []byte(out + string(block)), nil
	}
	// Comment and blank lines before the next key belong to it.
	for end > start+1 {
		l := strings.TrimSpace(lines[end-1])
		if l != "" && !strings.HasPrefix(l, "#") {
			break
		}
		end--
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(lines[:start], ""))
	b.Write(block)
	b.WriteString(strings.Join(lines[end:], ""))
	return b.Bytes(), nil
}

// topLevelScalars returns the top-level keys of a values file whose values
// are scalars.
func topLevelScalars(values []byte) map[string]string {
	var m map[string]any
	_ = yaml.Unmarshal(values, &m)
	out := map[string]string{}
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any:
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func keys(m map[string]string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func content(files []workspace.File, p string) []byte {
	for _, f := range files {
		if f.Path == p {
			return f.Content
		}
	}
	return nil
}

// replace returns files with p's content set to c (added when absent).
func replace(files []workspace.File, p string, c []byte) []workspace.File {
	out := append([]workspace.File(nil), files...)
	for i := range out {
		if out[i].Path == p {
			out[i].Content = c
			return out
		}
	}
	return append(out, workspace.File{Path: p, Content: c})
}

func join(root, p string) string {
	if root == "." || root == "" {
		return p
	}
	return root + "/" + p
}
