package generator

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/catalog"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/workspace"
)

// An Argo CD app-of-apps repository (layout.delivery argocd-application
// with layout.applications): a new app of the catalogue is an Application
// of its upstream chart (the planner's, planner.Plan.ArgoApplication),
// shaped like the repository's Applications (layout.application: project,
// destination, syncPolicy, finalizers) and written as {app}.yaml in the
// folder the root Application syncs, where Argo CD picks it up.

// argoApplication returns the Application of plan's catalogue chart for
// the app target names in the layout's folder of Applications, as
// application.yaml relative to target (shapeApp moves it into place);
// ok is false when the layout keeps no Applications there or the
// component has no catalogue chart.
func argoApplication(cfg *genconfig.Config, plan *planner.Plan, target string) (files []workspace.File, ok bool, err error) {
	if cfg == nil || cfg.Layout.Delivery != genconfig.DeliveryArgoApplication {
		return nil, false, nil
	}
	app, env, ok := cfg.Layout.MatchApplication(target)
	if !ok {
		return nil, false, nil
	}
	env = cmp.Or(env, plan.Environment)
	if strings.Contains(cfg.Layout.Applications, "{env}") && len(cfg.Layout.Environments) > 0 && !slices.Contains(cfg.Layout.Environments, env) {
		return nil, true, fmt.Errorf("%w: %s: no root Application syncs %s (the repository's root Applications sync %s for %s); generate into one of those folders, or add a root Application for %s first",
			ErrInvalidInput, target, path.Dir(target), cfg.Layout.Applications, strings.Join(cfg.Layout.Environments, ", "), env)
	}
	p := *plan
	if p.Chart == nil {
		// Redis and PostgreSQL are built-in charts elsewhere; here they are
		// the catalogue's upstream chart, as every app here is.
		c, found := catalog.Lookup(p.Component())
		if !found {
			return nil, false, nil
		}
		f := catalog.Facts{Replicas: p.Replicas, Storage: p.Storage, AuthSecret: p.AuthSecret,
			CPU: p.Resources.CPURequest, Memory: p.Resources.MemoryRequest}
		if o, has := p.PerEnvironment[env]; has && o.Replicas > 0 {
			f.Replicas = o.Replicas
		}
		if p.Persistence {
			t := true
			f.Persistence = &t
		}
		values, err := c.Values(f)
		if err != nil {
			return nil, true, fmt.Errorf("values for %s: %w", c.Title, err)
		}
		p.Chart, p.ChartValues, p.Replicas = &c, values, f.Replicas
	}
	p.App = app
	out, err := p.ArgoApplication()
	if err != nil {
		return nil, true, err
	}
	for _, f := range out {
		if f.Path == "application.yaml" {
			shaped, err := shapeApplication(f.Content, cfg, genconfig.Vars{App: app, Env: env, Component: p.Component()})
			if err != nil {
				return nil, true, err
			}
			return []workspace.File{{Path: f.Path, Content: shaped}}, true, nil
		}
	}
	return nil, true, fmt.Errorf("the planner wrote no application.yaml for %s", app)
}

// applicationTemplate lists the fields layout.application governs: a
// field the repository's Applications do not share is left out of the
// new one too, except the destination namespace, which every app needs.
var applicationTemplate = [][]string{
	{"metadata", "finalizers"},
	{"spec", "project"},
	{"spec", "destination", "server"},
	{"spec", "destination", "name"},
	{"spec", "syncPolicy"},
}

// shapeApplication gives the Application in content the fields the
// repository's Applications share (cfg.Layout.Application), their
// placeholders expanded, and drops those they do not share. The header
// comment and the order of the other fields are kept.
func shapeApplication(content []byte, cfg *genconfig.Config, vars genconfig.Vars) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("read the Application: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the Application is not a mapping")
	}
	root := doc.Content[0]
	tmpl := cfg.Layout.Application
	for _, f := range applicationTemplate {
		v, ok := lookup(tmpl, f)
		if !ok {
			if f[len(f)-1] != "name" { // destination.name is absent unless shared
				setNode(root, f, nil)
			}
			continue
		}
		var n yaml.Node
		if err := n.Encode(expandAll(cfg, v, vars)); err != nil {
			return nil, fmt.Errorf("layout.application.%s: %w", strings.Join(f, "."), err)
		}
		setNode(root, f, &n)
	}
	if v, ok := lookup(tmpl, []string{"spec", "destination", "namespace"}); ok {
		var n yaml.Node
		if err := n.Encode(expandAll(cfg, v, vars)); err != nil {
			return nil, err
		}
		setNode(root, []string{"spec", "destination", "namespace"}, &n)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write the Application: %w", err)
	}
	return b.Bytes(), nil
}

