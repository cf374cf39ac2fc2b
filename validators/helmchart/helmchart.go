// Package helmchart renders and lints a Helm chart held in memory with the
// Helm SDK, the way `helm template` and `helm lint` do, and returns what
// went wrong as messages rather than errors.
package helmchart

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/stackgen/aiden/internal/rendercount"
	"github.com/stackgen/aiden/workspace"
)

// Options configure a Renderer.
type Options struct {
	// ReleaseName is .Release.Name. Default: "release-name", as helm
	// template uses.
	ReleaseName string
	// Namespace is .Release.Namespace. Default: "default".
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion, as "1.35.4" or "v1.35.4".
	// Default: the Helm SDK's default.
	KubeVersion string
}

// Renderer renders and lints charts. It holds no state between calls and
// is safe for concurrent use.
type Renderer struct {
	opts Options
	kube *chartutil.KubeVersion
}

// New returns a Renderer, filling defaults into opts.
func New(opts Options) (*Renderer, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = "release-name"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	kube := chartutil.DefaultCapabilities.KubeVersion
	if opts.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("parse kube version: %w", err)
		}
		kube = *kv
	}
	opts.KubeVersion = kube.Version
	return &Renderer{opts: opts, kube: &kube}, nil
}

// ReleaseName is the release name r renders charts as.
func (r *Renderer) ReleaseName() string { return r.opts.ReleaseName }

// Namespace is the release namespace r renders charts in.
func (r *Renderer) Namespace() string { return r.opts.Namespace }

// Level is how serious a message is.
type Level int

// Levels, lowest first; lint's INFO, WARNING and ERROR map onto them.
const (
	Info Level = iota + 1
	Warning
	Error
)

// Message is one thing rendering or linting found.
type Message struct {
	// Check is "render" or "lint".
	Check string
	// Level is how serious it is.
	Level Level
	// File is the chart file it is about, relative to the chart root
	// ("templates/deployment.yaml", "Chart.yaml"), when known.
	File string
	// Line is the 1-based line in File, when known.
	Line int
	// Text says what is wrong.
	Text string
}

// Result is a rendered chart.
type Result struct {
	// Name is the chart's name from Chart.yaml.
	Name string
	// Manifests are the rendered templates that produced objects, one
	// file per template, named by the template's path relative to the
	// chart root ("templates/service.yaml",
	// "charts/redis/templates/svc.yaml"), plus the chart's crds/ files.
	// NOTES.txt and helpers are left out.
	Manifests []workspace.File
	// Messages hold the render failures; when there is one at Error level
	// Manifests may be incomplete.
	Messages []Message

	// valuesLoaded is the values.yaml the chart loader read without error
	// in this process, so that Lint's values rule need not parse it again.
	valuesLoaded []byte
}

// Render renders the chart in files, whose paths are relative to the chart
// root (Chart.yaml, values.yaml, templates/...), with its default values.
// Under Isolate it renders in a child process with memory and time limits;
// either way output past the limit (see Limits) is an Error message.
func (r *Renderer) Render(ctx context.Context, files []workspace.File) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("render chart: %w", err)
	}
	var res Result
	if sb := sandbox.Load(); sb != nil {
		var err error
		if res, err = r.renderIsolated(ctx, sb, files); err != nil {
			return Result{}, err
		}
	} else {
		res = r.render(files, limits().MaxOutput)
	}
	rendercount.Add(ctx, "chart "+res.Name)
	return res, nil
}

// As returns a Renderer like r that renders charts as the release name in
// namespace (empty keeps r's), so that one Renderer serves every chart of
// a request, each rendered as the release it will be.
func (r *Renderer) As(name, namespace string) *Renderer {
	c := *r
	if name != "" {
		c.opts.ReleaseName = name
	}
	if namespace != "" {
		c.opts.Namespace = namespace
	}
	return &c
}

// render renders in this process.
func (r *Renderer) render(files []workspace.File, maxOutput int64) Result {
	res, err := r.renderChart(files)
	if err != nil {
		return Result{Messages: []Message{loadMessage(err)}}
	}
	return capOutput(res, maxOutput)
}

