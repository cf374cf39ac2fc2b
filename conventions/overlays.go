package conventions

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// overlay is an overlays/<env>/kustomization.yaml beside a base/ among
// the files of one generation.
type overlay struct {
	path string // the kustomization file
	env  string
}

// overlays lists the Kustomize overlays among files whose base is among
// them too, sorted by path.
func overlays(files []workspace.File) []overlay {
	bases := map[string]bool{}
	for _, f := range files {
		if kustomize.IsKustomization(f.Path) && path.Base(path.Dir(f.Path)) == "base" {
			bases[path.Dir(path.Dir(f.Path))] = true
		}
	}
	var out []overlay
	for _, f := range files {
		dir := path.Dir(f.Path)
		root := path.Dir(path.Dir(dir))
		if kustomize.IsKustomization(f.Path) && path.Base(path.Dir(dir)) == "overlays" && bases[root] {
			out = append(out, overlay{path: f.Path, env: path.Base(dir)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// envRules are the rules of a config that use {env}, split off so that a
// base can follow the rest and each overlay add its environment's part
// with kustomize's own transformers.
type envRules struct {
	base                *genconfig.Config // cfg without them
	prefix, suffix      string            // around the base's naming pattern
	namespace           string
	labels, annotations []kv
}

// splitEnv splits the rules of cfg that use {env} off cfg. A naming
// pattern holding {env} only before its first {app} (namePrefix) or only
// after its last (nameSuffix) is split there; any other use of {env} in a
// pattern stays in base, whose engine then says it is not applied.
func splitEnv(cfg *genconfig.Config) envRules {
	const env, app = "{env}", "{app}"
	base := *cfg
	r := envRules{base: &base}
	if p := cfg.Naming.Pattern; strings.Contains(p, env) && strings.Contains(p, app) {
		first := strings.Index(p, app)
		last := strings.LastIndex(p, app) + len(app)
		switch head, mid, tail := p[:first], p[first:last], p[last:]; {
		case strings.Contains(mid, env):
		case strings.Contains(head, env) && !strings.Contains(tail, env):
			r.prefix, base.Naming.Pattern = head, mid+tail
		case strings.Contains(tail, env) && !strings.Contains(head, env):
			r.suffix, base.Naming.Pattern = tail, head+mid
		}
	}
	if strings.Contains(cfg.Namespace.Pattern, env) {
		r.namespace, base.Namespace.Pattern = cfg.Namespace.Pattern, ""
	}
	split := func(keys []string, values map[string]string) ([]string, map[string]string, []kv) {
		var keep []string
		kept := map[string]string{}
		var moved []kv
		for _, k := range keys {
			if strings.Contains(values[k], env) {
				moved = append(moved, kv{k, values[k]})
				continue
			}
			keep = append(keep, k)
			kept[k] = values[k]
		}
		return keep, kept, moved
	}
	base.LabelKeys, base.Labels, r.labels = split(cfg.LabelKeys, cfg.Labels)
	base.AnnotationKeys, base.Annotations, r.annotations = split(cfg.AnnotationKeys, cfg.Annotations)
	return r
}

// WithoutEnv returns cfg without the rules that use {env} (those
// splitEnv moves to overlays), for files that belong to no environment,
// such as a base that several clusters' overlays share: the rules that use
// {env} are for where it is deployed.
func WithoutEnv(cfg *genconfig.Config) *genconfig.Config {
	return splitEnv(cfg).base
}

// has reports whether there is a rule for the overlays.
func (r envRules) has() bool {
	return r.prefix != "" || r.suffix != "" || r.namespace != "" || len(r.labels) > 0 || len(r.annotations) > 0
}

// fitBase shortens the base's maximum name length by the longest prefix
// and suffix an overlay adds, so that the overlays' names fit.
func (r envRules) fitBase(cfg *genconfig.Config, vars genconfig.Vars, ovs []overlay) {
	longest := 0
	for _, o := range ovs {
		v := vars
		v.Env = o.env
		longest = max(longest, len(cfg.Expand(r.prefix+r.suffix, v)))
	}
	if longest > 0 {
		r.base.Naming.MaxLength = max(1, cfg.MaxLength()-longest)
	}
}

// applyOverlay makes the overlay's kustomization add the rules of r for
// its environment: namePrefix or nameSuffix, namespace, labels (on pod
// templates too, never on selectors, which cannot change on a live
// workload) and commonAnnotations. It returns the file, changed or not,
// and a finding per fix.
func (r envRules) applyOverlay(cfg *genconfig.Config, vars genconfig.Vars, o overlay, f workspace.File) (workspace.File, []validators.Finding, error) {
	yf, err := parseFile(f.Path, f.Content)
	if err != nil || len(yf.docs) != 1 || len(yf.docs[0].Content) == 0 || yf.docs[0].Content[0].Kind != yaml.MappingNode {
		return f, nil, nil // the kustomize check reports it
	}
	k := yf.docs[0].Content[0]
	vars.Env = o.env
	var findings []validators.Finding
	fixed := func(p, rule, msg string) {
		findings = append(findings, validators.Finding{File: f.Path, Path: p, Rule: rule, Severity: validators.SeverityWarning,
			Message: msg, Fixable: true, Fixed: true})
	}
	for _, s := range []struct{ field, pattern, rule, key, rulePattern string }{
		{"namePrefix", r.prefix, RuleNaming, "naming.pattern", cfg.Naming.Pattern},
		{"nameSuffix", r.suffix, RuleNaming, "naming.pattern", cfg.Naming.Pattern},
		{"namespace", r.namespace, RuleNamespace, "namespace", r.namespace},
	} {
		if s.pattern == "" {
			continue
		}
		want := cfg.Expand(s.pattern, vars)
		if have := scalar(k, s.field); have != want {
			setAfter(k, s.field, want, "kind")
			fixed("/"+s.field, s.rule, fmt.Sprintf("%s %q for %s: %s %q set (was %q)", s.key, s.rulePattern, o.env, s.field, want, have))
		}
	}
	if len(r.labels) > 0 {
		if msg, changed := overlayLabels(k, cfg, vars, r.labels); changed {
			fixed("/labels", RuleLabels, msg)
		}
	}
	if len(r.annotations) > 0 {
		m := ensureMap(k, "commonAnnotations")
		if m == nil {
			findings = append(findings, validators.Finding{File: f.Path, Path: "/commonAnnotations", Rule: RuleAnnotations,
				Severity: validators.SeverityError, Message: "commonAnnotations is not a mapping"})
		} else {
			have := stringMap(m)
			var missing []string
			for _, a := range r.annotations {
				if want := cfg.Expand(a.value, vars); have[a.key] != want {
					set(m, a.key, want)
					missing = append(missing, fmt.Sprintf("%s=%q", a.key, want))
				}
			}
			if len(missing) > 0 {
				fixed("/commonAnnotations", RuleAnnotations, fmt.Sprintf("annotations required by the generation config for %s: %s; set", o.env, strings.Join(missing, ", ")))
			}
		}
	}
	if len(findings) == 0 {
		return f, nil, nil
	}
	b, err := yf.encode()
	if err != nil {
		return f, nil, err
	}
	f.Content = b
	return f, findings, nil
}

// overlayLabels sets the labels in an entry of the kustomization's labels
// list that reaches pod templates and leaves selectors alone, adding one
// when there is none, and corrects a wrong value in any other entry.
func overlayLabels(k *yaml.Node, cfg *genconfig.Config, vars genconfig.Vars, labels []kv) (string, bool) {
	list := get(k, "labels")
	if list == nil {
		list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		k.Content = append(k.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "labels"}, list)
	}
	if list.Kind != yaml.SequenceNode {
		return "", false // the built objects' check reports what is missing
	}
	var target *yaml.Node
	for _, e := range list.Content {
		if scalar(e, "includeTemplates") == "true" && scalar(e, "includeSelectors") != "true" && get(e, "pairs") != nil {
			target = e
			break
		}
	}
	var changes []string
	for _, l := range labels {
		want := cfg.Expand(l.value, vars)
		found := false
		for _, e := range list.Content {
			pairs := get(e, "pairs")
			if have, ok := stringMap(pairs)[l.key]; ok {
				if e == target {
					found = true
				}
				if have != want {
					set(pairs, l.key, want)
					changes = append(changes, fmt.Sprintf("%s=%q (was %q)", l.key, want, have))
				}
			}
		}
		if found {
			continue
		}
		if target == nil {
			target = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			ensureMap(target, "pairs")
			set(target, "includeTemplates", "true")
			set(target, "includeSelectors", "false")
			get(target, "includeTemplates").Tag = "!!bool"
			get(target, "includeSelectors").Tag = "!!bool"
			list.Content = append(list.Content, target)
		}
		set(get(target, "pairs"), l.key, want)
		changes = append(changes, fmt.Sprintf("%s=%q", l.key, want))
	}
	if len(changes) == 0 {
		return "", false
	}
	return fmt.Sprintf("labels required by the generation config for %s, on objects and pod templates but not selectors: %s; set", vars.Env, strings.Join(changes, ", ")), true
}

// CheckOverlays builds each Kustomize overlay among files (paths relative
// to the repository; repo holds its other files, such as shared
// Components) and checks what it builds against cfg with {env} the
// overlay's environment, as Apply left it: a naming pattern Apply could
// not split into a base and a prefix or suffix, which it warned about, is
// not checked. Findings name the overlay's kustomization.yaml, without a
// line (a line of the build is none of the file's). When vars names an
// environment already, or there are no overlays, it returns nothing; so
// does an overlay that does not build, which the kustomize check reports.
func CheckOverlays(cfg *genconfig.Config, vars genconfig.Vars, files, repo []workspace.File) ([]validators.Finding, error) {
	dirs := OverlayDirs(cfg, vars, files)
	if len(dirs) == 0 {
		return nil, nil
	}
	built := map[string][]byte{}
	for _, r := range kustomize.Load(files, repo).Build(dirs) {
		if r.Manifest != nil {
			built[r.Dir] = r.Manifest
		}
	}
	return checkOverlayBuilds(cfg, vars, files, built)
}

// OverlayDirs returns the folders of the Kustomize overlays among files
// that CheckOverlays and CheckRendered check what they build of: none when
// vars names an environment already or cfg is nil.
func OverlayDirs(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File) []string {
	if cfg == nil || vars.Env != "" {
		return nil
	}
	var dirs []string
	for _, o := range overlays(files) {
		dirs = append(dirs, path.Dir(o.path))
	}
	return dirs
}

// checkOverlayBuilds checks what each overlay among files built (built,
// by folder; an overlay that did not build is absent and left to the
// kustomize check) as CheckOverlays describes.
func checkOverlayBuilds(cfg *genconfig.Config, vars genconfig.Vars, files []workspace.File, built map[string][]byte) ([]validators.Finding, error) {
	if cfg == nil || vars.Env != "" {
		return nil, nil
	}
	ovs := overlays(files)
	if len(ovs) == 0 {
		return nil, nil
	}
	if r := splitEnv(cfg); strings.Contains(r.base.Naming.Pattern, "{env}") {
		c := *cfg
		c.Naming.Pattern = ""
		cfg = &c
	}
	var out []validators.Finding
	for _, o := range ovs {
		dir := path.Dir(o.path)
		manifest, ok := built[dir]
		if !ok {
			continue
		}
		v := vars
		v.Env = o.env
		fs, err := check(cfg, v, []workspace.File{{Path: o.path, Content: manifest}})
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", dir, err)
		}
		for _, f := range fs {
			f.Line = 0
			out = append(out, f)
		}
	}
	return out, nil
}
