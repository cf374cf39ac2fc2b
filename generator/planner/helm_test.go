package planner

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestHelmGolden compares every chart of chartCases, and a description of
// its plan (plan.txt), with testdata/golden/<case>/.
func TestHelmGolden(t *testing.T) {
	for _, tc := range chartCases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Parse(tc.intent, tc.hints)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.intent, err)
			}
			files, err := plan.Helm()
			if err != nil {
				t.Fatalf("Helm(): %v", err)
			}
			got := map[string]string{"plan.txt": describePlan(tc.intent, plan)}
			for _, f := range files {
				got[f.Path] = string(f.Content)
			}
			golden(t, filepath.Join("testdata", "golden", tc.name), got)
		})
	}
}

func describePlan(intent string, p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "intent: %s\nsummary: %s\nblueprint: %s\napp: %s\nenvironment: %s\n", intent, p.Summary(), p.Blueprint, p.App, p.Environment)
	b.WriteString("understood:\n")
	for _, f := range p.Understood {
		fmt.Fprintf(&b, "  - %s\n", f)
	}
	fmt.Fprintf(&b, "ignored: %q\n", p.Ignored)
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return ""
}

// TestHelmStructure checks what every chart must hold, whatever the
// blueprint: the files, Chart.yaml's fields, and helpers named after the
// chart.
func TestHelmStructure(t *testing.T) {
	for _, tc := range chartCases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Parse(tc.intent, tc.hints)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.intent, err)
			}
			files, err := plan.Helm()
			if err != nil {
				t.Fatalf("Helm(): %v", err)
			}
			byPath := map[string]string{}
			for _, f := range files {
				byPath[f.Path] = string(f.Content)
			}
			for _, name := range []string{"Chart.yaml", "values.yaml", ".helmignore", "templates/_helpers.tpl", "templates/NOTES.txt", "templates/serviceaccount.yaml"} {
				if _, ok := byPath[name]; !ok {
					t.Errorf("chart has no %s", name)
				}
			}
			var chart struct {
				APIVersion, Name, Description, Type, Version, AppVersion string
			}
			if err := yaml.Unmarshal([]byte(byPath["Chart.yaml"]), &chart); err != nil {
				t.Fatalf("Chart.yaml: %v", err)
			}
			if chart.APIVersion != "v2" || chart.Name != plan.App || chart.Type != "application" || chart.Version != "0.1.0" || chart.Description == "" {
				t.Errorf("Chart.yaml = %+v, want apiVersion v2, name %s, type application, version 0.1.0 and a description", chart, plan.App)
			}
			if plan.Image.Tag != "" && chart.AppVersion != plan.Image.Tag {
				t.Errorf("appVersion = %q, want %q", chart.AppVersion, plan.Image.Tag)
			}
			var paths []string
			for name, content := range byPath {
				paths = append(paths, name)
				if strings.Contains(content, `"CHART.`) {
					t.Errorf("%s still holds the helper placeholder", name)
				}
				if strings.Contains(content, "latest") && name != "values.yaml" {
					t.Errorf("%s mentions latest", name)
				}
			}
			if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "templates/") && strings.HasSuffix(p, ".yaml") }) {
				t.Errorf("chart has no templates: %v", paths)
			}
			if !strings.Contains(byPath["templates/_helpers.tpl"], `define "`+plan.App+`.fullname"`) {
				t.Errorf("_helpers.tpl does not define %s.fullname", plan.App)
			}
		})
	}
}