func (r *Renderer) renderChart(files []workspace.File) (Result, error) {
	ch, err := loader.LoadFiles(buffered(files))
	if err != nil {
		return Result{}, err
	}
	res := Result{Name: ch.Name()}
	for _, f := range files {
		if f.Path == "values.yaml" {
			res.valuesLoaded = f.Content
		}
	}
	if ch.Metadata != nil {
		if err := ch.Validate(); err != nil {
			res.Messages = append(res.Messages, Message{Check: "render", Level: Error, File: "Chart.yaml", Text: err.Error()})
			return res, nil
		}
		if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, r.kube.String()) {
			res.Messages = append(res.Messages, Message{Check: "render", Level: Error, File: "Chart.yaml",
				Text: fmt.Sprintf("chart requires kubeVersion %s, which is incompatible with Kubernetes %s", kv, r.kube)})
			return res, nil
		}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, map[string]any{}); err != nil {
		res.Messages = append(res.Messages, Message{Check: "render", Level: Error, File: "Chart.yaml", Text: err.Error()})
		return res, nil
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *r.kube
	vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{
		Name:      r.opts.ReleaseName,
		Namespace: r.opts.Namespace,
		Revision:  1,
		IsInstall: true,
	}, caps)
	if err != nil {
		res.Messages = append(res.Messages, Message{Check: "render", Level: Error, File: "values.yaml", Text: err.Error()})
		return res, nil
	}
	out, err := engine.Engine{}.Render(ch, vals)
	if err != nil {
		res.Messages = append(res.Messages, renderMessage(ch.Name(), err))
		return res, nil
	}
	prefix := ch.Name() + "/"
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rel := strings.TrimPrefix(name, prefix)
		base := path.Base(rel)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" || strings.TrimSpace(out[name]) == "" {
			continue
		}
		if ext := path.Ext(base); ext != ".yaml" && ext != ".yml" && ext != ".json" {
			continue
		}
		res.Manifests = append(res.Manifests, workspace.File{Path: rel, Content: []byte(out[name])})
	}
	for _, crd := range ch.CRDObjects() {
		res.Manifests = append(res.Manifests, workspace.File{
			Path: strings.TrimPrefix(crd.Filename, prefix), Content: crd.File.Data})
	}
	return res, nil
}

func lintLevel(sev int) Level {
	switch sev {
	case support.ErrorSev:
		return Error
	case support.WarningSev:
		return Warning
	}
	return Info
}

func buffered(files []workspace.File) []*loader.BufferedFile {
	out := make([]*loader.BufferedFile, 0, len(files))
	for _, f := range files {
		out = append(out, &loader.BufferedFile{Name: f.Path, Data: f.Content})
	}
	return out
}

// chartName reads the name from Chart.yaml, falling back to "chart".
func chartName(files []workspace.File) string {
	for _, f := range files {
		if f.Path != "Chart.yaml" {
			continue
		}
		var md chart.Metadata
		if ch, err := loader.LoadFiles([]*loader.BufferedFile{{Name: "Chart.yaml", Data: f.Content}}); err == nil && ch.Metadata != nil {
			md = *ch.Metadata
		}
		if md.Name != "" && md.Name == filepath.Base(md.Name) && md.Name != ".." {
			return md.Name
		}
	}
	return "chart"
}

// loadMessage names the file a load error is about ("cannot load
// values.yaml: ...").
func loadMessage(err error) Message {
	m := Message{Check: "render", Level: Error, File: "Chart.yaml", Text: err.Error()}
	if s := err.Error(); strings.HasPrefix(s, "cannot load ") {
		if f, _, ok := strings.Cut(strings.TrimPrefix(s, "cannot load "), ":"); ok {
			m.File = f
		}
	}
	if m.Text == "validation: chart.metadata is required" || strings.Contains(m.Text, "Chart.yaml file is missing") {
		m.File = "Chart.yaml"
	}
	return m
}

// The engine reports "parse error at (<chart>/templates/x.yaml:3): ..." or
// "execution error at (<chart>/templates/x.yaml:3:4): ...", and Go's
// template package "template: <chart>/templates/x.yaml:3:4: ...".
var locationRe = regexp.MustCompile(`(?:\(|template: )([^():\s]+\.[A-Za-z]+):(\d+)`)

func templateLocation(chartName, text string) (file string, line int, ok bool) {
	m := locationRe.FindStringSubmatch(text)
	if m == nil {
		return "", 0, false
	}
	file = strings.TrimPrefix(m[1], chartName+"/")
	line, _ = strconv.Atoi(m[2])
	return file, line, true
}

func renderMessage(chartName string, err error) Message {
	m := Message{Check: "render", Level: Error, Text: err.Error()}
	if file, line, ok := templateLocation(chartName, m.Text); ok {
		m.File, m.Line = file, line
	}
	return m
}
