package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/catalog"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// renderCases are intents for the catalogue entries whose upstream chart
// source is kept under testdata/charts, and what the rendered objects
// must show of them.
var renderCases = []struct {
	intent string
	want   []string // kind/field=value checks on the rendered objects
}{
	{"podinfo", []string{"Deployment"}},
	{"podinfo with 3 replicas and 256Mi memory exposed at podinfo.example.com with TLS",
		[]string{"Deployment/replicas=3", "Ingress/host=podinfo.example.com", "Ingress/tls=podinfo-example-com-tls", "Deployment/memory=256Mi"}},
	{"the NGINX ingress controller with 2 replicas and 500m cpu", []string{"Deployment/replicas=2", "Deployment/cpu=500m"}},
	// The chart's CRDs are generated when it is packaged; its source
	// holds none.
	{"external secrets operator with 2 replicas", []string{"Deployment/replicas=2"}},
	{"memcached with 3 replicas and 1Gi memory", []string{"StatefulSet/replicas=3", "StatefulSet/memory=1Gi"}},
	{"memcached", []string{"Deployment"}},
	{"nginx web server with 2 replicas exposed at www.example.com with TLS", []string{"Deployment/replicas=2", "Ingress/host=www.example.com", "Ingress/tls=www-example-com-tls"}},
	{"MongoDB with 3 replicas, 20Gi of storage and the root password from the secret mongo-root",
		[]string{"StatefulSet/replicas=3", "StatefulSet/storage=20Gi", "StatefulSet/secret=mongo-root"}},
	{"a single mongodb", []string{"Deployment/replicas=1"}},
	{"RabbitMQ with 3 replicas, 8Gi persistent storage and the password from the secret rabbit-auth exposed at rabbit.example.com with TLS",
		[]string{"StatefulSet/replicas=3", "StatefulSet/storage=8Gi", "StatefulSet/secret=rabbit-auth", "Ingress/host=rabbit.example.com", "Ingress/tls=rabbit-example-com-tls"}},
	{"Keycloak with 2 replicas and the admin password from the secret keycloak-admin exposed at auth.example.com with TLS",
		[]string{"StatefulSet/replicas=2", "StatefulSet/secret=keycloak-admin", "Ingress/host=auth.example.com", "Ingress/tls=auth-example-com-tls"}},
	{"a Kafka cluster with 3 brokers, 20Gi of storage and 1Gi memory", []string{"StatefulSet/replicas=3", "StatefulSet/storage=20Gi", "StatefulSet/memory=1Gi"}},
	{"MinIO with 50Gi of storage exposed at s3.example.com with TLS", []string{"Deployment/replicas=1", "PersistentVolumeClaim/storage=50Gi", "Ingress/host=s3.example.com", "Ingress/tls=s3-example-com-tls"}},
	{"MinIO with 4 replicas and 100Gi of storage", []string{"StatefulSet/replicas=4", "StatefulSet/storage=100Gi"}},
	{"grafana with 2 replicas, 10Gi persistent storage and the admin password from the secret grafana-admin exposed at grafana.example.com with TLS",
		[]string{"Deployment/replicas=2", "PersistentVolumeClaim/storage=10Gi", "Deployment/secret=grafana-admin", "Ingress/host=grafana.example.com", "Ingress/tls=grafana-example-com-tls"}},
}

