package infer

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
)

// An Argo CD app-of-apps repository: a root Application syncs a folder
// of the repository, and each app is an Application in that folder
// (clusters/dev/guestbook.yaml). The folder is the layout's
// applications:, and the fields every child Application shares are its
// application: template.

// appOfApps finds the folders root Applications sync that hold other
// Applications, and those Applications as the apps.
func (r *repo) appOfApps(p *Proposal) ([]App, genconfig.Layout, bool) {
	var all []object
	for _, o := range r.objects {
		if o.is("argoproj.io", "Application") && !r.patches[o.File] {
			all = append(all, o)
		}
	}
	var folders, rootFiles []string
	for _, root := range all {
		src := root.str("spec", "source", "path")
		if src == "" {
			continue
		}
		dir := strings.Trim(path.Clean("/"+src), "/")
		if slices.Contains(folders, dir) {
			continue
		}
		if slices.ContainsFunc(all, func(o object) bool { return path.Dir(o.File) == dir && o.File != root.File }) {
			folders = append(folders, dir)
			rootFiles = append(rootFiles, root.File)
		}
	}
	if len(folders) == 0 {
		return nil, genconfig.Layout{}, false
	}
	sort.Strings(folders)
	l := genconfig.Layout{Delivery: genconfig.DeliveryArgoApplication, Applications: folders[0]}
	idx := envElement(folders)
	if len(folders) == 1 && idx >= 0 && !envWords[strings.Split(folders[0], "/")[idx]] {
		idx = -1 // one folder, and no environment in its name
	}
	if len(folders) > 1 && idx < 0 {
		return nil, genconfig.Layout{}, false
	}
	if idx >= 0 {
		l.Applications, _ = withEnv(folders[0], idx)
		for _, f := range folders {
			_, env := withEnv(f, idx)
			l.Environments = append(l.Environments, env)
		}
	}
	var apps []App
	for _, o := range all {
		dir := path.Dir(o.File)
		if !slices.Contains(folders, dir) {
			continue
		}
		a := App{Name: o.Name, Dir: o.File, Main: "Application/" + o.Name, Files: r.filesUnder(o.File)}
		if idx >= 0 {
			_, env := withEnv(dir, idx)
			a.Environments = []string{env}
		}
		apps = append(apps, a)
		p.Listed[dir] = append(p.Listed[dir], o.Name)
	}
	p.add(Evidence{Key: "layout.applications", Value: l.Applications, Count: len(folders), Total: len(folders),
		What: "folders a root Application syncs, each holding the apps' Applications", Files: rootFiles})
	if len(l.Environments) > 0 {
		p.add(Evidence{Key: "layout.environments", Value: strings.Join(l.Environments, ", "), Count: len(folders), Total: len(folders), What: "folders of Applications", Files: rootFiles})
	}
	return apps, l, true
}

// applicationFields are the fields of an Application that its template
// may hold: how it is deployed, not what.
var applicationFields = [][]string{
	{"metadata", "finalizers"},
	{"spec", "project"},
	{"spec", "destination", "server"},
	{"spec", "destination", "name"},
	{"spec", "destination", "namespace"},
	{"spec", "syncPolicy"},
}

// application finds the fields every app's Application shares: the
// template a new app's Application takes.
func (p *Proposal) application(r *repo) {
	l := &p.Config.Layout
	if l.Applications == "" || len(p.Apps) == 0 {
		return
	}
	type doc struct {
		app  App
		body map[string]any
		file string
	}
	var docs []doc
	for _, a := range p.Apps {
		m, ok := mainObject(r.objectsOf(a))
		if !ok {
			continue
		}
		docs = append(docs, doc{a, m.Body, m.File})
	}
	if len(docs) == 0 {
		return
	}
	var files []string
	for _, d := range docs {
		files = append(files, d.file)
	}
	tmpl := map[string]any{}
	for _, f := range applicationFields {
		key := "layout.application." + strings.Join(f, ".")
		var vals []any
		for _, d := range docs {
			v, ok := at(d.body, f)
			if !ok {
				break
			}
			if s, isStr := v.(string); isStr {
				v = placeholders(s, d.app)
			}
			vals = append(vals, v)
		}
		if len(vals) != len(docs) {
			continue
		}
		shared := vals[0]
		for _, v := range vals[1:] {
			shared = intersect(shared, v)
		}
		if shared == nil {
			if s, ok := vals[0].(string); ok {
				n := 0
				for _, v := range vals {
					if v == s {
						n++
					}
				}
				p.add(Evidence{Key: "(" + key + ")", Value: s + ", not proposed: the Applications differ", Count: n, Total: len(docs), What: "Applications", Files: files})
			}
			continue
		}
		put(tmpl, f, shared)
		p.add(Evidence{Key: key, Value: fmt.Sprint(flat(shared)), Count: len(docs), Total: len(docs), What: "Applications sharing it", Files: files})
	}
	if len(tmpl) > 0 {
		l.Application = tmpl
	}
}

// at returns the value at the path of keys in body.
func at(body map[string]any, keys []string) (any, bool) {
	var cur any = body
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// put sets the value at the path of keys in m.
func put(m map[string]any, keys []string, v any) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// intersect returns what a and b share: for mappings, the keys both hold
// with values they share; else the value when equal; nil when nothing.
func intersect(a, b any) any {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		out := map[string]any{}
		for k, va := range ma {
			if vb, ok := mb[k]; ok {
				if v := intersect(va, vb); v != nil {
					out[k] = v
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	if reflect.DeepEqual(a, b) {
		return a
	}
	return nil
}

// flat writes a shared value in one line: key=value pairs for mappings.
func flat(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		if l, ok := v.([]any); ok {
			var parts []string
			for _, e := range l {
				parts = append(parts, flat(e))
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		return fmt.Sprint(v)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+flat(m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// argoCharts adds the upstream charts the Applications install from a
// Helm repository (spec.source.chart with its repoURL).
func (p *Proposal) argoCharts(r *repo) {
	for _, o := range r.objects {
		if !o.is("argoproj.io", "Application") || r.patches[o.File] {
			continue
		}
		chart, repoURL, version := o.str("spec", "source", "chart"), o.str("spec", "source", "repoURL"), o.str("spec", "source", "targetRevision")
		if chart == "" || repoURL == "" || !chartNameRE.MatchString(chart) {
			continue
		}
		if !strings.Contains(repoURL, "://") {
			repoURL = "oci://" + repoURL // Argo CD names an OCI registry without its scheme
		}
		if version == "" {
			version = "*"
		}
		if p.Config.Charts == nil {
			p.Config.Charts = map[string]genconfig.Chart{}
		}
		if _, dup := p.Config.Charts[chart]; dup {
			continue
		}
		p.Config.Charts[chart] = genconfig.Chart{Repository: repoURL, Chart: chart, Version: version}
		p.add(Evidence{Key: "charts." + chart, Value: fmt.Sprintf("%s %s %s", repoURL, chart, version), Count: 1, Total: 1, What: "Application", Files: []string{o.File}})
	}
}

// exampleRel is where an example app's file goes in its examples folder:
// its path in the app folder, or, for an app that is one file (an
// Application), the file's name.
func exampleRel(a App, f workspace.File) string {
	if f.Path == a.Dir {
		return path.Base(f.Path)
	}
	return strings.TrimPrefix(f.Path, a.Dir+"/")
}
