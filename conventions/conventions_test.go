package conventions

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

func config(t *testing.T, s string) *genconfig.Config {
	t.Helper()
	cfg, err := genconfig.Parse("c.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestFixName(t *testing.T) {
	cfg := config(t, "naming:\n  pattern: \"{env}-{app}\"\n  maxLength: 25\n")
	e := newEngine(cfg, genconfig.Vars{Env: "production", App: "redis"}, true)
	for _, tc := range []struct{ in, want string }{
		{"redis", "production-redis"},
		{"redis-headless", "production-redis-headless"},
		{"production-redis", "production-redis"},
		{"redis-production", "production-redis"},
		{"cache", "production-redis-cache"},
		{"Redis_Config", "production-redis-config"},
		{"redis-sentinel-configuration", "production-redis-sentinel"},
	} {
		if got := e.fixName(tc.in); got != tc.want {
			t.Errorf("fixName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if p := e.nameProblem(e.fixName(tc.in)); p != "" {
			t.Errorf("fixName(%q) still breaks the rule: %s", tc.in, p)
		}
	}
	long := newEngine(config(t, "naming:\n  pattern: \"{env}-{app}\"\n  maxLength: 10\n"), genconfig.Vars{Env: "production", App: "redis"}, true)
	if got := long.fixName("redis"); got != "" {
		t.Errorf("fixName with a pattern longer than maxLength = %q, want none", got)
	}
}

func TestApplyUnfixable(t *testing.T) {
	cfg := config(t, "naming:\n  pattern: \"{env}-{app}\"\n  maxLength: 12\nlabels:\n  app: \"{app}\"\n")
	files := []workspace.File{{Path: "apps/web/all.yaml", Content: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: prod-web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prod-web
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: frontend}
  template:
    metadata:
      labels: {app: frontend}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`)}}
	out, findings, err := Apply(context.Background(), cfg, genconfig.Vars{Env: "prod", App: "web"}, files)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range findings {
		if !f.Fixed {
			msgs = append(msgs, f.Resource+" "+f.Path+": "+f.Message)
		}
	}
	got := strings.Join(msgs, "\n")
	for _, w := range []string{
		`ConfigMap/web /metadata/name: name "web" does not follow naming.pattern "{env}-{app}" (want "prod-web" or "prod-web-<suffix>"); the fixed name "prod-web" is taken by another ConfigMap`,
		`Deployment/prod-web /spec/template/metadata/labels/app: label app is "frontend", the generation config wants "web"; it is part of the selector, which cannot change on a live workload`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("unfixed findings lack\n%s\ngot\n%s", w, got)
		}
	}
	if !strings.Contains(string(out[0].Content), "name: web\n") {
		t.Errorf("web renamed over prod-web:\n%s", out[0].Content)
	}
}

func TestCheckReportsWithoutFixing(t *testing.T) {
	cfg := config(t, "naming:\n  pattern: \"{app}\"\nnamespace: \"{team}\"\nteam: payments\nannotations:\n  owner: a@b.c\n")
	objects := []workspace.File{{Path: "chart/templates/svc.yaml", Content: []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: other\n  namespace: default\n  annotations: {owner: a@b.c}\n")}}
	fs, err := Check(cfg, genconfig.Vars{App: "web"}, objects)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("got %v, want a naming and a namespace finding", fs)
	}
	// Each at the value it is about: the name on line 4, the namespace on line 5.
	for i, f := range fs {
		if f.Fixed || f.Severity != validators.SeverityError || f.Line != 4+i || f.Column != 9+5*i || f.File != "chart/templates/svc.yaml" {
			t.Errorf("finding %+v", f)
		}
	}
	// No namespace at all means the release namespace: fine when checking.
	objects[0].Content = []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations: {owner: a@b.c}\n")
	if fs, _ := Check(cfg, genconfig.Vars{App: "web"}, objects); len(fs) != 0 {
		t.Errorf("got %v, want none", fs)
	}
}

func TestSetValueKeepsComments(t *testing.T) {
	in := `# Values for redis.
nameOverride: ""
fullnameOverride: ""

# environment and team become labels.
environment: ""
commonLabels: {}

# Pods in the StatefulSet.
replicaCount: 3
`
	out, err := setValue([]byte(in), "commonLabels", map[string]string{"team": "payments"})
	if err != nil {
		t.Fatal(err)
	}
	out, err = setValue(out, "fullnameOverride", "production-redis")
	if err != nil {
		t.Fatal(err)
	}
	out, err = setValue(out, "commonAnnotations", map[string]string{"owner": "a@b.c"})
	if err != nil {
		t.Fatal(err)
	}
	want := `# Values for redis.
nameOverride: ""
fullnameOverride: production-redis

# environment and team become labels.
environment: ""
commonLabels:
  team: payments

# Pods in the StatefulSet.
replicaCount: 3
commonAnnotations:
  owner: a@b.c
`
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestUnknownPlaceholderValues(t *testing.T) {
	cfg := config(t, "naming:\n  pattern: \"{env}-{app}\"\nlabels:\n  environment: \"{env}\"\n  team: payments\n")
	files := []workspace.File{{Path: "apps/web/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")}}
	out, fs, err := Apply(context.Background(), cfg, genconfig.Vars{App: "web"}, files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{
		`.stackgen/generation-config.yaml: naming.pattern uses {env}, which this generation does not know (name it in the intent, the request or the target path): not applied (conventions/naming)`,
		`.stackgen/generation-config.yaml: labels.environment uses {env}, which this generation does not know (name it in the intent, the request or the target path): not applied (conventions/labels)`,
		`apps/web/cm.yaml:3:1: ConfigMap/web: /metadata/labels: labels required by the generation config: missing team="payments"; set (conventions/labels)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(string(out[0].Content), "name: web\n") {
		t.Errorf("renamed without an environment:\n%s", out[0].Content)
	}
}

// TestCheckFiles checks files as they sit in a repository: manifests in
// place, each finding at its node (the name's value, metadata where labels
// are missing, the namespace's value), charts through what they render,
// each finding at the template line that writes the node; nothing is
// changed, and what Apply fixed passes.
func TestCheckFiles(t *testing.T) {
	cfg := config(t, "naming:\n  pattern: \"{env}-{app}\"\nlabels:\n  team: payments\nnamespace: \"{team}-{env}\"\nteam: payments\n")
	vars := genconfig.Vars{Env: "prod", App: "web"}
	manifest := "# A config map and a service.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prod-web\n  labels: {team: payments}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n  ports: [{port: 80}]\n"
	chart := []workspace.File{
		{Path: "apps/web/Chart.yaml", Content: []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n")},
		{Path: "apps/web/values.yaml", Content: []byte("team: \"\"\n")},
		{Path: "apps/web/templates/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ default (printf \"%s-config\" .Release.Name) .Values.fullnameOverride }}\n  labels:\n    team: {{ .Values.team | quote }}\n")},
		{Path: "apps/web/kustomization.yaml", Content: []byte("resources: [helmrelease.yaml]\n")},
	}
	for _, tc := range []struct {
		name    string
		files   []workspace.File
		want    []string
		objects int
	}{
		{
			name:  "manifests, with lines",
			files: []workspace.File{{Path: "apps/web/all.yaml", Content: []byte(manifest)}},
			want: []string{
				`apps/web/all.yaml:11:9: Service/default/web: /metadata/name: name "web" does not follow naming.pattern "{env}-{app}" (want "prod-web" or "prod-web-<suffix>") (conventions/naming)`,
				`apps/web/all.yaml:10:1: Service/default/web: /metadata/labels: labels required by the generation config: missing team="payments" (conventions/labels)`,
				`apps/web/all.yaml:12:14: Service/default/web: /metadata/namespace: namespace is "default", the generation config wants "payments-prod" (conventions/namespace)`,
			},
			objects: 2,
		},
		{
			name:  "a chart, through its rendered objects",
			files: chart,
			want: []string{
				`apps/web/templates/cm.yaml:4:3: ConfigMap/web-config: /metadata/name: name "web-config" does not follow naming.pattern "{env}-{app}" (want "prod-web" or "prod-web-<suffix>") (conventions/naming)`,
				`apps/web/templates/cm.yaml:5:3: ConfigMap/web-config: /metadata/labels: labels required by the generation config: wrong team="payments" (was "") (conventions/labels)`,
			},
			objects: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, n, err := CheckFiles(context.Background(), cfg, vars, tc.files)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				if f.Fixed || f.Severity != validators.SeverityError {
					t.Errorf("finding %s: fixed %v, severity %s; want an open error", f, f.Fixed, f.Severity)
				}
				got = append(got, f.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if n != tc.objects {
				t.Errorf("checked %d objects, want %d", n, tc.objects)
			}
			fixed, _, err := Apply(context.Background(), cfg, vars, tc.files)
			if err != nil {
				t.Fatal(err)
			}
			again, _, err := CheckFiles(context.Background(), cfg, vars, fixed)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range again {
				t.Errorf("after Apply, CheckFiles finds: %s", f)
			}
		})
	}
}