// upstream returns the upstream chart's files from testdata/charts,
// placed under charts/<name>/ of the wrapper chart, with the Bitnami
// common library chart it depends on below it.
func upstream(t *testing.T, name string) []workspace.File {
	t.Helper()
	var out []workspace.File
	add := func(dir, prefix string) {
		out = append(out, workspacetest.Read(t, filepath.Join("testdata", "charts", dir), prefix, "SOURCE", "LICENSE")...)
	}
	add(name, "charts/"+name)
	chart, err := os.ReadFile(filepath.Join("testdata", "charts", name, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(chart, []byte("name: common")) {
		add("common", "charts/"+name+"/charts/common")
	}
	return out
}

// TestUpstreamChartsRender renders the values the planner writes for a
// catalogue entry with the entry's real upstream chart (kept under
// testdata/charts at the pinned version): the wrapper chart with the
// upstream chart as its dependency goes through the validators — the
// Helm SDK renders it (checking the values against the chart's own
// values.schema.json where it has one), Helm's lint runs, and every
// rendered object is validated strictly against the Kubernetes 1.35
// schemas and the CRD catalogue. None may have an error finding, and the
// objects must show what the intent asked for.
func TestUpstreamChartsRender(t *testing.T) {
	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range renderCases {
		t.Run(tc.intent, func(t *testing.T) {
			plan, err := planner.Parse(tc.intent, planner.Hints{Format: "helm"})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if plan.Chart == nil {
				t.Fatalf("%q is not a catalogue chart: %s", tc.intent, plan.Summary())
			}
			pinned, err := os.ReadFile(filepath.Join("testdata", "charts", plan.Chart.Chart, "Chart.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var meta struct{ Version string }
			if err := yaml.Unmarshal(pinned, &meta); err != nil {
				t.Fatal(err)
			}
			if meta.Version != plan.Chart.Version {
				t.Fatalf("testdata holds %s %s, the catalogue pins %s", plan.Chart.Chart, meta.Version, plan.Chart.Version)
			}
			files, err := plan.ChartFiles(false, planner.ChartSource{})
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, upstream(t, plan.Chart.Chart)...)
			root := "apps/" + plan.App
			for i := range files {
				files[i].Path = path.Join(root, files[i].Path)
			}
			rendered, rep, err := v.RenderAndCheck(context.Background(), files, validators.RenderOptions{}, validators.CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if f.Severity >= validators.SeverityError {
					t.Errorf("finding: %s", f)
				}
			}
			for _, c := range rep.Checks {
				if (c.Name == "render" || c.Name == "schema") && (c.Status != validators.CheckPassed || c.Skipped != 0) {
					t.Errorf("check %s: %+v, want passed with nothing skipped", c.Name, c)
				}
			}
			objs := objects(t, rendered.Objects)
			if len(objs) == 0 {
				t.Fatal("nothing rendered")
			}
			for _, w := range tc.want {
				if !holds(objs, w) {
					t.Errorf("rendered objects do not show %s", w)
				}
			}
		})
	}
}

func objects(t *testing.T, files []workspace.File) []map[string]any {
	var out []map[string]any
	for _, f := range files {
		for _, d := range strings.Split(string(f.Content), "\n---") {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(d), &m); err == nil && m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// holds checks "Kind" (an object of the kind exists) or
// "Kind/field=value": an object of the kind has, at any depth, the field
// (replicas, host, storage, cpu, memory; secret for an existingSecret or
// secretKeyRef/secretName name; tls for a TLS secretName) with the value.
func holds(objs []map[string]any, want string) bool {
	kind, check, _ := strings.Cut(want, "/")
	field, value, _ := strings.Cut(check, "=")
	keys := map[string]string{"replicas": "replicas", "host": "host", "storage": "storage", "cpu": "cpu", "memory": "memory", "secret": "name secretName", "tls": "secretName"}
	for _, o := range objs {
		if o["kind"] != kind {
			continue
		}
		if check == "" {
			return true
		}
		found := false
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, sub := range x {
					if slices.Contains(strings.Fields(keys[field]), k) && fmt.Sprint(sub) == value {
						found = true
					}
					walk(sub)
				}
			case []any:
				for _, sub := range x {
					walk(sub)
				}
			}
		}
		walk(o)
		if found {
			return true
		}
	}
	return false
}

// TestSchemasShipSmall keeps the pruned values schemas small and
// checks each belongs to a catalogue entry.
func TestSchemasShipSmall(t *testing.T) {
	entries, err := os.ReadDir("schemas")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if _, ok := catalog.Lookup(name); !ok {
			t.Errorf("schemas/%s belongs to no catalogue entry", e.Name())
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		total += int(info.Size())
	}
	if total > 32<<10 {
		t.Errorf("the shipped schemas take %d bytes, want at most 32KiB", total)
	}
}
