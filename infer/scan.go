package infer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// object is one Kubernetes object read from a file of the repository.
type object struct {
	File        string
	Line        int
	APIVersion  string
	Kind        string
	Name        string
	Namespace   string
	Labels      map[string]string
	Annotations map[string]string
	Body        map[string]any
}

// group returns the API group of the object ("" for the core group).
func (o object) group() string {
	g, _, ok := strings.Cut(o.APIVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// is reports whether the object is kind in the API group.
func (o object) is(group, kind string) bool { return o.Kind == kind && o.group() == group }

// str returns the string at the path of keys in the object's body.
func (o object) str(keys ...string) string {
	var cur any = o.Body
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

// kustomization is a kustomization file: what it lists and patches.
type kustomization struct {
	File      string
	Dir       string
	Namespace string
	Resources []string
	// Patches are the files of its patches, with the kind and name they
	// target ("" when the target does not say).
	Patches []patchRef
}

type patchRef struct {
	Path       string // repository path of the patch file
	Kind, Name string
}

// repo is what inference reads of a repository.
type repo struct {
	files   map[string][]byte
	paths   []string
	objects []object
	kusts   map[string]*kustomization // by folder
	patches map[string]bool           // files used as patches
	charts  []string                  // folders holding a Chart.yaml
	built   map[string][]object       // app folder -> its objects (objectsOf)
	// manifests are what kustomize built of the app folders that build on
	// files elsewhere.
	manifests map[string][]byte
}

// objectsOf returns the objects an app deploys: those of its folder as
// written, or, for a Kustomize folder that builds on files elsewhere (a
// base, Components) or has none of its own, what kustomize builds of it,
// each named after the folder's kustomization file.
func (r *repo) objectsOf(a App) []object {
	if objs, ok := r.built[a.Dir]; ok {
		return objs
	}
	objs := r.appObjects(a.Dir)
	if slices.Contains(r.charts, a.Dir) {
		objs = r.renderChart(a)
	} else if m, ok := r.manifests[a.Dir]; ok {
		objs = objects(r.kusts[a.Dir].File, m)
		for i := range objs {
			objs[i].Line = 0
		}
	}
	if r.built == nil {
		r.built = map[string][]object{}
	}
	r.built[a.Dir] = objs
	return objs
}

// build builds, in one kustomize run, the app folders whose objects are
// what kustomize builds of them: Kustomize folders that build on files
// elsewhere or have none of their own (objectsOf).
func (r *repo) build(apps []App) {
	var dirs []string
	for _, a := range apps {
		k := r.kusts[a.Dir]
		if k == nil || slices.Contains(r.charts, a.Dir) || slices.Contains(dirs, a.Dir) {
			continue
		}
		if len(r.appObjects(a.Dir)) == 0 || refersOutside(k) {
			dirs = append(dirs, a.Dir)
		}
	}
	if len(dirs) == 0 {
		return
	}
	files := make([]workspace.File, 0, len(r.paths))
	for _, p := range r.paths {
		files = append(files, workspace.File{Path: p, Content: r.files[p]})
	}
	r.manifests = map[string][]byte{}
	for _, res := range kustomize.Load(files, nil).Build(dirs) {
		if res.Manifest != nil {
			r.manifests[res.Dir] = res.Manifest
		}
	}
}

// renderChart renders the chart of app folder a with its default values,
// as a release named after the app, the way helm template would; its
// objects are named after the templates that made them. A chart that
// does not render has none.
func (r *repo) renderChart(a App) []object {
	rd, err := helmchart.New(helmchart.Options{ReleaseName: a.Name, Namespace: a.Name})
	if err != nil {
		return nil
	}
	var files []workspace.File
	for _, f := range a.Files {
		files = append(files, workspace.File{Path: strings.TrimPrefix(f.Path, a.Dir+"/"), Content: f.Content})
	}
	res, err := rd.Render(context.Background(), files)
	if err != nil {
		return nil
	}
	var out []object
	for _, m := range res.Manifests {
		for _, o := range objects(path.Join(a.Dir, m.Path), m.Content) {
			o.Line = 0
			out = append(out, o)
		}
	}
	return out
}

// refersOutside reports whether a kustomization builds on files outside
// its folder.
func refersOutside(k *kustomization) bool {
	for _, e := range k.Resources {
		if strings.HasPrefix(strings.TrimPrefix(e, "./"), "../") {
			return true
		}
	}
	return false
}

// read parses files: every YAML object outside chart templates, every
// kustomization and every chart.
func read(files []workspace.File) *repo {
	r := &repo{files: map[string][]byte{}, kusts: map[string]*kustomization{}, patches: map[string]bool{}}
	for _, f := range files {
		r.files[f.Path] = f.Content
		r.paths = append(r.paths, f.Path)
	}
	sort.Strings(r.paths)
	for _, p := range r.paths {
		if path.Base(p) == "Chart.yaml" {
			r.charts = append(r.charts, path.Dir(p))
		}
	}
	for _, p := range r.paths {
		if skipped(p) || r.inTemplates(p) {
			continue
		}
		ext := strings.ToLower(path.Ext(p))
		if ext != ".yaml" && ext != ".yml" {
			continue
		}
		if kustomize.IsKustomization(p) {
			if k, ok := readKustomization(p, r.files[p]); ok {
				r.kusts[k.Dir] = k
				for _, pr := range k.Patches {
					r.patches[pr.Path] = true
				}
			}
			continue
		}
		r.objects = append(r.objects, objects(p, r.files[p])...)
	}
	return r
}

// skipped reports whether p is aiden's own or a CI file, not the
// repository's manifests.
func skipped(p string) bool {
	return strings.HasPrefix(p, ".") || strings.Contains(p, "/.")
}

// inTemplates reports whether p lies in the templates folder of a chart.
func (r *repo) inTemplates(p string) bool {
	for _, c := range r.charts {
		if workspace.Within(path.Join(c, "templates"), p) || workspace.Within(path.Join(c, "charts"), p) {
			return true
		}
	}
	return false
}

// objects returns the Kubernetes objects of a YAML file; documents that
// are not objects, and files that do not parse, give none.
func objects(p string, content []byte) []object {
	if !bytes.Contains(content, []byte("kind:")) {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var out []object
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			continue
		}
		var body map[string]any
		if n.Content[0].Decode(&body) != nil {
			continue
		}
		o := object{File: p, Line: n.Content[0].Line, Body: body}
		o.APIVersion, _ = body["apiVersion"].(string)
		o.Kind, _ = body["kind"].(string)
		if o.Kind == "" || o.APIVersion == "" {
			continue
		}
		if md, ok := body["metadata"].(map[string]any); ok {
			o.Name, _ = md["name"].(string)
			o.Namespace, _ = md["namespace"].(string)
			o.Labels = stringMap(md["labels"])
			o.Annotations = stringMap(md["annotations"])
		}
		out = append(out, o)
	}
	return out
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// readKustomization parses a kustomization file.
func readKustomization(p string, content []byte) (*kustomization, bool) {
	var doc struct {
		Namespace             string   `yaml:"namespace"`
		Resources             []string `yaml:"resources"`
		Bases                 []string `yaml:"bases"`
		PatchesStrategicMerge []string `yaml:"patchesStrategicMerge"`
		Patches               []struct {
			Path   string `yaml:"path"`
			Target struct {
				Kind string `yaml:"kind"`
				Name string `yaml:"name"`
			} `yaml:"target"`
		} `yaml:"patches"`
	}
	if yaml.Unmarshal(content, &doc) != nil {
		return nil, false
	}
	k := &kustomization{File: p, Dir: path.Dir(p), Namespace: doc.Namespace, Resources: append(doc.Resources, doc.Bases...)}
	for _, pp := range doc.Patches {
		if pp.Path != "" {
			k.Patches = append(k.Patches, patchRef{Path: path.Join(k.Dir, pp.Path), Kind: pp.Target.Kind, Name: pp.Target.Name})
		}
	}
	for _, pp := range doc.PatchesStrategicMerge {
		if !strings.Contains(pp, "\n") {
			k.Patches = append(k.Patches, patchRef{Path: path.Join(k.Dir, pp)})
		}
	}
	return k, true
}

// resolve returns the repository path an entry of the kustomization in
// dir names, and false when it leads out of the repository or is a URL.
func resolve(dir, entry string) (string, bool) {
	if strings.Contains(entry, "://") || strings.HasPrefix(entry, "github.com/") {
		return "", false
	}
	p := path.Join(dir, entry)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}
