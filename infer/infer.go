// Package infer reads a GitOps repository and infers what it already
// does — how its objects are named, labelled and namespaced, how its apps
// are delivered (Flux HelmRelease, Argo CD Application, charts, Kustomize
// bases), where bases, per-environment overlays and cluster entry points
// live, which chart sources it defines — and proposes it as a generation
// config (genconfig.Config), with the evidence for each line: how many of
// the things counted agree, and example files. aiden init prints and
// writes the proposal; a generation in a repository without a config uses
// it on the fly (Cached).
package infer

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/internal/lazyre"
	"github.com/stackgen/aiden/workspace"
)

// Evidence is why one line of a proposal says what it says.
type Evidence struct {
	// Key is the config key the line sets ("namespace", "layout.apps").
	Key string
	// Value is what the line proposes.
	Value string
	// Count of Total things counted agree with the value.
	Count, Total int
	// What names the things counted ("apps", "objects").
	What string
	// Files are up to three example files.
	Files []string
}

// String says the evidence in one line.
func (e Evidence) String() string {
	s := fmt.Sprintf("%s: %s (%d of %d %s", e.Key, e.Value, e.Count, e.Total, e.What)
	if len(e.Files) > 0 {
		s += "; " + strings.Join(e.Files, ", ")
	}
	return s + ")"
}

// App is an app the repository already has.
type App struct {
	// Name is the app's name: its folder's.
	Name string
	// Dir is its folder.
	Dir string
	// Main is the object that deploys it, as Kind/name.
	Main string
	// Environments are the environments whose overlays list it.
	Environments []string
	// Files are the files of its folder.
	Files []workspace.File
}

// Source is a chart source the repository defines (a Flux HelmRepository
// or OCIRepository).
type Source struct {
	Kind, Name, Namespace, URL string
	// File and Line say where it is.
	File string
	Line int
}

// Proposal is what the repository does, as a generation config with its
// evidence.
type Proposal struct {
	// Config is the proposed config.
	Config *genconfig.Config
	// Evidence has one entry per proposed line, in config order.
	Evidence []Evidence
	// Apps are the apps found; Examples the two or three chosen as
	// few-shot examples.
	Apps, Examples []App
	// Sources are the chart sources defined.
	Sources []Source
	// Listed says which overlay folder lists which apps.
	Listed map[string][]string
	// Read counts the files read.
	Read int
}

// Found reports whether the proposal says anything beyond the defaults:
// a layout or a convention.
func (p *Proposal) Found() bool {
	c := p.Config
	return !c.Layout.IsZero() || c.Naming.Pattern != "" || c.Namespace.Pattern != "" || len(c.Labels) > 0 || len(c.Annotations) > 0 || len(c.Charts) > 0
}

// threshold is the share of things that must agree for a line of the
// layout to be proposed: "(nearly) every". Conventions (naming, labels,
// annotations, namespace), which aiden validate holds every object to,
// are proposed only when every app already follows them.
const threshold = 0.8

func agrees(count, total int) bool {
	return total > 0 && float64(count) >= threshold*float64(total)
}

// Infer reads files (paths relative to the repository root) and proposes
// the generation config that describes them.
func Infer(files []workspace.File) *Proposal {
	r := read(files)
	p := &Proposal{Config: &genconfig.Config{Version: genconfig.Version}, Listed: map[string][]string{}, Read: len(files)}
	p.Sources = r.sources()
	apps, layout := r.apps(p)
	p.Apps = apps
	cfg := p.Config
	cfg.Layout = layout
	if len(apps) == 0 {
		p.charts(r)
		p.argoCharts(r)
		return p
	}
	r.built = map[string][]object{}
	r.build(apps)
	p.delivery(r)
	p.files(r)
	p.naming(r)
	p.namespace(r)
	p.metadata(r)
	p.application(r) // argocd.go
	p.charts(r)
	p.argoCharts(r)
	p.formats()
	p.examples(r)
	sortEvidence(p.Evidence)
	return p
}

// keyOrder is the order of evidence, the config's.
var keyOrder = []string{"naming", "labels", "annotations", "namespace", "charts", "formats", "examples", "layout"}

func sortEvidence(ev []Evidence) {
	rank := func(k string) int {
		top, _, _ := strings.Cut(k, ".")
		return slices.Index(keyOrder, top)
	}
	sort.SliceStable(ev, func(i, j int) bool { return rank(ev[i].Key) < rank(ev[j].Key) })
}

