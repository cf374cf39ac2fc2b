package change

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden diffs in testdata/diffs")

// corpusCase is one change intent on one input app.
type corpusCase struct {
	name   string
	app    string // folder under testdata/apps
	root   string // where the app sits in the repository
	intent string
	env    string
	// targets are the texts of the lines the change targets: every line
	// the diff removes must hold one of them.
	targets []string
}

// Corpus is the change corpus of the built-in author; each case's golden
// diff is testdata/diffs/<name>.diff. generator's tests run the same cases
// through the engine, with render and checks.
var Corpus = []corpusCase{
	// Helm: a chart the planner wrote (web service with an Ingress host).
	{name: "helm-api-bump-image", app: "helm-api", root: "apps/api", intent: "bump the api image to 1.5.0", targets: []string{`tag: "1.4.2"`}},
	{name: "helm-api-hpa", app: "helm-api", root: "apps/api", intent: "add an HPA to the api: between 2 and 6 replicas at 75% CPU",
		targets: []string{"enabled: false", "maxReplicas: 5", "targetCPUUtilizationPercentage: 80"}},
	{name: "helm-api-replicas", app: "helm-api", root: "apps/api", intent: "scale the api to 6 replicas", targets: []string{"replicaCount: 3"}},
	{name: "helm-api-replicas-production", app: "helm-api", root: "apps/api", intent: "5 replicas in production", targets: []string{"replicaCount: 4"}},
	{name: "helm-api-secret-env", app: "helm-api", root: "apps/api", intent: "take DATABASE_URL from the secret api-db", targets: []string{"env: []"}},
	{name: "helm-api-configmap-env", app: "helm-api", root: "apps/api", intent: "take FEATURE_FLAGS from the configmap api-flags key flags.json", targets: []string{"env: []"}},
	{name: "helm-api-literal-env", app: "helm-api", root: "apps/api", intent: "set LOG_LEVEL to debug", targets: []string{"env: []"}},
	{name: "helm-api-limits", app: "helm-api", root: "apps/api", intent: "set the memory limit to 1Gi and the cpu limit to 2", targets: []string{"cpu: 500m", "memory: 256Mi"}},
	{name: "helm-api-host", app: "helm-api", root: "apps/api", intent: "expose the api at api.acme.io with TLS", targets: []string{`host: "api.example.com"`}},
	{name: "helm-api-netpol", app: "helm-api", root: "apps/api", intent: "allow traffic to the api only from the namespace frontend"},
	{name: "helm-api-full-image", app: "helm-api", root: "apps/api", intent: "use image ghcr.io/acme/api-v2:2.0.0", targets: []string{"repository: ghcr.io/acme/api", `tag: "1.4.2"`}},
	{name: "helm-api-production-resources", app: "helm-api", root: "apps/api", intent: "cpu request 500m in production", targets: []string{"requests: {cpu: 250m, memory: 256Mi}"}},
	// Helm: a chart written by hand (helpers, odd quoting, flow style).
	{name: "helm-shop-tag", app: "helm-shop", root: "apps/shop", intent: "update the shop image tag to 2024.12", targets: []string{"image: 'registry.acme.io/web/shop:2024.11'"}},
	{name: "helm-shop-hpa", app: "helm-shop", root: "apps/shop", intent: "add an HPA between 3 and 10 replicas at 60% cpu", targets: []string{"replicas: {{ .Values.replicaCount }}"}},
	{name: "helm-shop-ingress", app: "helm-shop", root: "apps/shop", intent: "expose the shop at shop.acme.io with TLS"},
	{name: "helm-shop-pdb", app: "helm-shop", root: "apps/shop", intent: "add a PodDisruptionBudget with min available 1"},
	{name: "helm-shop-netpol-label", app: "helm-shop", root: "apps/shop", intent: "add a network policy allowing traffic from pods labelled app=gateway"},
	{name: "helm-shop-resources", app: "helm-shop", root: "apps/shop", intent: "requests of 250m cpu and 512Mi memory", targets: []string{"resources: {}"}},
	{name: "helm-shop-env-replace", app: "helm-shop", root: "apps/shop", intent: "set LOG_LEVEL to warn", targets: []string{"- name: LOG_LEVEL", "value: info"}},
	{name: "helm-shop-env-remove", app: "helm-shop", root: "apps/shop", intent: "remove NODE_ENV", targets: []string{"- name: NODE_ENV", `value: "production"`}},
	{name: "helm-shop-secret-env-key", app: "helm-shop", root: "apps/shop", intent: "take STRIPE_KEY from secret shop-payments key api-key"},
	// Helm: a chart without helpers.
	{name: "helm-worker-hpa", app: "helm-worker", root: "apps/queue-worker", intent: "add autoscaling from 2 to 8 replicas", targets: []string{"replicas: {{ .Values.replicas }}"}},
	{name: "helm-worker-tag", app: "helm-worker", root: "apps/queue-worker", intent: "bump the image tag to v3.3.0", targets: []string{"tag: v3.2.1"}},
	{name: "helm-worker-env", app: "helm-worker", root: "apps/queue-worker", intent: "take AMQP_URL from the secret rabbitmq key uri", targets: []string{"env: []"}},
	// Helm: the planner's cron job and Redis.
	{name: "helm-cron-schedule", app: "helm-cron", root: "apps/report", intent: "run it every day at 04:30", targets: []string{`schedule: "0 3 * * *"`}},
	{name: "helm-redis-storage", app: "helm-redis", root: "clusters/production/apps/redis", intent: "increase the storage to 20Gi", targets: []string{"size: 8Gi"}},
	{name: "helm-redis-hpa-refused-words", app: "helm-redis", root: "clusters/production/apps/redis", intent: "set the redis memory request to 512Mi", targets: []string{"memory: 256Mi"}},
	// Kustomize: the planner's base and overlays.
	{name: "kust-api-replicas-production", app: "kust-api", root: "apps/api", intent: "5 replicas in production"},
	{name: "kust-api-image-staging", app: "kust-api", root: "apps/api", intent: "bump the image to 1.5.0-rc.1 in staging"},
	{name: "kust-api-image-base", app: "kust-api", root: "apps/api", intent: "bump the api image to 1.5.0", targets: []string{`image: "ghcr.io/acme/api:1.4.2"`}},
	{name: "kust-api-secret-env", app: "kust-api", root: "apps/api", intent: "take DATABASE_URL from the secret api-db"},
	{name: "kust-api-hpa", app: "kust-api", root: "apps/api", intent: "add an HPA to the api: between 2 and 6 replicas at 75% CPU"},
	{name: "kust-api-ingress", app: "kust-api", root: "apps/api", intent: "expose it at api.acme.io with TLS"},
	{name: "kust-api-env-production", app: "kust-api", root: "apps/api", intent: "set LOG_LEVEL to debug in production"},
	// Kustomize: written by hand.
	{name: "kust-web-replicas-prod", app: "kust-web", root: "apps/web", intent: "5 replicas in prod", targets: []string{"value: 3"}},
	{name: "kust-web-image-dev", app: "kust-web", root: "apps/web", intent: "bump nginx image to 1.27.4 in dev", targets: []string{`newTag: "1.27.3"`}},
	{name: "kust-web-limits", app: "kust-web", root: "apps/web", intent: "cpu limit to 500m", targets: []string{"memory: 128Mi   # hand"}},
	{name: "kust-web-env-replace", app: "kust-web", root: "apps/web", intent: "set GREETING to hi", targets: []string{`- name: "GREETING"`, "value: 'hello'"}},
	{name: "kust-web-pdb", app: "kust-web", root: "apps/web", intent: "add a pod disruption budget", targets: []string{"- service.yaml"}},
	{name: "kust-web-resources-prod", app: "kust-web", root: "apps/web", intent: "memory request 256Mi in prod"},
	// A Flux HelmRelease.
	{name: "hr-podinfo-replicas", app: "hr-podinfo", root: "apps/podinfo", intent: "4 replicas", targets: []string{"replicaCount: 2"}},
	{name: "hr-podinfo-chart", app: "hr-podinfo", root: "apps/podinfo", intent: "upgrade the podinfo chart to 6.8.0", targets: []string{`version: "6.7.1"`}},
	{name: "hr-podinfo-tag", app: "hr-podinfo", root: "apps/podinfo", intent: "bump the image tag to 6.8.0", targets: []string{"tag: 6.7.1"}},
	// Terraform: the planner's S3 module.
	{name: "tf-s3-lifecycle", app: "tf-s3", root: "infra/logs", intent: "add a lifecycle rule that deletes objects after 90 days"},
	{name: "tf-s3-glacier", app: "tf-s3", root: "infra/logs", intent: "move objects to glacier after 30 days"},
	{name: "tf-s3-versioning-off", app: "tf-s3", root: "infra/logs", intent: "suspend versioning", targets: []string{`status = "Enabled"`}},
	{name: "tf-s3-tags", app: "tf-s3", root: "infra/logs", intent: "tag it with team=payments", targets: []string{`"managed-by"`, `"environment"`}},
	{name: "tf-s3-region", app: "tf-s3", root: "infra/logs", intent: "move the bucket to eu-central-1", targets: []string{`default     = "us-east-1"`}},
	// Terraform: written by hand.
	{name: "tf-assets-lifecycle", app: "tf-assets", root: "infra/assets", intent: "add a lifecycle rule that deletes objects after 90 days"},
	{name: "tf-assets-versioning", app: "tf-assets", root: "infra/assets", intent: "enable versioning"},
	{name: "tf-assets-tags", app: "tf-assets", root: "infra/assets", intent: "tag the bucket with cost-center=cc-42", targets: []string{`Name  = "acme-static-assets"`, `Owner = "web"`}},
	{name: "tf-assets-region", app: "tf-assets", root: "infra/assets", intent: "move it to eu-central-1", targets: []string{`region = "eu-west-1"`}},
	{name: "tf-gcs-lifecycle", app: "tf-gcs", root: "infra/backups", intent: "delete objects after 365 days"},
	{name: "tf-gcs-versioning", app: "tf-gcs", root: "infra/backups", intent: "turn on versioning"},
}

