package change

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/internal/lazyre"
	"github.com/stackgen/aiden/workspace"
)

// author holds an app's files while a change edits them.
type author struct {
	app     *App
	files   map[string][]byte    // current content, by repository path
	repo    map[string][]byte    // the rest of the workspace, read only
	yamls   map[string]*yamlFile // files opened for editing
	created map[string][]byte    // new files, written whole
	deleted []string
	done    []string       // what was changed, for the summary
	read    []planner.Fact // what was read from the app
}

func newAuthor(app *App, ws []workspace.File) *author {
	a := &author{app: app, files: map[string][]byte{}, repo: map[string][]byte{}, yamls: map[string]*yamlFile{}, created: map[string][]byte{}}
	for _, f := range ws {
		if p, err := workspace.Clean(f.Path); err == nil {
			a.repo[p] = f.Content
		}
	}
	for _, f := range app.Files {
		a.files[f.Path] = f.Content
	}
	return a
}

// rel returns the repository path of a path relative to the app folder.
func (a *author) rel(p string) string { return path.Join(a.app.Root, p) }

func (a *author) has(p string) bool {
	_, ok := a.files[a.rel(p)]
	_, made := a.created[a.rel(p)]
	return ok || made
}

// open returns the YAML file at p (relative to the app) for editing.
func (a *author) open(p string) (*yamlFile, error) {
	full := a.rel(p)
	if f, ok := a.yamls[full]; ok {
		return f, nil
	}
	content, ok := a.files[full]
	if !ok {
		return nil, fmt.Errorf("%s: no such file in the app", full)
	}
	f, err := parseYAML(full, content)
	if err != nil {
		return nil, err
	}
	a.yamls[full] = f
	return f, nil
}

// openText returns a file that is not YAML (a Helm template) for line
// edits.
func (a *author) openText(p string) (*yamlFile, error) {
	full := a.rel(p)
	if f, ok := a.yamls[full]; ok {
		return f, nil
	}
	content, ok := a.files[full]
	if !ok {
		return nil, fmt.Errorf("%s: no such file in the app", full)
	}
	s := string(content)
	f := &yamlFile{path: full, trail: strings.HasSuffix(s, "\n"), step: 2, dash: true}
	f.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	a.yamls[full] = f
	return f, nil
}

// create adds a new file; a file already there is never overwritten.
func (a *author) create(p string, content string) error {
	if a.has(p) {
		return fmt.Errorf("%s already exists; it is left as it is", a.rel(p))
	}
	a.created[a.rel(p)] = []byte(content)
	return nil
}

func (a *author) remove(p string) {
	a.deleted = append(a.deleted, a.rel(p))
}

func (a *author) did(format string, args ...any) {
	a.done = append(a.done, fmt.Sprintf(format, args...))
}

func (a *author) fact(key, value, from string) {
	a.read = append(a.read, planner.Fact{Key: key, Value: value, From: from})
}

// result returns the edited and new files, sorted, and the lines each
// edit replaced. An edit that leaves a file unparseable is an error.
func (a *author) result() ([]workspace.File, map[string][]int, error) {
	var out []workspace.File
	touched := map[string][]int{}
	for p, f := range a.yamls {
		if !f.changed() {
			continue
		}
		b := f.bytes()
		if f.docs != nil {
			if _, err := parseYAML(p, b); err != nil {
				return nil, nil, fmt.Errorf("the change would break %s: %w", p, err)
			}
		}
		out = append(out, workspace.File{Path: p, Content: b})
		touched[p] = f.touched()
	}
	for p, c := range a.created {
		out = append(out, workspace.File{Path: p, Content: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	sort.Strings(a.deleted)
	return out, touched, nil
}

// environments lists the environments the app knows: its overlays and
// its values-<env>.yaml files.
func (a *author) environments() []string {
	seen := map[string]bool{}
	var out []string
	for p := range a.files {
		rel := strings.TrimPrefix(p, a.app.Root+"/")
		var env string
		if d, f := path.Split(rel); strings.HasPrefix(d, "overlays/") && isKustomization(f) {
			env = strings.TrimSuffix(strings.TrimPrefix(d, "overlays/"), "/")
		} else if strings.HasPrefix(rel, "values-") && (strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".yml")) {
			env = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(rel, "values-"), ".yaml"), ".yml")
		}
		if env != "" && !seen[env] {
			seen[env] = true
			out = append(out, env)
		}
	}
	sort.Strings(out)
	return out
}

// names lists the words that name the app: its folder, and its chart or
// release name, in lower case.
func (a *author) names() []string {
	base := path.Base(a.app.Root)
	out := []string{base}
	out = append(out, strings.Split(base, "-")...)
	for _, c := range a.files {
		for _, m := range imageWordRE.FindAllSubmatch(c, -1) {
			w := strings.ToLower(path.Base(string(m[1])))
			out = append(out, w)
			out = append(out, strings.Split(w, "-")...)
		}
	}
	return out
}

// imageWordRE finds image and chart names in an app's files.
var imageWordRE = lazyre.New(`(?m)^[ \t]*-?[ \t]*(?:image|repository|repo|chart|name):[ \t]*['"]?([A-Za-z0-9._/\-]+)`)

// templates returns the chart's template files (relative paths) and
// their text.
func (a *author) templates() map[string]string {
	out := map[string]string{}
	for p, c := range a.files {
		rel := strings.TrimPrefix(p, a.app.Root+"/")
		if strings.HasPrefix(rel, "templates/") {
			out[rel] = string(c)
		}
	}
	return out
}

// readsValue reports whether a template reads .Values.<key>.
func (a *author) readsValue(key string) bool {
	for _, t := range a.templates() {
		if strings.Contains(t, ".Values."+key) {
			return true
		}
	}
	return false
}
