package conventions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/schema"
	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// helperChart is a chart laid out as `helm create` lays one out, whose
// labels helper writes the app.kubernetes.io labels itself and then
// appends commonLabels.
func helperChart(values string) []workspace.File {
	return []workspace.File{
		{Path: "web/Chart.yaml", Content: []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n")},
		{Path: "web/values.yaml", Content: []byte(values)},
		{Path: "web/templates/_helpers.tpl", Content: []byte(`{{- define "web.labels" -}}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: shop
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}
`)},
		{Path: "web/templates/configmap.yaml", Content: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
data:
  # a key named like a label, outside labels: not a label the chart writes
  team: none
`)},
	}
}

// TestFixChartLabelsTheHelperWrites shows that fixChart adds no label the
// chart's own templates already write: when the chart renders the wanted
// value there is nothing to fix, and when it renders another value the
// render check reports it at the helper's line, in both cases without a
// second copy of the key (which strict decoding rejects).
func TestFixChartLabelsTheHelperWrites(t *testing.T) {
	cfg := config(t, `labels:
  app.kubernetes.io/name: "{app}"
  app.kubernetes.io/managed-by: aiden
  app.kubernetes.io/part-of: shop
  team: payments
`)
	vars := genconfig.Vars{App: "web", Env: "production"}
	out, findings, err := Apply(context.Background(), cfg, vars, helperChart("commonLabels: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	values := string(content(out, "web/values.yaml"))
	if !strings.Contains(values, "team: payments") {
		t.Errorf("values.yaml lacks the label the chart does not write:\n%s", values)
	}
	for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of"} {
		if strings.Contains(values, k) {
			t.Errorf("values.yaml sets %s, which the chart's helper already writes:\n%s", k, values)
		}
	}

	// The fixed chart, rendered for real, is valid under strict schema
	// validation (no duplicated key).
	r, err := helmchart.New(helmchart.Options{ReleaseName: "web", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := renderChart(context.Background(), r, "web", out)
	if err != nil || c.Failed {
		t.Fatalf("render: %v %+v", err, c)
	}
	v, err := schema.New(schema.Options{Strict: true, CacheDir: t.TempDir(), NoResultCache: true})
	if err != nil {
		t.Fatal(err)
	}
	results, err := v.Validate(context.Background(), c.Objects)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Status != schema.Valid {
		t.Errorf("rendered ConfigMap is not valid: %+v\n%s", results, c.Objects[0].Content)
	}

	// Only managed-by ("Helm", which no value changes) is left open, at
	// the template whose include writes it; name and part-of render as
	// wanted.
	var open []string
	for _, f := range findings {
		if !f.Fixed {
			open = append(open, f.File+": "+f.Message)
		}
	}
	want := `web/templates/configmap.yaml: labels required by the generation config: wrong app.kubernetes.io/managed-by="aiden" (was "Helm")`
	if len(open) != 1 || open[0] != want {
		t.Errorf("open findings:\n%s\nwant\n%s", strings.Join(open, "\n"), want)
	}
}

// TestFixChartLabelsMergedByTheChart shows that a label a chart's helper
// only names inside an expression, merged under commonLabels (as
// Bitnami's common.labels.standard does), is still set through
// commonLabels, which wins there.
func TestFixChartLabelsMergedByTheChart(t *testing.T) {
	cfg := config(t, "labels:\n  app.kubernetes.io/managed-by: aiden\n")
	files := helperChart("commonLabels: {}\n")
	files[2].Content = []byte(`{{- define "web.labels" -}}
{{ merge (.Values.commonLabels | default dict) (dict "app.kubernetes.io/managed-by" .Release.Service "app.kubernetes.io/name" .Chart.Name) | toYaml }}
{{- end }}
`)
	out, findings, err := Apply(context.Background(), cfg, genconfig.Vars{App: "web"}, files)
	if err != nil {
		t.Fatal(err)
	}
	if v := string(content(out, "web/values.yaml")); !strings.Contains(v, "app.kubernetes.io/managed-by: aiden") {
		t.Errorf("values.yaml lacks the label through commonLabels:\n%s", v)
	}
	for _, f := range findings {
		if !f.Fixed {
			t.Errorf("open finding %s: %s", f.File, f.Message)
		}
	}
}

// TestReleasesThroughExternalArtifact finds the release of a chart that
// a Flux HelmRelease installs through an ExternalArtifact (Flux 2.7)
// an ArtifactGenerator copies the chart folder into.
func TestReleasesThroughExternalArtifact(t *testing.T) {
	files := append(helperChart("{}\n"),
		workspace.File{Path: "web/release.yaml", Content: []byte(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  releaseName: storefront
  targetNamespace: shop
  chartRef:
    kind: ExternalArtifact
    name: web-chart
`)},
		workspace.File{Path: "web/artifacts.yaml", Content: []byte(`apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: charts
  namespace: flux-system
spec:
  sources:
    - {alias: repo, kind: GitRepository, name: flux-system}
  artifacts:
    - name: web-chart
      copy:
        - {from: "@repo/web/**", to: "@artifact/"}
`)})
	got := Releases(nil, genconfig.Vars{App: "web"}, files)
	if rel := got["web"]; rel.Name != "storefront" || rel.Namespace != "shop" {
		t.Errorf("Releases = %+v, want web installed as shop/storefront", got)
	}
}