// LoadApp reads an input app of the corpus, placed at root.
func loadApp(t testing.TB, app, root string) []workspace.File {
	t.Helper()
	dir := filepath.Join("testdata", "apps", app)
	var files []workspace.File
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, workspace.File{Path: root + "/" + filepath.ToSlash(rel), Content: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCorpus(t *testing.T) {
	if len(Corpus) < 40 {
		t.Fatalf("the corpus has %d cases, want at least 40", len(Corpus))
	}
	for _, c := range Corpus {
		t.Run(c.name, func(t *testing.T) {
			ws := loadApp(t, c.app, c.root)
			app, ok := Detect(c.root, ws)
			if !ok {
				t.Fatalf("Detect(%s) found no app", c.root)
			}
			res, touched, err := apply(context.Background(), app, Request{Intent: c.intent, Environment: c.env, Workspace: ws})
			if err != nil {
				t.Fatalf("Apply(%q): %v", c.intent, err)
			}
			diff := patch.Unified(ws, res.Files, res.Deleted...)
			golden(t, c.name, diff)
			CheckMinimal(t, ws, res.Files, res.Deleted, diff, c.targets)
			// Every removed line is one an edit replaced.
			for file, lines := range removedLines(diff) {
				set := map[int]bool{}
				for _, n := range touched[file] {
					set[n] = true
				}
				for _, n := range lines {
					if !set[n] {
						t.Errorf("%s:%d was removed but no edit targeted it", file, n)
					}
				}
			}
			if res.Summary == "" || len(res.Understood) == 0 {
				t.Errorf("summary %q, understood %v: want both", res.Summary, res.Understood)
			}
		})
	}
}

// golden compares got with testdata/diffs/<name>.diff.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "diffs", name+".diff")
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("diff differs from %s:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

var hunkRE = regexp.MustCompile(`^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@`)

// removedLines returns, per file, the line numbers (in the old file) of
// the lines a unified diff removes; deleted files are left out.
func removedLines(diff []byte) map[string][]int {
	out := map[string][]int{}
	var file string
	old := 0
	for _, l := range strings.Split(string(diff), "\n") {
		switch {
		case strings.HasPrefix(l, "--- "):
			file = strings.TrimPrefix(strings.TrimPrefix(l, "--- "), "a/")
		case strings.HasPrefix(l, "+++ "):
			if l == "+++ /dev/null" {
				file = ""
			}
		case hunkRE.MatchString(l):
			old, _ = strconv.Atoi(hunkRE.FindStringSubmatch(l)[1])
		case strings.HasPrefix(l, "-") && file != "" && file != "/dev/null":
			out[file] = append(out[file], old)
			old++
		case strings.HasPrefix(l, " "):
			old++
		}
	}
	return out
}

// CheckMinimal asserts what every change must keep: each comment of the
// input survives in the files after the change (deleted files aside), and
// every line the diff removes holds one of targets.
func CheckMinimal(t testing.TB, ws, changed []workspace.File, deleted []string, diff []byte, targets []string) {
	t.Helper()
	after := map[string]string{}
	for _, f := range ws {
		after[f.Path] = string(f.Content)
	}
	for _, f := range changed {
		after[f.Path] = string(f.Content)
	}
	gone := map[string]bool{}
	for _, p := range deleted {
		gone[p] = true
	}
	for _, f := range ws {
		if gone[f.Path] {
			continue
		}
		for i, l := range strings.Split(string(f.Content), "\n") {
			c := commentOf(f.Path, l)
			if c != "" && !strings.Contains(after[f.Path], c) {
				t.Errorf("%s:%d: the comment %q is gone", f.Path, i+1, c)
			}
		}
	}
	for _, l := range removedText(diff) {
		ok := false
		for _, tg := range targets {
			if strings.Contains(l, tg) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("the diff removes %q, which the change did not target", l)
		}
	}
}

// removedText returns the lines a unified diff removes from files it
// keeps (a deleted file's lines aside).
func removedText(diff []byte) []string {
	var out []string
	lines := strings.Split(string(diff), "\n")
	deleting := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "--- "):
			deleting = i+1 < len(lines) && lines[i+1] == "+++ /dev/null"
		case strings.HasPrefix(l, "+++ "):
		case strings.HasPrefix(l, "-") && !deleting:
			out = append(out, l)
		}
	}
	return out
}

