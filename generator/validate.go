package generator

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// ruleConfig is the rule of findings about the generation config itself.
const ruleConfig = "config"

// appCheck is the conventions check of existing files (Validate),
// planned before the render it reads: files (paths relative to the
// repository root) are checked against the generation config among them
// or among the repository's files, app folder by app folder, a chart
// through what it renders and a Kustomize app through what kustomize
// builds of it, both read from the one render of the files; nothing is
// reported without a config or when it states no conventions. Which
// folder is an app and which build is checked is specified in
// docs/conventions.md ("Checking existing files").
type appCheck struct {
	// done is the whole check when it reads no render: no config, a
	// broken one, no conventions, no app folder.
	done *validators.Report
	cfg  *genconfig.Config
	apps map[string][]workspace.File // app folder -> its files
	dirs []string                    // the app folders, sorted
	// releases are the releases the charts are rendered as; builds the
	// Kustomize folders built for the apps (validators.RenderOptions).
	releases map[string]validators.Release
	builds   appBuilds
}

// planConventions reads the config (once) and plans the check.
func planConventions(files, repo []workspace.File) (*appCheck, error) {
	cfg, broken, err := readConfig(files, repo)
	if err != nil {
		return nil, err
	}
	if broken != nil {
		return &appCheck{done: broken}, nil
	}
	if cfg == nil || !hasConventions(cfg) {
		return &appCheck{done: &validators.Report{}, cfg: cfg}, nil
	}
	apps := map[string][]workspace.File{}
	for _, f := range files {
		if f.Path == genconfig.Path || workspace.Within(path.Dir(genconfig.Path), f.Path) ||
			workspace.Within(cfg.ExamplesDir(), f.Path) || workspace.Within(cfg.PoliciesDir(), f.Path) {
			continue
		}
		if dir, ok := cfg.AppFolder(f.Path); ok {
			apps[dir] = append(apps[dir], f)
		}
	}
	if len(apps) == 0 {
		return &appCheck{cfg: cfg, done: &validators.Report{Checks: []validators.Check{{Name: "conventions", Status: validators.CheckSkipped,
			Detail: "no file lies in an app folder" + globs(cfg)}}}}, nil
	}
	a := &appCheck{cfg: cfg, apps: apps, releases: map[string]validators.Release{}}
	for d := range apps {
		a.dirs = append(a.dirs, d)
	}
	sort.Strings(a.dirs)
	for _, dir := range a.dirs {
		if kustomizeApp(apps[dir]) {
			continue
		}
		vars := appVars(cfg, dir)
		for root, rel := range conventions.Releases(envFree(cfg, vars), vars, apps[dir]) {
			a.releases[root] = rel
		}
	}
	a.builds = planBuilds(files, repo, a.dirs, apps)
	return a, nil
}

// check checks the apps on r, the render of the files made with the
// plan's releases and builds.
func (a *appCheck) check(r validators.Rendered) (validators.Report, error) {
	if a.done != nil {
		return *a.done, nil
	}
	builds := a.builds.collect(r.Built)
	var rep validators.Report
	notices := map[string]bool{}
	objects, unbuilt := 0, 0
	for _, dir := range a.dirs {
		fs, n, built, err := checkApp(a.cfg, dir, a.apps[dir], r, builds)
		if !built {
			unbuilt++
			continue
		}
		if err != nil {
			return validators.Report{}, fmt.Errorf("check %s: %w", dir, err)
		}
		objects += n
		for _, f := range fs {
			if f.File == genconfig.Path {
				// A rule not applied for lack of a placeholder's value is
				// said once, with the app it concerns.
				if notices[f.Message] {
					continue
				}
				notices[f.Message] = true
				f.Message = dir + ": " + f.Message
			}
			rep.Findings = append(rep.Findings, f)
		}
	}
	rep.Checks = append(rep.Checks, conventionsSummary(rep, objects, len(a.dirs), unbuilt))
	return rep, nil
}

// appVars are the conventions' variables of the app folder dir.
func appVars(cfg *genconfig.Config, dir string) genconfig.Vars {
	return genconfig.Vars{Env: planner.PathEnvironment(dir, "clusters"), App: path.Base(dir), Team: cfg.Team}
}

