package conventions

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/genconfig"
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

// applyChart renders the chart at root, checks its objects, and fixes
// what breaks the conventions in the chart's values.yaml; the chart is
// then rendered again and what still breaks them is reported.
func applyChart(ctx context.Context, cfg *genconfig.Config, vars genconfig.Vars, root string, files []workspace.File) ([]workspace.File, []validators.Finding, error) {
	valuesPath := join(root, "values.yaml")
	r, err := chartRenderer(cfg, vars)
	if err != nil {
		return nil, nil, err
	}
	before, _, ok, err := renderCheck(ctx, r, cfg, vars, root, files)
	if err != nil || !ok || len(before) == 0 {
		return files, before, err // a chart that does not render is the render check's to report
	}

	e := newEngine(cfg, vars, true)
	values := content(files, valuesPath)
	var fixes []validators.Finding
	edit := func(key string, value any, rule, msg string) {
		b, err := setValue(values, key, value)
		if err != nil {
			return
		}
		values = b
		fixes = append(fixes, validators.Finding{File: valuesPath, Path: "/" + key, Rule: rule, Severity: validators.SeverityWarning, Message: msg, Fixable: true, Fixed: true})
	}
	if has(before, RuleNaming) && e.base != "" && len(e.base) <= cfg.MaxLength() {
		edit(valueFullname, e.base, RuleNaming, fmt.Sprintf("set %s to %q so that objects are named after naming.pattern %q", valueFullname, e.base, cfg.Naming.Pattern))
	}
	if has(before, RuleLabels) {
		top := topLevelScalars(values)
		common := map[string]string{}
		for _, l := range e.labels {
			// A value the chart already turns into this label (team,
			// environment) must change there, or the label would repeat.
			if _, ok := top[l.key]; ok {
				edit(l.key, l.value, RuleLabels, fmt.Sprintf("set %s to %q for the required label %s", l.key, l.value, l.key))
				continue
			}
			common[l.key] = l.value
		}
		if len(common) > 0 {
			edit(valueCommonLabels, common, RuleLabels, fmt.Sprintf("added the required labels %s to %s", keys(common), valueCommonLabels))
		}
	}
	if has(before, RuleAnnotations) {
		ann := map[string]string{}
		for _, a := range e.annotations {
			ann[a.key] = a.value
		}
		edit(valueCommonAnnotations, ann, RuleAnnotations, fmt.Sprintf("added the required annotations %s to %s", keys(ann), valueCommonAnnotations))
		edit(valuePodAnnotations, ann, RuleAnnotations, fmt.Sprintf("added the required annotations %s to %s", keys(ann), valuePodAnnotations))
	}
	if len(fixes) == 0 {
		return files, before, nil
	}
	fixed := replace(files, valuesPath, values)
	after, _, ok, err := renderCheck(ctx, r, cfg, vars, root, fixed)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return files, before, nil // the fix broke the chart: keep it as it was
	}
	return fixed, append(fixes, after...), nil
}

// chartRenderer renders charts as the app's release, in the namespace the
// config wants.
func chartRenderer(cfg *genconfig.Config, vars genconfig.Vars) (*helmchart.Renderer, error) {
	r, err := helmchart.New(helmchart.Options{ReleaseName: cmp.Or(vars.App, "release-name"), Namespace: cmp.Or(cfg.Expand(cfg.Namespace.Pattern, vars), "default"), KubeVersion: cfg.KubernetesVersion})
	if err != nil {
		return nil, fmt.Errorf("conventions: %w", err)
	}
	return r, nil
}

// renderCheck renders the chart at root and checks its objects, returning
// the findings and the number of objects; ok is false when it does not
// render.
func renderCheck(ctx context.Context, r *helmchart.Renderer, cfg *genconfig.Config, vars genconfig.Vars, root string, files []workspace.File) ([]validators.Finding, int, bool, error) {
	var chart []workspace.File
	for _, f := range files {
		if root == "." || strings.HasPrefix(f.Path, root+"/") {
			chart = append(chart, workspace.File{Path: strings.TrimPrefix(f.Path, root+"/"), Content: f.Content})
		}
	}
	res, err := r.Render(ctx, chart)
	if err != nil {
		return nil, 0, false, fmt.Errorf("conventions: %w", err)
	}
	for _, m := range res.Messages {
		if m.Level == helmchart.Error {
			return nil, 0, false, nil
		}
	}
	objects := make([]workspace.File, len(res.Manifests))
	for i, m := range res.Manifests {
		objects[i] = workspace.File{Path: join(root, m.Path), Content: m.Content}
	}
	fs, n, err := checkCount(cfg, vars, objects)
	return fs, n, err == nil, nil
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

func has(fs []validators.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
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
