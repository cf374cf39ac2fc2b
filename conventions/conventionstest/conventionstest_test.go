package conventionstest

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

const app = `apiVersion: v1
kind: ConfigMap
metadata: {name: web-settings}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: apps}
spec:
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      imagePullSecrets: [{name: registry}]
      volumes:
        - {name: a, configMap: {name: web-settings}}
        - {name: b, secret: {secretName: web-tls}}
        - name: c
          projected: {sources: [{configMap: {name: web-settings}}]}
      containers:
        - name: web
          image: nginx:1.27
          env: [{name: A, valueFrom: {configMapKeyRef: {name: web-settings, key: a}}}]
          envFrom: [{secretRef: {name: web-env}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: web}, maxReplicas: 3}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{secretName: web-tls}]
  rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: cache, namespace: apps}
spec:
  chart: {spec: {chart: redis, sourceRef: {kind: HelmRepository, name: bitnami, namespace: flux-system}}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: bitnami, namespace: flux-system}
spec: {url: https://charts.bitnami.com/bitnami}
`

// TestReferences: a consistent set of objects passes; breaking each kind
// of reference is reported.
func TestReferences(t *testing.T) {
	external := []string{"Secret/registry", "Secret/web-tls", "Secret/web-env"}
	got, err := References([]workspace.File{{Path: "app.yaml", Content: []byte(app)}}, external...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		t.Errorf("consistent objects: %s", p)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"serviceName: web", "serviceName: web-headless", "spec.serviceName names Service web-headless"},
		{"serviceAccountName: web", "serviceAccountName: other", "serviceAccountName names ServiceAccount other"},
		{"configMap: {name: web-settings}}\n        - {name: b", "configMap: {name: settings}}\n        - {name: b", "volumes[0].configMap names ConfigMap settings"},
		{"projected: {sources: [{configMap: {name: web-settings}}]}", "projected: {sources: [{configMap: {name: x}}]}", "volumes[2].projected.sources[0].configMap names ConfigMap x"},
		{"configMapKeyRef: {name: web-settings", "configMapKeyRef: {name: y", "containers[0].env[0] names ConfigMap y"},
		{"secretRef: {name: web-env}", "secretRef: {name: z}", "containers[0].envFrom[0] names Secret z"},
		{"kind: StatefulSet, name: web}", "kind: StatefulSet, name: api}", "spec.scaleTargetRef names StatefulSet api"},
		{"service: {name: web, port", "service: {name: api, port", "backend names Service api"},
		{"spec: {selector: {app: web}, ports", "spec: {selector: {app: api}, ports", "Service/web: selector map[app:api] matches no pod template"},
		{"matchLabels: {app: web}}}\n---\napiVersion: autoscaling", "matchLabels: {app: api}}}\n---\napiVersion: autoscaling", "PodDisruptionBudget/web: selector map[app:api] matches no pod template"},
		{"name: bitnami, namespace: flux-system}}}", "name: bitnami}}}", "sourceRef names HelmRepository apps/bitnami"},
	} {
		broken := strings.Replace(app, tc.from, tc.to, 1)
		if broken == app {
			t.Fatalf("%q not in the objects", tc.from)
		}
		got, err := References([]workspace.File{{Path: "app.yaml", Content: []byte(broken)}}, external...)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !strings.Contains(got[0], tc.want) {
			t.Errorf("after %q → %q: got %q, want one problem holding %q", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestRender renders a chart as the HelmRelease beside it installs it.
func TestRender(t *testing.T) {
	files := []workspace.File{
		{Path: "apps/web/Chart.yaml", Content: []byte("apiVersion: v2\nname: web\nversion: 0.1.0\n")},
		{Path: "apps/web/values.yaml", Content: []byte("{}\n")},
		{Path: "apps/web/templates/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n")},
		{Path: "apps/web/helmrelease.yaml", Content: []byte("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: prod-web\n  namespace: apps\nspec:\n  chart:\n    spec:\n      chart: ./apps/web\n")},
		{Path: "apps/web/kustomization.yaml", Content: []byte("resources: [helmrelease.yaml]\n")},
	}
	got, err := Render(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range got {
		paths = append(paths, f.Path)
		if f.Path == "apps/web/templates/cm.yaml" && !strings.Contains(string(f.Content), "name: prod-web\n  namespace: apps") {
			t.Errorf("chart not rendered as the HelmRelease installs it:\n%s", f.Content)
		}
	}
	if strings.Join(paths, " ") != "apps/web/helmrelease.yaml apps/web/templates/cm.yaml" {
		t.Errorf("objects from %v", paths)
	}
}