// checkApp checks the files of the app folder dir against cfg: a
// Kustomize app through what kustomize built of it (builds; ok is false
// when it did not build), any other app through its files and what its
// charts rendered (r). It returns the findings and the number of objects.
func checkApp(cfg *genconfig.Config, dir string, files []workspace.File, r validators.Rendered, builds map[string][]built) (fs []validators.Finding, n int, ok bool, err error) {
	vars := appVars(cfg, dir)
	if !kustomizeApp(files) {
		fs, n, err = conventions.CheckRenderedFiles(envFree(cfg, vars), vars, files, r)
		if vars.Env == "" {
			fs = append(fs, noEnvironment())
		}
		return fs, n, true, err
	}
	outs, ok := builds[dir]
	if !ok {
		return nil, 0, false, nil
	}
	for _, out := range outs {
		v := vars
		if v.Env == "" {
			v.Env = out.env
		}
		one, k, e := conventions.CheckObjects(envFree(cfg, v), v, []workspace.File{out.File})
		// Named after the folder built, without a line: a line of the build
		// output is none of a file's, and the base's node a finding is about
		// (a name the overlay should prefix) is not always where to fix it.
		for i := range one {
			one[i].Line, one[i].Column = 0, 0
		}
		fs, n, err = append(fs, one...), n+k, errors.Join(err, e)
		if v.Env == "" {
			fs = append(fs, noEnvironment())
		}
	}
	return fs, n, true, err
}

// readConfig finds the generation config among files, else among repo,
// and parses it: nil when there is none; a report of its problems, naming
// keys and lines, when it does not parse.
func readConfig(files, repo []workspace.File) (*genconfig.Config, *validators.Report, error) {
	var config []byte
	if i := indexOf(files, genconfig.Path); i >= 0 {
		config = files[i].Content
	} else if i := indexOf(repo, genconfig.Path); i >= 0 {
		config = repo[i].Content
	} else {
		return nil, nil, nil
	}
	cfg, err := genconfig.Parse(genconfig.Path, config)
	if err == nil {
		return cfg, nil, nil
	}
	var errs genconfig.Errors
	if !errors.As(err, &errs) {
		return nil, nil, fmt.Errorf("read %s: %w", genconfig.Path, err)
	}
	rep := validators.Report{Checks: []validators.Check{{Name: "conventions", Status: validators.CheckFailed,
		Detail: fmt.Sprintf("%s has %d %s; fix it first (aiden config validate)", genconfig.Path, len(errs), validators.Plural(len(errs), "problem"))}}}
	for _, e := range errs {
		msg := e.Message
		if e.Key != "" {
			msg = e.Key + ": " + msg
		}
		rep.Findings = append(rep.Findings, validators.Finding{File: genconfig.Path, Line: e.Line, Rule: ruleConfig, Severity: validators.SeverityError, Message: msg})
	}
	return nil, &rep, nil
}

// conventionsSummary is the conventions check over apps app folders, of
// which unbuilt Kustomize apps did not build.
func conventionsSummary(rep validators.Report, objects, apps, unbuilt int) validators.Check {
	errs := rep.Count(validators.SeverityError)
	checked := apps - unbuilt
	c := validators.Check{Name: "conventions", Status: validators.CheckPassed, Checked: objects, Skipped: unbuilt,
		Detail: fmt.Sprintf("%d %s of %d %s against %s: ", objects, validators.Plural(objects, "object"), checked, validators.Plural(checked, "app"), genconfig.Path)}
	if errs > 0 {
		c.Status = validators.CheckFailed
		c.Detail += fmt.Sprintf("%d %s", errs, validators.Plural(errs, "error"))
	} else {
		c.Detail += "no errors"
	}
	if checked == 0 {
		c.Status = validators.CheckSkipped
	}
	if unbuilt > 0 {
		c.Detail += fmt.Sprintf("; %d Kustomize %s not checked, as %s not build", unbuilt, validators.Plural(unbuilt, "app"), map[bool]string{true: "it does", false: "they do"}[unbuilt == 1])
	}
	return c
}

// kustomizeApp reports whether an app's files hold a kustomization
// outside its charts (a chart's kustomization.yaml lists its HelmRelease;
// the chart itself is rendered by Flux).
func kustomizeApp(files []workspace.File) bool {
	var charts []string
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			charts = append(charts, path.Dir(f.Path))
		}
	}
	for _, f := range files {
		if !kustomize.IsKustomization(f.Path) {
			continue
		}
		inChart := false
		for _, c := range charts {
			inChart = inChart || workspace.Within(c, f.Path)
		}
		if !inChart {
			return true
		}
	}
	return false
}