// lookup returns the value at the path of keys in m.
func lookup(m map[string]any, keys []string) (any, bool) {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// expandAll expands the placeholders of every string in v.
func expandAll(cfg *genconfig.Config, v any, vars genconfig.Vars) any {
	switch x := v.(type) {
	case string:
		return cfg.Expand(x, vars)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expandAll(cfg, e, vars)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expandAll(cfg, e, vars)
		}
		return out
	}
	return v
}

// setNode sets (or, with v nil, deletes) the value at the path of keys
// in the mapping m, creating mappings on the way when setting.
func setNode(m *yaml.Node, keys []string, v *yaml.Node) {
	for i, k := range keys {
		idx := -1
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == k {
				idx = j
				break
			}
		}
		last := i == len(keys)-1
		switch {
		case idx < 0 && v == nil:
			return
		case idx < 0:
			val := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if last {
				val = v
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, val)
			m = val
		case last && v == nil:
			m.Content = append(m.Content[:idx], m.Content[idx+2:]...)
			return
		case last:
			m.Content[idx+1] = v
		default:
			m = m.Content[idx+1]
			if m.Kind != yaml.MappingNode {
				return
			}
		}
	}
}

// placeApplication moves the Application written for target
// (target/application.yaml) to the app's file in the layout's folder of
// Applications, which the root Application syncs.
func placeApplication(l genconfig.Layout, target string, files []workspace.File) []workspace.File {
	app, env, ok := l.MatchApplication(target)
	if !ok || l.Delivery != genconfig.DeliveryArgoApplication {
		return files
	}
	dest := l.ApplicationFile(app, env)
	if dest == "" {
		return files
	}
	out := make([]workspace.File, 0, len(files))
	for _, f := range files {
		if f.Path == target+"/application.yaml" && len(files) == 1 {
			f.Path = dest
		}
		out = append(out, f)
	}
	return out
}

// registerApplication registers the Application written for target: when
// the folder of Applications has a kustomization (Argo CD then builds the
// folder with kustomize), the file is added to its resources, in place of
// the folder the generic registration added. It returns the files to add
// to the result and what it did; handled is false when target is not an
// app of the layout's folder of Applications.
func registerApplication(ws []workspace.File, l genconfig.Layout, target string, files []workspace.File) (more []workspace.File, facts []planner.Fact, handled bool, err error) {
	app, env, ok := l.MatchApplication(target)
	if !ok || l.Delivery != genconfig.DeliveryArgoApplication {
		return nil, nil, false, nil
	}
	dest := l.ApplicationFile(app, env)
	if !slices.ContainsFunc(files, func(f workspace.File) bool { return f.Path == dest }) {
		return nil, []planner.Fact{{Key: "registered", Value: "nowhere: only an app of the catalogue becomes an Application here; the root Application syncs the files of " + path.Dir(target) + ", not the folder " + target,
			From: "(layout.applications " + l.Applications + ")"}}, true, nil
	}
	from := "(the folder " + path.Dir(dest) + " a root Application syncs, layout.applications " + l.Applications + ")"
	kust, listed, err := gitops.Register(ws, dest)
	if err != nil {
		return nil, nil, true, err
	}
	if listed {
		return []workspace.File{kust}, []planner.Fact{{Key: "registered", Value: "as " + dest + ", listed in " + kust.Path, From: from}}, true, nil
	}
	return nil, []planner.Fact{{Key: "registered", Value: "as " + dest, From: from}}, true, nil
}
