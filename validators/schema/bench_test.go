package schema

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

var corpusOut = flag.String("corpus-out", "", "write the 1,000-manifest benchmark corpus and its materialized schemas under this folder (TestWriteCorpus)")

var corpusTemplates = []string{
	`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%[1]d
  namespace: team-%[2]d
  labels: {app.kubernetes.io/name: web-%[1]d, app.kubernetes.io/part-of: shop}
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: web-%[1]d}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%%, maxUnavailable: 0}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web-%[1]d}
    spec:
      serviceAccountName: web-%[1]d
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: ghcr.io/acme/web:1.%[1]d.0
          ports: [{name: http, containerPort: 8080, protocol: TCP}]
          env:
            - {name: LOG_LEVEL, value: info}
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 256Mi}
          livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 10}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes: [{name: tmp, emptyDir: {sizeLimit: 64Mi}}]
`,
	`apiVersion: v1
kind: Service
metadata:
  name: web-%[1]d
  namespace: team-%[2]d
  labels: {app.kubernetes.io/name: web-%[1]d}
spec:
  type: ClusterIP
  selector: {app.kubernetes.io/name: web-%[1]d}
  ports:
    - {name: http, port: 80, targetPort: http, protocol: TCP}
    - {name: metrics, port: 9090, targetPort: 9090}
`,
	`apiVersion: v1
kind: ConfigMap
metadata:
  name: web-%[1]d
  namespace: team-%[2]d
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"
  config.yaml: |
    server:
      port: 8080
      id: %[1]d
`,
	`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-%[1]d
  namespace: team-%[2]d
spec:
  serviceName: db-%[1]d
  replicas: 3
  selector:
    matchLabels: {app: db-%[1]d}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  template:
    metadata:
      labels: {app: db-%[1]d}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: redis
          image: redis:7.4.%[2]d
          args: ["--appendonly", "yes"]
          ports: [{name: redis, containerPort: 6379}]
          resources:
            requests: {cpu: 250m, memory: 512Mi}
            limits: {memory: 1Gi}
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: standard
        resources: {requests: {storage: 10Gi}}
`,
}

// corpus returns n manifests, one object per file, cycling through
// Deployments, Services, ConfigMaps and StatefulSets.
func corpus(n int) []workspace.File {
	files := make([]workspace.File, n)
	for i := range files {
		tpl := corpusTemplates[i%len(corpusTemplates)]
		files[i] = workspace.File{
			Path:    fmt.Sprintf("manifests/%04d.yaml", i),
			Content: fmt.Appendf(nil, tpl, i, i%7),
		}
	}
	return files
}

// renderedChart renders helmchart's test chart (ten objects).
func renderedChart(tb testing.TB) []workspace.File {
	tb.Helper()
	dir := filepath.Join("..", "helmchart", "testdata", "web")
	files := workspacetest.Read(tb, dir, "")
	r, err := helmchart.New(helmchart.Options{KubeVersion: "1.35.4"})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := r.Render(context.Background(), files)
	if err != nil || len(res.Messages) > 0 {
		tb.Fatalf("render: %v %+v", err, res.Messages)
	}
	return res.Manifests
}

func mustAllValid(tb testing.TB, rs []Result, want int) {
	tb.Helper()
	if c := count(rs); c != (counts{valid: want}) {
		tb.Fatalf("got %+v, want %d valid:\n%s", c, want, dump(rs))
	}
}

func BenchmarkValidateChart(b *testing.B) {
	files := renderedChart(b)
	v, err := New(Options{Strict: true, CacheDir: b.TempDir(), NoResultCache: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		rs, err := v.Validate(ctx, files)
		if err != nil {
			b.Fatal(err)
		}
		mustAllValid(b, rs, 10)
	}
}

func BenchmarkValidate1000(b *testing.B) {
	files := corpus(1000)
	v, err := New(Options{Strict: true, CacheDir: b.TempDir(), NoResultCache: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		rs, err := v.Validate(ctx, files)
		if err != nil {
			b.Fatal(err)
		}
		mustAllValid(b, rs, 1000)
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkValidateChartRemembered is BenchmarkValidateChart in a new
// process each time (a new validator, so kubeconform compiles every schema
// again) whose objects an earlier run found valid: the results cache
// answers, and kubeconform is not called.
func BenchmarkValidateChartRemembered(b *testing.B) {
	files := renderedChart(b)
	cache := b.TempDir()
	ctx := context.Background()
	for b.Loop() {
		v, err := New(Options{Strict: true, CacheDir: cache})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := v.Validate(ctx, files)
		if err != nil {
			b.Fatal(err)
		}
		mustAllValid(b, rs, 10)
	}
}

// BenchmarkValidateChartNew is the same with the results cache off: a new
// validator compiles the schemas of the chart's kinds and validates.
func BenchmarkValidateChartNew(b *testing.B) {
	files := renderedChart(b)
	cache := b.TempDir()
	ctx := context.Background()
	for b.Loop() {
		v, err := New(Options{Strict: true, CacheDir: cache, NoResultCache: true})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := v.Validate(ctx, files)
		if err != nil {
			b.Fatal(err)
		}
		mustAllValid(b, rs, 10)
	}
}

// BenchmarkFirstValidation measures a cold start: the embedded bundle not
// yet decoded, an empty cache folder, a new validator, then the chart's ten
// objects.
func BenchmarkFirstValidation(b *testing.B) {
	b.Run("chart", func(b *testing.B) { benchmarkFirst(b, renderedChart(b), 10) })
	b.Run("1000", func(b *testing.B) { benchmarkFirst(b, corpus(1000), 1000) })
}

func benchmarkFirst(b *testing.B, files []workspace.File, objects int) {
	base := b.TempDir()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		bundlesOnce, bundles, newest, bundlesErr = sync.Once{}, nil, "", nil
		headsOnce, headsErr = sync.Once{}, nil
		i++
		v, err := New(Options{Strict: true, CacheDir: filepath.Join(base, fmt.Sprint(i)), NoResultCache: true})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := v.Validate(ctx, files)
		if err != nil {
			b.Fatal(err)
		}
		mustAllValid(b, rs, objects)
	}
}

// TestWriteCorpus writes the benchmark corpus for the kubeconform CLI
// comparison in docs/benchmarks.md; it runs only with -corpus-out.
func TestWriteCorpus(t *testing.T) {
	if *corpusOut == "" {
		t.Skip("no -corpus-out")
	}
	files := corpus(1000)
	for _, f := range files {
		p := filepath.Join(*corpusOut, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v, err := New(Options{Strict: true, CacheDir: filepath.Join(*corpusOut, "schemas")})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Validate(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	mustAllValid(t, rs, len(files))
	t.Logf("schema location: %s", filepath.Join(v.dir, "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}", "{{ .ResourceKind }}{{ .KindSuffix }}.json"))
}