// TestReleasesThroughHelmChart finds the release of a chart that a Flux
// HelmRelease installs through a chartRef to a HelmChart whose
// spec.chart is the chart's folder in a GitRepository; a HelmChart from a
// HelmRepository names no folder of the repository, so a chart folder of
// the same name keeps the app's release.
func TestReleasesThroughHelmChart(t *testing.T) {
	release := func(chart string) workspace.File {
		return workspace.File{Path: "web/release.yaml", Content: []byte(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  releaseName: storefront
  targetNamespace: shop
  chartRef:
    kind: HelmChart
    name: ` + chart + `
`)}
	}
	charts := workspace.File{Path: "web/charts.yaml", Content: []byte(`apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 5m
  chart: ./web
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: web-upstream
  namespace: flux-system
spec:
  interval: 5m
  chart: web
  version: 1.x
  sourceRef: {kind: HelmRepository, name: charts}
`)}
	// Real files: the chart, the HelmRelease and the HelmCharts written
	// to a folder and read back.
	onDisk := func(fs ...workspace.File) []workspace.File {
		dir := t.TempDir()
		for _, f := range fs {
			full := filepath.Join(dir, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return workspacetest.Read(t, dir, "")
	}
	got := Releases(nil, genconfig.Vars{App: "web"}, onDisk(append(helperChart("{}\n"), release("web"), charts)...))
	if rel := got["web"]; rel.Name != "storefront" || rel.Namespace != "shop" {
		t.Errorf("through the HelmChart from the GitRepository: Releases = %+v, want web installed as shop/storefront", got)
	}
	got = Releases(nil, genconfig.Vars{App: "web"}, onDisk(append(helperChart("{}\n"), release("web-upstream"), charts)...))
	if rel := got["web"]; rel.Name != "web" || rel.Namespace != "default" {
		t.Errorf("through the HelmChart from the HelmRepository: Releases = %+v, want web as default/web", got)
	}
}

// TestFixChartAnnotationsTheTemplateWrites shows the same for required
// annotations: one the pod template writes itself is not added through
// podAnnotations, which the template appends to the same mapping; the
// object's own annotations, which the template does not write, still get
// it through commonAnnotations.
func TestFixChartAnnotationsTheTemplateWrites(t *testing.T) {
	cfg := config(t, "annotations:\n  prometheus.io/scrape: \"true\"\n  owner: team-a\n")
	files := []workspace.File{
		{Path: "web/Chart.yaml", Content: []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n")},
		{Path: "web/values.yaml", Content: []byte("podAnnotations: {}\ncommonAnnotations: {}\n")},
		{Path: "web/templates/deployment.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  {{- with .Values.commonAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations:
        prometheus.io/scrape: "true"
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      containers:
        - name: web
          image: nginx:1.27.1
`)},
	}
	out, findings, err := Apply(context.Background(), cfg, genconfig.Vars{App: "web"}, files)
	if err != nil {
		t.Fatal(err)
	}
	// The Deployment's own annotations come from commonAnnotations
	// alone, so the key is set there.
	values := topLevelMaps(content(out, "web/values.yaml"))
	if fmt.Sprint(values[valuePodAnnotations]) != "map[owner:team-a]" || fmt.Sprint(values[valueCommonAnnotations]) != "map[owner:team-a prometheus.io/scrape:true]" {
		t.Errorf("values = %v; want prometheus.io/scrape left to the pod template, set in commonAnnotations", values)
	}
	r, err := helmchart.New(helmchart.Options{ReleaseName: "web", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := renderChart(context.Background(), r, "web", out)
	if err != nil || c.Failed {
		t.Fatalf("render: %v %+v", err, c)
	}
	v, err := schema.New(schema.Options{Strict: true, CacheDir: t.TempDir(), NoResultCache: true})
	if err != nil {
		t.Fatal(err)
	}
	results, err := v.Validate(context.Background(), c.Objects)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Status != schema.Valid {
		t.Errorf("rendered Deployment is not valid: %+v\n%s", results, c.Objects[0].Content)
	}
	for _, f := range findings {
		if !f.Fixed {
			t.Errorf("open finding %s: %s", f.File, f.Message)
		}
	}
}

// labelChart is a chart whose Deployment takes its own labels from
// commonLabels and writes tier: web in its pod template, where podLabels
// (with commonLabels when withCommon) are appended.
func labelChart(podExtra, helper string) []workspace.File {
	files := []workspace.File{
		{Path: "web/Chart.yaml", Content: []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n")},
		{Path: "web/values.yaml", Content: []byte("commonLabels: {}\n")},
		{Path: "web/templates/deployment.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  {{- with .Values.commonLabels }}
  labels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: web
        tier: web` + podExtra + `
    spec:
      containers:
        - name: web
          image: nginx:1.27.1
`)},
	}
	if helper != "" {
		files = append(files, workspace.File{Path: "web/templates/_helpers.tpl", Content: []byte(helper)})
	}
	return files
}

// A label a chart writes only in a pod template is still set through
// commonLabels for the objects (the Deployment's own labels) when that
// mapping holds only literal keys, and left out of it when a template
// directive in the mapping may write commonLabels too (directly, from
// column 0, or through a helper), where it would repeat: the Deployment's
// missing label then stays an open finding, for a person to fix in the
// template. Either way the render is strictly valid.
func TestFixChartLabelOnlyThePodTemplateWrites(t *testing.T) {
	cfg := config(t, "labels:\n  tier: web\n")
	helper := "{{- define \"web.podLabels\" -}}\n{{- with .Values.commonLabels }}\n{{ toYaml . }}\n{{- end }}\n{{- end }}\n"
	for _, c := range []struct{ name, podExtra, helper string }{
		{"literal keys", "", ""},
		{"nested with", "\n        {{- with .Values.commonLabels }}\n        {{- toYaml . | nindent 8 }}\n        {{- end }}", ""},
		{"with at column 0", "\n{{- with .Values.commonLabels }}\n{{ toYaml . | indent 8 }}\n{{- end }}", ""},
		{"helper", "\n        {{- include \"web.podLabels\" . | nindent 8 }}", helper},
	} {
		withCommon := c.podExtra != ""
		out, findings, err := Apply(context.Background(), cfg, genconfig.Vars{App: "web"}, labelChart(c.podExtra, c.helper))
		if err != nil {
			t.Fatal(err)
		}
		values := topLevelMaps(content(out, "web/values.yaml"))
		r, err := helmchart.New(helmchart.Options{ReleaseName: "web", Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := renderChart(context.Background(), r, "web", out)
		if err != nil || rc.Failed {
			t.Fatalf("%s: render: %v %+v", c.name, err, rc)
		}
		v, err := schema.New(schema.Options{Strict: true, CacheDir: t.TempDir(), NoResultCache: true})
		if err != nil {
			t.Fatal(err)
		}
		results, err := v.Validate(context.Background(), rc.Objects)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || results[0].Status != schema.Valid {
			t.Errorf("%s: rendered Deployment is not valid: %+v\n%s", c.name, results, rc.Objects[0].Content)
		}
		var open []string
		for _, f := range findings {
			if !f.Fixed {
				open = append(open, f.File+": "+f.Message)
			}
		}
		wantCommon, wantOpen := "map[tier:web]", "[]"
		if withCommon {
			wantCommon, wantOpen = "map[]", `[web/templates/deployment.yaml: labels required by the generation config: missing tier="web"]`
		}
		if got := fmt.Sprint(values[valueCommonLabels]); got != wantCommon {
			t.Errorf("%s: commonLabels = %v, want %s", c.name, got, wantCommon)
		}
		if fmt.Sprint(open) != wantOpen {
			t.Errorf("%s: open findings %v, want %s", c.name, open, wantOpen)
		}
	}
}