// built is what kustomize built of a Kustomize app: one folder of it,
// with the environment of that folder when it is an overlay.
type built struct {
	workspace.File
	env string
}

// appBuilds are the folders kustomize builds for the Kustomize apps.
type appBuilds struct {
	dirs []string
	app  map[string]string // folder built -> app folder
	want map[string]int    // app folder -> folders built
}

// planBuilds picks the folders to build of the Kustomize apps among dirs
// (app folder -> its files), from files (the generation config aside,
// charts left out as the kustomize check leaves them) over repo: the app
// folder's own kustomization, else its overlays/<env>, else, when its
// path names no environment, each of its overlays (overlays/*), else its
// base. The render builds them (validators.RenderOptions.Build).
func planBuilds(files, repo []workspace.File, dirs []string, apps map[string][]workspace.File) appBuilds {
	var kfiles []workspace.File
	var charts []string
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			charts = append(charts, path.Dir(f.Path))
		}
	}
	for _, f := range files {
		inChart := false
		for _, c := range charts {
			inChart = inChart || workspace.Within(c, f.Path)
		}
		if !inChart && f.Path != genconfig.Path {
			kfiles = append(kfiles, f)
		}
	}
	tree := kustomize.Load(kfiles, repo)
	has := map[string]bool{}
	for _, d := range tree.Dirs() {
		has[d] = true
	}
	var build []string
	app := map[string]string{} // folder built -> app folder
	want := map[string]int{}   // app folder -> folders built
	for _, dir := range dirs {
		if !kustomizeApp(apps[dir]) {
			continue
		}
		env := planner.PathEnvironment(dir, "clusters")
		var overlays []string
		if env == "" {
			for _, d := range tree.Dirs() {
				if path.Dir(d) == dir+"/overlays" {
					overlays = append(overlays, d)
				}
			}
			sort.Strings(overlays)
		}
		for _, c := range [][]string{{dir}, {dir + "/overlays/" + env}, overlays, {dir + "/base"}} {
			if len(c) > 0 && has[c[0]] {
				build = append(build, c...)
				for _, d := range c {
					app[d] = dir
				}
				want[dir] = len(c)
				break
			}
		}
	}
	return appBuilds{dirs: build, app: app, want: want}
}

// collect returns the output of each app that built (built: folder ->
// what it built), named after the folder built. An app with an overlay
// that did not build is left out.
func (b appBuilds) collect(builtDirs map[string][]byte) map[string][]built {
	app, want := b.app, b.want
	out := map[string][]built{}
	for _, d := range b.dirs {
		m, ok := builtDirs[d]
		if !ok {
			continue
		}
		x := built{File: workspace.File{Path: d, Content: m}}
		if path.Dir(d) == app[d]+"/overlays" {
			x.env = path.Base(d)
		}
		out[app[d]] = append(out[app[d]], x)
	}
	for dir, n := range want {
		if len(out[dir]) != n {
			delete(out, dir)
		}
	}
	return out
}

// globs lists the app folders the config's formats name, for a message.
func globs(cfg *genconfig.Config) string {
	var gs []string
	for _, r := range cfg.Formats {
		if strings.HasSuffix(r.Path, "/**") {
			gs = append(gs, r.Path)
		}
	}
	if len(gs) == 0 {
		return ""
	}
	return " of the generation config's formats (" + strings.Join(gs, ", ") + ")"
}

func indexOf(files []workspace.File, p string) int {
	for i, f := range files {
		if f.Path == p {
			return i
		}
	}
	return -1
}

// envFree is cfg for files of no environment (vars.Env empty: a shared
// base, say), whose rules that use {env} are for where they are deployed;
// otherwise cfg itself.
func envFree(cfg *genconfig.Config, vars genconfig.Vars) *genconfig.Config {
	if vars.Env == "" {
		return conventions.WithoutEnv(cfg)
	}
	return cfg
}

// noEnvironment says that an app folder was checked without the rules
// that use {env} (the caller names the folder).
func noEnvironment() validators.Finding {
	return validators.Finding{File: genconfig.Path, Rule: "conventions/environment", Severity: validators.SeverityInfo,
		Message: "names no environment (no clusters/<env> in its path, no overlays/<env> of its own), so the rules that use {env} were left for the overlays that deploy it"}
}