func (p *Proposal) add(e Evidence) {
	var files []string
	for _, f := range e.Files {
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	e.Files = files
	if len(e.Files) > 3 {
		e.Files = e.Files[:3]
	}
	p.Evidence = append(p.Evidence, e)
}

// sources lists the chart sources.
func (r *repo) sources() []Source {
	var out []Source
	for _, o := range r.objects {
		if r.patches[o.File] || o.group() != "source.toolkit.fluxcd.io" || (o.Kind != "HelmRepository" && o.Kind != "OCIRepository") {
			continue
		}
		out = append(out, Source{Kind: o.Kind, Name: o.Name, Namespace: o.Namespace, URL: o.str("spec", "url"), File: o.File, Line: o.Line})
	}
	return out
}

// appObjects returns the objects of the app folder dir, patches aside.
func (r *repo) appObjects(dir string) []object {
	var out []object
	for _, o := range r.objects {
		if workspace.Within(dir, o.File) && !r.patches[o.File] {
			out = append(out, o)
		}
	}
	return out
}

// mainObject is the object that deploys an app.
func mainObject(objs []object) (object, bool) {
	for _, kind := range []string{"HelmRelease", "Application", "Kustomization", "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"} {
		for _, o := range objs {
			if o.Kind == kind && (kind != "Kustomization" || o.group() == "kustomize.toolkit.fluxcd.io") {
				return o, true
			}
		}
	}
	return object{}, false
}

var envWords = map[string]bool{"production": true, "prod": true, "staging": true, "stage": true, "dev": true, "development": true,
	"test": true, "testing": true, "qa": true, "uat": true, "preprod": true, "sandbox": true, "demo": true}

// envElement finds which element of the folders dirs names the
// environment: the one element where they differ, or, for one folder, its
// last. It returns the index, or -1.
func envElement(dirs []string) int {
	if len(dirs) == 0 {
		return -1
	}
	first := strings.Split(dirs[0], "/")
	if len(dirs) == 1 {
		for i := len(first) - 1; i >= 0; i-- {
			if envWords[first[i]] {
				return i
			}
		}
		return len(first) - 1
	}
	idx := -1
	for _, d := range dirs[1:] {
		parts := strings.Split(d, "/")
		if len(parts) != len(first) {
			return -1
		}
		for i := range parts {
			if parts[i] != first[i] {
				if idx >= 0 && idx != i {
					return -1
				}
				idx = i
			}
		}
	}
	return idx
}

// withEnv replaces element i of dir by {env}, returning the pattern and
// the environment.
func withEnv(dir string, i int) (string, string) {
	parts := strings.Split(dir, "/")
	if i < 0 || i >= len(parts) {
		return "", ""
	}
	env := parts[i]
	parts[i] = "{env}"
	return strings.Join(parts, "/"), env
}

// apps finds the repository's apps and the layout they follow: app
// folders listed per environment (clusters/<env>/apps/<app>); else bases
// listed by per-environment overlays (Flux's kustomize-helm and
// multi-tenancy examples); else Argo CD Applications, folders holding
// one HelmRelease, or chart folders.
func (r *repo) apps(p *Proposal) ([]App, genconfig.Layout) {
	if apps, l, ok := r.envFolders(p); ok {
		return apps, l
	}
	if apps, l, ok := r.overlayBases(p); ok {
		return apps, l
	}
	if apps, l, ok := r.appOfApps(p); ok { // argocd.go
		return apps, l
	}
	if apps, l, ok := r.argoApps(p); ok {
		return apps, l
	}
	if apps, l, ok := r.singleFolders(p); ok {
		return apps, l
	}
	return nil, genconfig.Layout{}
}

// overlayBases finds bases listed by overlays in sibling folders
// (apps/production lists ../base/podinfo).
func (r *repo) overlayBases(p *Proposal) ([]App, genconfig.Layout, bool) {
	listedBy := map[string][]string{}
	for _, dir := range sortedKeys(r.kusts) {
		k := r.kusts[dir]
		for _, e := range k.Resources {
			if !strings.HasPrefix(strings.TrimPrefix(e, "./"), "../") {
				continue
			}
			b, ok := resolve(dir, e)
			if !ok || r.kusts[b] == nil || workspace.Within(b, dir) || r.inChart(b) {
				continue
			}
			listedBy[b] = append(listedBy[b], dir)
		}
	}
	parents := map[string][]string{}
	for b := range listedBy {
		parents[path.Dir(b)] = append(parents[path.Dir(b)], b)
	}
	best := ""
	for par, bs := range parents {
		if par == "." {
			continue
		}
		if best == "" || len(bs) > len(parents[best]) || (len(bs) == len(parents[best]) && par < best) {
			best = par
		}
	}
	if best == "" {
		return nil, genconfig.Layout{}, false
	}
	bases := parents[best]
	sort.Strings(bases)
	var overlays []string
	for _, b := range bases {
		for _, o := range listedBy[b] {
			if !slices.Contains(overlays, o) {
				overlays = append(overlays, o)
			}
		}
	}
	sort.Strings(overlays)
	idx := envElement(overlays)
	l := genconfig.Layout{Apps: best + "/{app}"}
	envOf := map[string]string{}
	if idx >= 0 {
		pattern, _ := withEnv(overlays[0], idx)
		l.Overlays = pattern
		for _, o := range overlays {
			_, env := withEnv(o, idx)
			envOf[o] = env
			l.Environments = append(l.Environments, env)
		}
		p.add(Evidence{Key: "layout.overlays", Value: l.Overlays, Count: len(overlays), Total: len(overlays), What: "overlays listing the apps", Files: kustFiles(r, overlays)})
		p.add(Evidence{Key: "layout.environments", Value: strings.Join(l.Environments, ", "), Count: len(overlays), Total: len(overlays), What: "overlays", Files: kustFiles(r, overlays)})
	}
	var apps []App
	for _, b := range bases {
		a := App{Name: path.Base(b), Dir: b, Files: r.filesUnder(b)}
		for _, o := range listedBy[b] {
			if env := envOf[o]; env != "" {
				a.Environments = append(a.Environments, env)
			}
			p.Listed[o] = append(p.Listed[o], a.Name)
		}
		apps = append(apps, a)
	}
	p.add(Evidence{Key: "layout.apps", Value: l.Apps, Count: len(bases), Total: len(listedBy), What: "bases listed by overlays", Files: bases})
	r.overlayPatches(p, &l, apps, overlays, idx)
	r.clusters(p, &l, overlays, idx)
	return apps, l, true
}

// overlayPatches finds the per-environment patch file of each app
// (apps/production/podinfo-values.yaml).
func (r *repo) overlayPatches(p *Proposal, l *genconfig.Layout, apps []App, overlays []string, idx int) {
	if idx < 0 {
		return
	}
	names := map[string]bool{}
	for _, a := range apps {
		names[a.Name] = true
	}
	count := map[string]int{}
	var files []string
	total := 0
	for _, o := range overlays {
		k := r.kusts[o]
		for _, pr := range k.Patches {
			app := pr.Name
			if app == "" {
				for _, obj := range objects(pr.Path, r.files[pr.Path]) {
					app = obj.Name
					break
				}
			}
			if !names[app] || path.Dir(pr.Path) != o {
				continue
			}
			total++
			pattern, _ := withEnv(pr.Path, idx)
			base := path.Base(pattern)
			if !strings.Contains(base, app) {
				continue
			}
			pattern = path.Join(path.Dir(pattern), strings.Replace(base, app, "{app}", 1))
			count[pattern]++
			files = append(files, pr.Path)
		}
	}
	best := ""
	for pat, n := range count {
		if best == "" || n > count[best] {
			best = pat
		}
	}
	if best != "" && agrees(count[best], total) {
		l.Patches = best
		p.add(Evidence{Key: "layout.patches", Value: best, Count: count[best], Total: total, What: "patches of an app in an overlay", Files: files})
	}
}

// clusters finds the cluster entry points: the folders of the Flux
// Kustomizations whose path is an overlay.
func (r *repo) clusters(p *Proposal, l *genconfig.Layout, overlays []string, idx int) {
	envs := map[string]bool{}
	for _, o := range overlays {
		_, env := withEnv(o, idx)
		envs[env] = true
	}
	var dirs, files []string
	for _, o := range r.objects {
		if !o.is("kustomize.toolkit.fluxcd.io", "Kustomization") || r.patches[o.File] || slices.Contains(overlays, path.Dir(o.File)) {
			continue
		}
		// The path of an overlay, or of an artifact made of it (Flux's
		// ArtifactGenerator copies apps/production to ./production), from
		// a folder of that environment.
		sp := strings.Trim(path.Clean("/"+o.str("spec", "path")), "/")
		dir := path.Dir(o.File)
		env := path.Base(sp)
		applies := slices.Contains(overlays, sp) || envs[env] && slices.Contains(strings.Split(dir, "/"), env)
		if applies && !slices.Contains(dirs, dir) {
			dirs = append(dirs, path.Dir(o.File))
			files = append(files, o.File)
		}
	}
	if len(dirs) == 0 {
		return
	}
	sort.Strings(dirs)
	ci := envElement(dirs)
	if ci < 0 {
		return
	}
	pattern, _ := withEnv(dirs[0], ci)
	l.Clusters = pattern
	p.add(Evidence{Key: "layout.clusters", Value: pattern, Count: len(dirs), Total: len(dirs), What: "cluster folders whose Flux Kustomization applies an overlay", Files: files})
}

// envFolders finds app folders listed by a per-environment kustomization
// (clusters/<env>/apps lists podinfo).
func (r *repo) envFolders(p *Proposal) ([]App, genconfig.Layout, bool) {
	parents := map[string][]string{} // listing folder -> app folders
	for _, dir := range sortedKeys(r.kusts) {
		for _, e := range r.kusts[dir].Resources {
			c, ok := resolve(dir, e)
			if !ok || path.Dir(c) != dir || r.kusts[c] == nil || !r.appLike(c) {
				continue
			}
			parents[dir] = append(parents[dir], c)
		}
	}
	var listing []string
	for d := range parents {
		listing = append(listing, d)
	}
	sort.Strings(listing)
	// The listing folders that differ in one element, the environment.
	groups := map[string][]string{}
	for _, d := range listing {
		for i := range strings.Split(d, "/") {
			pat, _ := withEnv(d, i)
			if pat != "" {
				groups[pat] = append(groups[pat], d)
			}
		}
	}
	best := ""
	for pat, ds := range groups {
		if len(ds) < 2 {
			continue
		}
		n := 0
		for _, d := range ds {
			n += len(parents[d])
		}
		bn := 0
		for _, d := range groups[best] {
			bn += len(parents[d])
		}
		if best == "" || n > bn || (n == bn && pat < best) {
			best = pat
		}
	}
	if best == "" {
		return nil, genconfig.Layout{}, false
	}
	l := genconfig.Layout{Apps: best + "/{app}", Overlays: best}
	var apps []App
	var files []string
	for _, d := range groups[best] {
		env := envFrom(best, d)
		l.Environments = append(l.Environments, env)
		for _, c := range parents[d] {
			apps = append(apps, App{Name: path.Base(c), Dir: c, Environments: []string{env}, Files: r.filesUnder(c)})
			p.Listed[d] = append(p.Listed[d], path.Base(c))
			files = append(files, c)
		}
	}
	p.add(Evidence{Key: "layout.apps", Value: l.Apps, Count: len(apps), Total: len(apps), What: "app folders listed per environment", Files: files})
	p.add(Evidence{Key: "layout.overlays", Value: l.Overlays, Count: len(groups[best]), Total: len(groups[best]), What: "kustomizations listing an environment's app folders", Files: kustFiles(r, groups[best])})
	p.add(Evidence{Key: "layout.environments", Value: strings.Join(l.Environments, ", "), Count: len(groups[best]), Total: len(groups[best]), What: "folders listing apps", Files: kustFiles(r, groups[best])})
	var clusterFiles []string
	for _, o := range r.objects {
		if o.is("kustomize.toolkit.fluxcd.io", "Kustomization") {
			clusterFiles = append(clusterFiles, o.File)
		}
	}
	if strings.HasPrefix(best, "clusters/{env}") {
		l.Clusters = "clusters/{env}"
		p.add(Evidence{Key: "layout.clusters", Value: l.Clusters, Count: len(groups[best]), Total: len(groups[best]), What: "environments under clusters/", Files: clusterFiles})
	}
	return apps, l, true
}

// workloads are the kinds that make a folder an app rather than
// infrastructure.
var workloads = map[string]bool{"HelmRelease": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true, "CronJob": true, "Job": true, "Application": true}

// appLike reports whether the kustomization folder dir is an app: not
// Flux's own, and building on a base elsewhere or holding a workload.
func (r *repo) appLike(dir string) bool {
	if path.Base(dir) == "flux-system" {
		return false
	}
	if refersOutside(r.kusts[dir]) {
		return true
	}
	for _, o := range r.appObjects(dir) {
		if workloads[o.Kind] {
			return true
		}
	}
	return false
}

// envFrom returns the value of {env} in dir under pattern.
func envFrom(pattern, dir string) string {
	pp, dp := strings.Split(pattern, "/"), strings.Split(dir, "/")
	for i := range pp {
		if pp[i] == "{env}" && i < len(dp) {
			return dp[i]
		}
	}
	return ""
}

// argoApps finds Argo CD Applications, each naming its app's folder.
func (r *repo) argoApps(p *Proposal) ([]App, genconfig.Layout, bool) {
	var apps []App
	parents := map[string]int{}
	var files []string
	for _, o := range r.objects {
		if !o.is("argoproj.io", "Application") {
			continue
		}
		src := o.str("spec", "source", "path")
		if src == "" {
			continue
		}
		dir := strings.Trim(path.Clean("/"+src), "/")
		a := App{Name: o.Name, Dir: dir, Main: "Application/" + o.Name, Files: r.filesUnder(dir)}
		apps = append(apps, a)
		parents[path.Dir(dir)]++
		files = append(files, o.File)
	}
	if len(apps) == 0 {
		return nil, genconfig.Layout{}, false
	}
	best := ""
	for par, n := range parents {
		if best == "" || n > parents[best] {
			best = par
		}
	}
	l := genconfig.Layout{Delivery: genconfig.DeliveryArgoApplication, Apps: best + "/{app}"}
	p.add(Evidence{Key: "layout.apps", Value: l.Apps, Count: parents[best], Total: len(apps), What: "Argo CD Applications' source paths", Files: files})
	return apps, l, true
}

// singleFolders finds folders holding one HelmRelease, or one chart.
func (r *repo) singleFolders(p *Proposal) ([]App, genconfig.Layout, bool) {
	byDir := map[string]int{}
	for _, o := range r.objects {
		if o.is("helm.toolkit.fluxcd.io", "HelmRelease") && !r.patches[o.File] {
			byDir[path.Dir(o.File)]++
		}
	}
	var dirs []string
	for d, n := range byDir {
		if n == 1 && d != "." {
			dirs = append(dirs, d)
		}
	}
	what := "folders holding one HelmRelease"
	if len(dirs) == 0 {
		for _, c := range r.charts {
			if c != "." && !r.inChart(c) {
				dirs = append(dirs, c)
			}
		}
		what = "chart folders"
	}
	if len(dirs) == 0 {
		return nil, genconfig.Layout{}, false
	}
	parents := map[string][]string{}
	for _, d := range dirs {
		parents[path.Dir(d)] = append(parents[path.Dir(d)], d)
	}
	best := ""
	for par, ds := range parents {
		if best == "" || len(ds) > len(parents[best]) || (len(ds) == len(parents[best]) && par < best) {
			best = par
		}
	}
	chosen := parents[best]
	sort.Strings(chosen)
	var apps []App
	for _, d := range chosen {
		apps = append(apps, App{Name: path.Base(d), Dir: d, Files: r.filesUnder(d)})
	}
	l := genconfig.Layout{Apps: path.Join(best, "{app}")}
	p.add(Evidence{Key: "layout.apps", Value: l.Apps, Count: len(chosen), Total: len(dirs), What: what, Files: chosen})
	return apps, l, true
}

// inChart reports whether dir lies inside a chart.
func (r *repo) inChart(dir string) bool {
	for _, c := range r.charts {
		if c != dir && workspace.Within(c, dir) {
			return true
		}
	}
	return false
}

func (r *repo) filesUnder(dir string) []workspace.File {
	var out []workspace.File
	for _, p := range r.paths {
		if workspace.Within(dir, p) {
			out = append(out, workspace.File{Path: p, Content: r.files[p]})
		}
	}
	return out
}

func kustFiles(r *repo, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if k := r.kusts[d]; k != nil {
			out = append(out, k.File)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// delivery says how the apps are delivered.
func (p *Proposal) delivery(r *repo) {
	l := &p.Config.Layout
	counts := map[string]int{}
	files := map[string][]string{}
	for i, a := range p.Apps {
		objs := r.appObjects(a.Dir)
		d := ""
		if l.Delivery == genconfig.DeliveryArgoApplication {
			d = l.Delivery
		} else {
			switch {
			case slices.ContainsFunc(objs, func(o object) bool { return o.is("helm.toolkit.fluxcd.io", "HelmRelease") }):
				d = genconfig.DeliveryFluxHelmRelease
			case slices.ContainsFunc(a.Files, func(f workspace.File) bool { return path.Base(f.Path) == "Chart.yaml" }):
				d = genconfig.DeliveryHelmChart
			default:
				d = genconfig.DeliveryKustomize
			}
		}
		if d == genconfig.DeliveryHelmChart {
			files[d] = append(files[d], path.Join(a.Dir, "Chart.yaml"))
			if m, ok := mainObject(r.objectsOf(a)); ok {
				p.Apps[i].Main = m.Kind + "/" + m.Name
			}
		} else if m, ok := mainObject(objs); ok && p.Apps[i].Main == "" {
			p.Apps[i].Main = m.Kind + "/" + m.Name
			files[d] = append(files[d], m.File)
		} else if len(a.Files) > 0 {
			files[d] = append(files[d], a.Files[0].Path)
		}
		counts[d]++
	}
	best := ""
	for _, d := range genconfig.Deliveries {
		if counts[d] > counts[best] {
			best = d
		}
	}
	l.Delivery = best
	p.add(Evidence{Key: "layout.delivery", Value: best, Count: counts[best], Total: len(p.Apps), What: "apps", Files: files[best]})
}

// files finds the file each kind is kept in, in the app folders.
func (p *Proposal) files(r *repo) {
	type kf struct{ kind, file string }
	count := map[kf]int{}
	perKind := map[string]int{}
	var kinds []string
	examples := map[string][]string{}
	for _, a := range p.Apps {
		seen := map[string]bool{}
		for _, o := range r.appObjects(a.Dir) {
			if path.Dir(o.File) != a.Dir || seen[o.Kind] {
				continue
			}
			seen[o.Kind] = true
			if !slices.Contains(kinds, o.Kind) {
				kinds = append(kinds, o.Kind)
			}
			count[kf{o.Kind, path.Base(o.File)}]++
			perKind[o.Kind]++
			examples[o.Kind] = append(examples[o.Kind], o.File)
		}
	}
	l := &p.Config.Layout
	for _, k := range kinds {
		best := ""
		for key, n := range count {
			if key.kind == k && (best == "" || n > count[kf{k, best}] || (n == count[kf{k, best}] && key.file < best)) {
				best = key.file
			}
		}
		n := count[kf{k, best}]
		// Only a file of its own, not one file for many kinds.
		shared := 0
		for key := range count {
			if key.file == best && key.kind != k {
				shared++
			}
		}
		if shared > 0 || !agrees(n, perKind[k]) {
			continue
		}
		if l.Files == nil {
			l.Files = map[string]string{}
		}
		l.Files[k] = best
		l.FileKinds = append(l.FileKinds, k)
		p.add(Evidence{Key: "layout.files." + k, Value: best, Count: n, Total: perKind[k], What: "apps keeping a " + k, Files: examples[k]})
	}
}

// naming finds the rule for the names of an app's objects: the main
// object's name as a pattern, which (nearly) every object of the apps
// must follow, as it is or with a -suffix (the conventions check's rule).
func (p *Proposal) naming(r *repo) {
	count := map[string]int{}
	var files []string
	for _, a := range p.Apps {
		m, ok := mainObject(r.objectsOf(a))
		if !ok || m.Name == "" {
			continue
		}
		if pat := placeholders(m.Name, a); strings.Contains(pat, "{app}") {
			count[pat]++
		}
		files = append(files, m.File)
	}
	best := ""
	for pat, n := range count {
		if best == "" || n > count[best] || (n == count[best] && len(pat) < len(best)) {
			best = pat
		}
	}
	if best == "" {
		return
	}
	follow, total := 0, 0
	var off []string
	for _, a := range p.Apps {
		env := ""
		if len(a.Environments) == 1 {
			env = a.Environments[0]
		}
		want := strings.NewReplacer("{app}", a.Name, "{env}", env).Replace(best)
		for _, o := range r.objectsOf(a) {
			if o.Name == "" {
				continue
			}
			total++
			if o.Name == want || strings.HasPrefix(o.Name, want+"-") {
				follow++
			} else {
				off = append(off, o.Kind+"/"+o.Name)
			}
		}
	}
	// The conventions check holds every object to the pattern: only one
	// every object of the apps already follows is proposed.
	if count[best] != len(p.Apps) || follow != total {
		if len(off) > 0 {
			p.add(Evidence{Key: "(naming.pattern)", Value: best + ", not proposed: named otherwise " + strings.Join(off[:min(len(off), 3)], ", "),
				Count: follow, Total: total, What: "objects of the apps named after the main object's pattern", Files: files})
		}
		return
	}
	p.Config.Naming.Pattern = best
	p.add(Evidence{Key: "naming.pattern", Value: best, Count: follow, Total: total, What: "objects of the apps named after the main object's pattern", Files: files})
}

// placeholders writes v with the app's name and environment as the
// placeholders {app} and {env}, where they stand as whole words
// (between the ends and - or .): "production-podinfo" is "{env}-{app}".
func placeholders(v string, a App) string {
	v = replaceWord(v, a.Name, "{app}")
	if len(a.Environments) == 1 {
		v = replaceWord(v, a.Environments[0], "{env}")
	}
	return v
}

// replaceWord replaces each whole-word occurrence of w in s by with.
func replaceWord(s, w, with string) string {
	if w == "" {
		return s
	}
	boundary := func(i int) bool { return i < 0 || i >= len(s) || s[i] == '-' || s[i] == '.' }
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], w) && boundary(i-1) && boundary(i+len(w)) {
			b.WriteString(with)
			i += len(w)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// namespace finds the namespace rule and whether apps bring their
// Namespace.
func (p *Proposal) namespace(r *repo) {
	if p.Config.Layout.Delivery == genconfig.DeliveryHelmChart {
		return // a chart's namespace is its release's, not the repository's
	}
	count := map[string]int{}
	total, withObject := 0, 0
	var files, objFiles []string
	for _, a := range p.Apps {
		objs := r.objectsOf(a)
		ns := ""
		if k := r.kusts[a.Dir]; k != nil && k.Namespace != "" {
			ns = k.Namespace
			files = append(files, k.File)
		} else if m, ok := mainObject(objs); ok && m.Namespace != "" {
			ns = m.Namespace
			files = append(files, m.File)
		}
		if ns == "" {
			continue
		}
		total++
		count[placeholders(ns, a)]++
		for _, o := range objs {
			if o.Kind == "Namespace" && o.group() == "" && o.Name == ns {
				withObject++
				objFiles = append(objFiles, o.File)
				break
			}
		}
	}
	best := ""
	for v, n := range count {
		if best == "" || n > count[best] {
			best = v
		}
	}
	if best == "" || count[best] != len(p.Apps) {
		return // the conventions check holds every app to the rule
	}
	p.Config.Namespace.Pattern = best
	what := "apps in a namespace named after the app"
	if best != "{app}" {
		what = "apps in namespace " + best
	}
	p.add(Evidence{Key: "namespace", Value: best, Count: count[best], Total: len(p.Apps), What: what, Files: files})
	if strings.Contains(best, "{app}") && agrees(withObject, total) {
		// Each app brings its own namespace; a shared one is not created
		// again by every app.
		p.Config.Layout.NamespaceObject = true
		p.add(Evidence{Key: "layout.namespaceObject", Value: "true", Count: withObject, Total: total, What: "apps bringing their Namespace", Files: objFiles})
	}
}

// metadata finds the labels and annotations on (nearly) every object of
// the apps, with values that are the same everywhere or the app's name.
func (p *Proposal) metadata(r *repo) {
	var objs []object
	appOf := map[int]App{}
	for _, a := range p.Apps {
		for _, o := range r.objectsOf(a) {
			appOf[len(objs)] = a
			objs = append(objs, o)
		}
	}
	if len(objs) < 2 {
		return
	}
	for _, label := range []bool{true, false} {
		values := map[string][]string{}
		var keys []string
		files := map[string][]string{}
		// Labels and annotations are required on pod templates too: each
		// counts as one more thing that must carry them.
		items := make([]object, 0, len(objs))
		itemApp := map[int]App{}
		for i, o := range objs {
			itemApp[len(items)] = appOf[i]
			items = append(items, o)
			if tmpl, ok := podTemplate(o); ok {
				itemApp[len(items)] = appOf[i]
				items = append(items, object{File: o.File, Labels: stringMap(tmpl["labels"]), Annotations: stringMap(tmpl["annotations"])})
			}
		}
		for i, o := range items {
			m := o.Annotations
			if label {
				m = o.Labels
			}
			for k, v := range m {
				if _, ok := values[k]; !ok {
					keys = append(keys, k)
				}
				v = placeholders(v, itemApp[i])
				values[k] = append(values[k], v)
				files[k] = append(files[k], o.File)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			vs := values[k]
			// The conventions check requires a label on every object and
			// pod template: only one every app already has is proposed.
			if len(vs) != len(items) {
				continue
			}
			same := true
			for _, v := range vs {
				same = same && v == vs[0]
			}
			if !same {
				continue
			}
			if label && p.Config.Layout.Delivery == genconfig.DeliveryHelmChart && helmLabels[k] {
				p.add(Evidence{Key: "(labels." + k + ")", Value: vs[0] + ", not proposed: every chart sets it through its release", Count: len(vs), Total: len(items), What: "objects and pod templates of the apps", Files: files[k]})
				continue
			}
			key := "annotations." + k
			if label {
				key = "labels." + k
				if p.Config.Labels == nil {
					p.Config.Labels = map[string]string{}
				}
				p.Config.Labels[k] = vs[0]
				p.Config.LabelKeys = append(p.Config.LabelKeys, k)
			} else {
				if p.Config.Annotations == nil {
					p.Config.Annotations = map[string]string{}
				}
				p.Config.Annotations[k] = vs[0]
				p.Config.AnnotationKeys = append(p.Config.AnnotationKeys, k)
			}
			p.add(Evidence{Key: key, Value: vs[0], Count: len(vs), Total: len(items), What: "objects and pod templates of the apps", Files: files[k]})
		}
	}
}

// helmLabels are the labels Helm's chart conventions (helm create, and
// aiden's own charts) set from the release on every object.
var helmLabels = map[string]bool{"app.kubernetes.io/name": true, "app.kubernetes.io/instance": true, "app.kubernetes.io/managed-by": true,
	"app.kubernetes.io/version": true, "helm.sh/chart": true}

// podTemplate returns the pod template's metadata of a workload.
func podTemplate(o object) (map[string]any, bool) {
	spec, _ := o.Body["spec"].(map[string]any)
	if o.Kind == "CronJob" {
		jt, _ := spec["jobTemplate"].(map[string]any)
		spec, _ = jt["spec"].(map[string]any)
	}
	tmpl, ok := spec["template"].(map[string]any)
	if !ok {
		return nil, false
	}
	md, _ := tmpl["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	return md, true
}

var chartNameRE = lazyre.New(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// charts finds the upstream charts the repository installs, with the
// source it reads each from: a HelmRelease's spec.chart.spec from a
// HelmRepository, its chartRef to an OCIRepository, or its chartRef to a
// HelmChart or an ExternalArtifact that gitops.Charts.Ref resolves to a
// chart of a HelmRepository or an OCIRepository.
func (p *Proposal) charts(r *repo) {
	var charts *gitops.Charts // for the chartRefs, read once
	for _, o := range r.objects {
		if !o.is("helm.toolkit.fluxcd.io", "HelmRelease") || r.patches[o.File] {
			continue
		}
		chart, version := o.str("spec", "chart", "spec", "chart"), o.str("spec", "chart", "spec", "version")
		srcKind, srcName := o.str("spec", "chart", "spec", "sourceRef", "kind"), o.str("spec", "chart", "spec", "sourceRef", "name")
		srcNS := cmp.Or(o.str("spec", "chart", "spec", "sourceRef", "namespace"), o.Namespace)
		// A patch of the object that pins the version: the HelmRelease's
		// spec.chart.spec.version, or the HelmChart's spec.version.
		pinKind, pinName, pinPath := "HelmRelease", o.Name, []string{"spec", "chart", "spec", "version"}
		var from []string
		switch ref := o.str("spec", "chartRef", "kind"); {
		case chart != "":
		case ref == "OCIRepository":
			srcKind, srcName = "OCIRepository", o.str("spec", "chartRef", "name")
			srcNS = cmp.Or(o.str("spec", "chartRef", "namespace"), o.Namespace)
		case ref == "HelmChart" || ref == "ExternalArtifact":
			if charts == nil {
				files := make([]workspace.File, 0, len(r.paths))
				for _, p := range r.paths {
					files = append(files, workspace.File{Path: p, Content: r.files[p]})
				}
				charts = gitops.NewCharts(files)
			}
			rc, ok := charts.Ref(gitops.Ref{Kind: ref, Name: o.str("spec", "chartRef", "name"), Namespace: cmp.Or(o.str("spec", "chartRef", "namespace"), o.Namespace)}, o.File)
			if !ok || rc.Folder != "" {
				continue // unresolved, or a chart in the repository: no upstream chart
			}
			chart, version = rc.Chart, rc.Version
			srcKind, srcName, srcNS = rc.Source.Kind, rc.Source.Name, rc.Source.Namespace
			from = append(from, rc.File)
			if ref == "HelmChart" {
				pinKind, pinName, pinPath = "HelmChart", o.str("spec", "chartRef", "name"), []string{"spec", "version"}
			}
		}
		if srcKind != "HelmRepository" && srcKind != "OCIRepository" {
			continue // a chart in a Git repository: no upstream chart
		}
		var src *Source
		for i, s := range p.Sources {
			if s.Kind == srcKind && s.Name == srcName && (s.Namespace == "" || srcNS == "" || s.Namespace == srcNS) {
				src = &p.Sources[i]
				break
			}
		}
		if src == nil || src.URL == "" {
			continue
		}
		if srcKind == "OCIRepository" {
			chart = path.Base(src.URL)
		}
		if !chartNameRE.MatchString(chart) {
			continue
		}
		u, err := url.Parse(src.URL)
		if err != nil || u.Host == "" {
			continue
		}
		// The version may be set by an environment's patch.
		from = append([]string{o.File}, from...)
		if !slices.Contains(from, src.File) {
			from = append(from, src.File)
		}
		for _, q := range r.objects {
			if version != "" {
				break
			}
			if r.patches[q.File] && q.Kind == pinKind && q.Name == pinName {
				if v := q.str(pinPath...); v != "" {
					version = v
					from = append(from, q.File)
				}
			}
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
		p.Config.Charts[chart] = genconfig.Chart{Repository: src.URL, Chart: chart, Version: version}
		p.add(Evidence{Key: "charts." + chart, Value: fmt.Sprintf("%s %s %s", src.URL, chart, version), Count: 1, Total: 1, What: "HelmRelease", Files: from})
	}
}

// formats says which format the app folders are generated in.
func (p *Proposal) formats() {
	l := p.Config.Layout
	if l.Apps == "" {
		return
	}
	format := "kustomize"
	switch l.Delivery {
	case genconfig.DeliveryFluxHelmRelease, genconfig.DeliveryHelmChart:
		format = "helm"
	case genconfig.DeliveryArgoApplication:
		return
	}
	glob := strings.NewReplacer("{env}", "*").Replace(strings.TrimSuffix(l.Apps, "/{app}")) + "/**"
	if !strings.HasSuffix(l.Apps, "/{app}") {
		return
	}
	p.Config.Formats = []genconfig.FormatRule{{Path: glob, Format: format}}
	var files []string
	for _, a := range p.Apps {
		files = append(files, a.Dir)
	}
	p.add(Evidence{Key: "formats." + glob, Value: format, Count: len(p.Apps), Total: len(p.Apps), What: "apps delivered as " + l.Delivery, Files: files})
}

// examples picks up to three apps as few-shot examples: those with the
// most objects, then by name. An app whose kustomization builds on files
// elsewhere is copied as what it builds (<app>.yaml), which stands alone.
func (p *Proposal) examples(r *repo) {
	apps := slices.Clone(p.Apps)
	sort.SliceStable(apps, func(i, j int) bool {
		if len(apps[i].Files) != len(apps[j].Files) {
			return len(apps[i].Files) > len(apps[j].Files)
		}
		return apps[i].Name < apps[j].Name
	})
	seen := map[string]bool{}
	for _, a := range apps {
		if len(p.Examples) == 3 || len(a.Files) == 0 {
			break
		}
		if seen[a.Name] {
			continue
		}
		seen[a.Name] = true
		r.objectsOf(a)
		if m, ok := r.manifests[a.Dir]; ok {
			a.Files = []workspace.File{{Path: a.Dir + "/" + a.Name + ".yaml", Content: m}}
		}
		p.Examples = append(p.Examples, a)
	}
	if len(p.Examples) == 0 {
		return
	}
	var names []string
	for _, e := range p.Examples {
		names = append(names, e.Dir)
	}
	p.add(Evidence{Key: "examples", Value: workspace.ExamplesDir, Count: len(p.Examples), Total: len(p.Apps), What: "apps copied as few-shot examples", Files: names})
}
