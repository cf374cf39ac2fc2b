package planner

import (
	"context"
	"path"
	"testing"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// chartCases are intents covering every blueprint and its main options
// (single or replicated, persistent or not, ingress with and without TLS,
// autoscaling, schedules in words and as cron). TestChartsValidate proves
// their charts clean; TestHelmGolden keeps them under testdata/golden.
var chartCases = []struct {
	name   string
	intent string
	hints  Hints
}{
	{name: "redis-sentinel", intent: "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production"},
	// Names that YAML 1.1 reads as booleans or numbers must stay strings.
	{name: "web-named-y", intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 exposed at y.example.com", hints: Hints{TargetPath: "apps/y"}},
	{name: "redis-named-on", intent: "redis with 3 replicas and automatic failover", hints: Hints{TargetPath: "apps/on"}},
	{name: "cronjob-named-1", intent: "cron job image ghcr.io/acme/report:1.0.0 every night at 2am", hints: Hints{TargetPath: "apps/1"}},
	{name: "redis-single", intent: "a redis cache for the checkout team in staging"},
	{name: "redis-single-persistent", intent: "redis with 20Gi of persistent storage", hints: Hints{TargetPath: "clusters/dev/apps/sessions"}},
	{name: "redis-sentinel-ephemeral", intent: "highly available redis without persistence, 5 replicas"},
	{name: "postgresql", intent: "a postgres database with 50 GB of storage in production"},
	{name: "web", intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080"},
	{name: "web-ingress-tls-hpa", intent: "deploy an API with image ghcr.io/acme/api:1.4.2 on port 3000 exposed at api.example.com with TLS, autoscale between 2 and 10 replicas at 70% CPU, 1 CPU and 2Gi memory, for the payments team in production"},
	{name: "web-replicated", intent: "a frontend with 3 replicas using image nginxinc/nginx-unprivileged:1.27.3 exposed at shop.example.com"},
	{name: "worker", intent: "a queue worker running ghcr.io/acme/jobs:2.0.1"},
	{name: "worker-replicated", intent: "4 workers with image ghcr.io/acme/jobs:2.0.1 and 500m cpu"},
	{name: "worker-hpa", intent: "a background worker with image ghcr.io/acme/jobs:2.0.1 that autoscales from 2 to 6 pods at 60% CPU in staging"},
	{name: "cronjob", intent: "a cron job running ghcr.io/acme/backup:1.0.0 every night at 2am UTC"},
	{name: "cronjob-expr", intent: "scheduled job with image busybox:1.37.0 at 0 3 * * *"},
	{name: "image-web", intent: "run image nginxinc/nginx-unprivileged:1.27.3 on port 8080"},
	{name: "job", intent: "a Job that runs database migrations with image ghcr.io/acme/migrate:1.0.0 with DATABASE_URL from the secret shop-db"},
	{name: "daemonset", intent: "run ghcr.io/acme/log-shipper:3.1.0 on every node with 200m cpu and settings LOG_LEVEL=info"},
	{name: "web-env-netpol", intent: "a web service ghcr.io/acme/api:1.4.2 with DATABASE_URL from the secret shop-db, env vars from the configmap api-settings, settings LOG_LEVEL=debug and a NetworkPolicy that only allows traffic from the frontend namespace"},
	{name: "statefulset-web", intent: "a web service ghcr.io/acme/api:1.4.2 with 3 replicas and 20Gi of persistent storage mounted at /var/lib/api exposed at api.example.com with TLS"},
	{name: "statefulset-worker", intent: "a statefulset running ghcr.io/acme/indexer:2.1.0 with 10Gi storage"},
	{name: "web-canary", intent: "a web API with image ghcr.io/acme/api:1.5.0 on port 8080 exposed at api.example.com as a canary sending 10% of traffic, autoscaling between 2 and 6"},
	{name: "web-externalsecret", intent: "a web service ghcr.io/acme/api:1.4.2 with DATABASE_URL from the secret store vault-backend at key shop/db and REDIS_PASSWORD from the secret cache-auth key password"},
	{name: "image-worker", intent: "deploy ghcr.io/acme/consumer@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
}

// TestChartsValidate renders, lints and strictly schema-validates
// (Kubernetes 1.35) every chart of chartCases with the validators package;
// none may have an error finding, and the schema check must have looked at
// every object.
func TestChartsValidate(t *testing.T) {
	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("validators.New: %v", err)
	}
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
			// Place the chart as the generator would, under its target folder.
			root := "clusters/test/apps/" + plan.App
			placed := make([]workspace.File, len(files))
			for i, f := range files {
				placed[i] = workspace.File{Path: path.Join(root, f.Path), Content: f.Content}
			}
			rep, err := v.Validate(context.Background(), placed, validators.CheckOptions{})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for _, f := range rep.Findings {
				if f.Severity >= validators.SeverityWarning {
					t.Errorf("finding: %s", f)
				}
			}
			if n := rep.Count(validators.SeverityError); n != 0 {
				t.Errorf("%d error findings, want 0", n)
			}
			checked := map[string]validators.Check{}
			for _, c := range rep.Checks {
				checked[c.Name] = c
			}
			for _, name := range []string{"render", "lint", "schema"} {
				c, ok := checked[name]
				switch {
				case !ok:
					t.Errorf("check %s did not run; checks: %+v", name, rep.Checks)
				case c.Status != validators.CheckPassed || c.Skipped != 0:
					t.Errorf("check %s: %+v, want passed with nothing skipped", name, c)
				}
			}
		})
	}
}
