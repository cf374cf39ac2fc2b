package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

const chartDir = "../../deploy/helm/aiden"

// TestDeployChart lints the chart with the Helm SDK and validates its
// render with aiden validate itself — strict schemas, policy checks,
// every schema found, no finding at warning or above — for the default
// values and for the production example.
func TestDeployChart(t *testing.T) {
	for _, c := range []struct{ name, valuesFile string }{
		{"default values", ""},
		{"production values", filepath.Join(chartDir, "values-production.yaml")},
	} {
		t.Run(c.name, func(t *testing.T) {
			values := map[string]any{}
			if c.valuesFile != "" {
				v, err := chartutil.ReadValuesFile(c.valuesFile)
				if err != nil {
					t.Fatal(err)
				}
				values = v
			}
			linter := lint.All(chartDir, values, "aiden", false)
			for _, m := range linter.Messages {
				if m.Severity > support.InfoSev {
					t.Errorf("helm lint: %s", m)
				}
			}

			chrt, err := loader.Load(chartDir)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := chartutil.ToRenderValues(chrt, values, chartutil.ReleaseOptions{Name: "aiden", Namespace: "aiden", IsInstall: true}, chartutil.DefaultCapabilities)
			if err != nil {
				t.Fatal(err)
			}
			out, err := engine.Render(chrt, vals)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			dir := t.TempDir()
			kinds := map[string]bool{}
			for name, body := range out {
				if !strings.HasSuffix(name, ".yaml") || strings.TrimSpace(body) == "" {
					continue
				}
				for _, line := range strings.Split(body, "\n") {
					if k, ok := strings.CutPrefix(line, "kind: "); ok {
						kinds[k] = true
					}
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want := []string{"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"}
			if c.valuesFile != "" {
				want = append(want, "HorizontalPodAutoscaler", "Ingress", "ServiceMonitor")
			}
			for _, k := range want {
				if !kinds[k] {
					t.Errorf("the render has no %s", k)
				}
			}

			code, stdout, stderr := aiden(t, "validate", "--policy-check", "--fail-on", "warning", "--fail-on-missing-schema", "--output", "json", dir)
			var rep struct {
				Findings []struct {
					File, Rule, Severity, Message string
				} `json:"findings"`
				Checks []struct {
					Name, Status string
				} `json:"checks"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("aiden validate output: %v\n%s%s", err, stdout, stderr)
			}
			for _, f := range rep.Findings {
				if f.Severity != "info" {
					t.Errorf("%s: %s %s: %s", f.File, f.Severity, f.Rule, f.Message)
				}
			}
			checked := map[string]string{}
			for _, ch := range rep.Checks {
				checked[ch.Name] = ch.Status
			}
			if checked["schema"] != "passed" || checked["policy"] != "passed" {
				t.Errorf("checks %v, want schema and policy passed", checked)
			}
			if code != exitOK {
				t.Errorf("aiden validate exited %d:\n%s%s", code, stdout, stderr)
			}
		})
	}
}
