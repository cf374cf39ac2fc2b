package planner

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template"

	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// blueprints holds the chart templates, in layers that Helm stacks: every
// chart gets common/, then the layers of its blueprint. values/ holds the
// Go templates that write values.yaml from a plan.
//
//go:embed all:blueprints
var blueprints embed.FS

// chartPrefix is the placeholder for the chart name in helper template
// names ("CHART.fullname"), replaced by the app name so the helpers of two
// generated charts never collide when one is a subchart of another.
const chartPrefix = `"CHART.`

var valuesTemplates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("values").
		Delims("[[", "]]").
		Funcs(template.FuncMap{"q": quoteYAML}).
		ParseFS(blueprints, "blueprints/values/*.tmpl"))
})

// quoteYAML writes s as a double-quoted YAML scalar (JSON strings are).
func quoteYAML(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// plainYAML returns s as a YAML scalar: bare when YAML reads it back as the
// same string, quoted when it would read as something else (y, on, 1, null).
func plainYAML(s string) string {
	var v any
	if err := yaml.Unmarshal([]byte("v: "+s), &v); err == nil {
		if m, ok := v.(map[string]any); ok && m["v"] == s {
			return s
		}
	}
	return quoteYAML(s)
}

// layers returns the template layers and the values template of the plan.
func (p *Plan) layers() (dirs []string, values string, err error) {
	switch p.Blueprint {
	case BlueprintWeb:
		return []string{"deployment", "web", "workload"}, "web", nil
	case BlueprintWorker:
		return []string{"deployment", "worker", "workload"}, "worker", nil
	case BlueprintImage:
		if p.Port != 0 {
			return []string{"deployment", "web", "workload"}, "web", nil
		}
		return []string{"deployment", "worker", "workload"}, "worker", nil
	case BlueprintCronJob:
		return []string{"cronjob", "workload"}, "cronjob", nil
	case BlueprintJob:
		return []string{"job", "workload"}, "job", nil
	case BlueprintDaemonSet:
		return []string{"daemonset", "workload"}, "daemonset", nil
	case BlueprintStatefulSet:
		if p.Port != 0 {
			return []string{"statefulset", "web", "workload"}, "web", nil
		}
		return []string{"statefulset", "worker", "workload"}, "worker", nil
	case BlueprintRedis, BlueprintRedisSentinel:
		return []string{"redis"}, "redis", nil
	case BlueprintPostgreSQL:
		return []string{"postgresql"}, "postgresql", nil
	}
	return nil, "", fmt.Errorf("unknown blueprint %q", p.Blueprint)
}

// valuesData is what the values templates see: the plan and a few derived
// values.
type valuesData struct {
	*Plan
	Summary    string
	UID        int    // non-root user of the image
	Secret     string // default name of the existing password Secret
	Database   string
	HealthPort int
}

// Helm returns a self-contained Helm chart for the plan, with paths
// relative to the chart root, sorted.
func (p *Plan) Helm() ([]workspace.File, error) {
	dirs, valuesName, err := p.layers()
	if err != nil {
		return nil, err
	}
	if p.App == "" {
		return nil, fmt.Errorf("plan has no app name")
	}
	files := map[string][]byte{}
	for _, dir := range append([]string{"common"}, dirs...) {
		root := path.Join("blueprints", dir)
		err := fs.WalkDir(blueprints, root, func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := blueprints.ReadFile(name)
			if err != nil {
				return err
			}
			files[strings.TrimPrefix(name, root+"/")] = bytes.ReplaceAll(b, []byte(chartPrefix), []byte(`"`+p.App+`.`))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read blueprint %s: %w", dir, err)
		}
	}

	data := valuesData{Plan: p, Summary: p.Summary(), UID: 10001, Secret: cmp.Or(p.AuthSecret, p.App+"-auth"), Database: strings.ReplaceAll(p.App, "-", "_"), HealthPort: p.Port}
	switch p.Blueprint {
	case BlueprintRedis, BlueprintRedisSentinel, BlueprintPostgreSQL:
		// The redis and postgres user of the official Debian images.
		data.UID = 999
	}
	if data.HealthPort == 0 {
		data.HealthPort = 8080
	}
	var values bytes.Buffer
	if err := valuesTemplates().ExecuteTemplate(&values, valuesName, data); err != nil {
		return nil, fmt.Errorf("write values: %w", err)
	}
	// The values must be YAML a chart can load; a failure here is a bug.
	var check map[string]any
	if err := yaml.Unmarshal(values.Bytes(), &check); err != nil {
		return nil, fmt.Errorf("write values: invalid yaml: %w", err)
	}
	files["values.yaml"] = values.Bytes()

	chart, err := p.chartYAML()
	if err != nil {
		return nil, err
	}
	files["Chart.yaml"] = chart

	out := make([]workspace.File, 0, len(files))
	for name, content := range files {
		out = append(out, workspace.File{Path: name, Content: content})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// chartYAML writes Chart.yaml, in the order people read it. appVersion is
// the image tag, when there is one.
func (p *Plan) chartYAML() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "apiVersion: v2\n")
	fmt.Fprintf(&b, "name: %s\n", plainYAML(p.App))
	fmt.Fprintf(&b, "description: %s\n", quoteYAML(p.Summary()))
	fmt.Fprintf(&b, "type: application\n")
	fmt.Fprintf(&b, "# The chart's own version; bump it on every change.\n")
	fmt.Fprintf(&b, "version: 0.1.0\n")
	if p.Image.Tag != "" {
		fmt.Fprintf(&b, "appVersion: %s\n", quoteYAML(p.Image.Tag))
	}
	fmt.Fprintf(&b, "keywords:\n  - %s\n", p.Blueprint)
	fmt.Fprintf(&b, "annotations:\n  stackgen.io/generated-by: aiden-planner\n  stackgen.io/blueprint: %s\n", p.Blueprint)
	var check map[string]any
	if err := yaml.Unmarshal(b.Bytes(), &check); err != nil {
		return nil, fmt.Errorf("write Chart.yaml: %w", err)
	}
	return b.Bytes(), nil
}