// commentOf returns the comment of a line: a YAML or HCL "#" comment, or
// an HCL "//" comment, outside quotes.
func commentOf(path, l string) string {
	s := stripComment(l)
	if len(s) < len(l) {
		return strings.TrimSpace(l[len(s):])
	}
	if strings.HasSuffix(path, ".tf") {
		if i := strings.Index(l, "//"); i >= 0 && !strings.Contains(l[:i], `"`) {
			return strings.TrimSpace(l[i:])
		}
	}
	return ""
}

func TestUnsupported(t *testing.T) {
	for _, c := range []struct{ app, root, intent, want string }{
		{"helm-api", "apps/api", "add a sidecar container running envoy", "sidecar"},
		{"helm-api", "apps/api", "3 replicas in qa", "values-qa.yaml"},
		{"helm-api", "apps/api", "add a PodDisruptionBudget", "already has one"},
		{"kust-api", "apps/api", "add an HPA in production", "change it in the base"},
		{"tf-s3", "infra/logs", "add a DynamoDB table for locks", "DynamoDB"},
		{"helm-redis", "clusters/production/apps/redis", "set the schedule to 0 1 * * *", "no schedule"},
		{"helm-api", "apps/api", "remove the HPA", "already off"},
	} {
		ws := loadApp(t, c.app, c.root)
		app, _ := Detect(c.root, ws)
		_, err := Apply(context.Background(), app, Request{Intent: c.intent})
		var u *UnsupportedError
		if !errors.As(err, &u) {
			t.Errorf("%s: %q: err = %v, want an *UnsupportedError", c.app, c.intent, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || len(u.CanChange) == 0 {
			t.Errorf("%s: %q: %v; want it to name %q and what can change", c.app, c.intent, err, c.want)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		app, root string
		want      Kind
	}{
		{"helm-api", "apps/api", KindHelm},
		{"kust-api", "apps/api", KindKustomize},
		{"kust-web", "apps/web", KindKustomize},
		{"hr-podinfo", "apps/podinfo", KindHelmRelease},
		{"tf-s3", "infra/logs", KindTerraform},
		{"tf-gcs", "infra/backups", KindTerraform},
	} {
		app, ok := Detect(c.root, loadApp(t, c.app, c.root))
		if !ok || app.Kind != c.want || app.Root != c.root {
			t.Errorf("Detect(%s) = %+v, %v; want %s", c.root, app, ok, c.want)
		}
	}
	if _, ok := Detect("apps/api", loadApp(t, "helm-api", "apps/other")); ok {
		t.Error("Detect found an app in an empty folder")
	}
	if app, ok := Detect("apps/api/templates", loadApp(t, "helm-api", "apps/api")); ok {
		t.Errorf("Detect found %s in a chart's templates folder", app.Kind)
	}
}
