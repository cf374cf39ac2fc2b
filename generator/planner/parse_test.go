package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		intent    string
		hints     Hints
		blueprint string
		app       string
		env       string
		facts     []Fact // must all be in Understood (From compared when set)
		ignored   []string
		check     func(t *testing.T, p *Plan)
	}{
		{
			name:      "headline redis sentinel",
			intent:    "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production",
			blueprint: BlueprintRedisSentinel, app: "redis", env: "production",
			facts: []Fact{
				{Key: "component", Value: "redis", From: "Redis cluster"},
				{Key: "replicas", Value: "3", From: "3 replicas"},
				{Key: "persistence", Value: "true", From: "persistent storage"},
				{Key: "failover", Value: "true", From: "automatic failover"},
				{Key: "environment", Value: "production", From: "in production"},
				{Key: "image", Value: "redis:7.4.6", From: "(default)"},
				{Key: "storage", Value: "8Gi", From: "(default)"},
			},
			check: func(t *testing.T, p *Plan) {
				if got, want := p.Summary(), "Redis with Sentinel failover, 3 replicas, 8Gi persistent storage, environment production"; got != want {
					t.Errorf("Summary() = %q, want %q", got, want)
				}
			},
		},
		{
			name:      "redis single cache",
			intent:    "a redis cache for the checkout team",
			blueprint: BlueprintRedis, app: "redis",
			facts: []Fact{{Key: "team", Value: "checkout", From: "for the checkout team"}, {Key: "replicas", Value: "1"}},
			check: func(t *testing.T, p *Plan) {
				if p.Persistence || p.Failover {
					t.Errorf("persistence, failover = %v, %v; want false, false", p.Persistence, p.Failover)
				}
			},
		},
		{
			name:      "redis sentinel word",
			intent:    "redis with sentinel",
			blueprint: BlueprintRedisSentinel,
			facts:     []Fact{{Key: "failover", Value: "true", From: "sentinel"}, {Key: "replicas", Value: "3", From: "(default)"}},
		},
		{
			name:      "redis replicas without failover get sentinel",
			intent:    "redis with three instances",
			blueprint: BlueprintRedisSentinel,
			facts:     []Fact{{Key: "replicas", Value: "3", From: "three instances"}},
		},
		{
			name:      "environment from a clusters folder below the root",
			intent:    "redis",
			hints:     Hints{TargetPath: "tmp/gitops/clusters/staging/apps/cache"},
			blueprint: BlueprintRedis, app: "cache", env: "staging",
			facts: []Fact{{Key: "environment", Value: "staging", From: "(target path tmp/gitops/clusters/staging/apps/cache)"}},
		},
		{
			name:      "redis storage size implies persistence",
			intent:    "redis with 20Gi storage",
			hints:     Hints{TargetPath: "clusters/staging/apps/sessions"},
			blueprint: BlueprintRedis, app: "sessions", env: "staging",
			facts: []Fact{{Key: "storage", Value: "20Gi", From: "20Gi storage"}, {Key: "environment", Value: "staging", From: "(target path clusters/staging/apps/sessions)"}},
			check: func(t *testing.T, p *Plan) {
				if !p.Persistence || p.Storage != "20Gi" {
					t.Errorf("persistence %v %q, want true 20Gi", p.Persistence, p.Storage)
				}
			},
		},
		{
			name:      "postgres with GB",
			intent:    "a PostgreSQL database with 50 GB of storage in prod",
			blueprint: BlueprintPostgreSQL, app: "postgresql", env: "production",
			facts: []Fact{{Key: "storage", Value: "50Gi", From: "50 GB of storage"}, {Key: "environment", Value: "production", From: "in prod"}, {Key: "image", Value: "postgres:17.6"}},
		},
		{
			name:      "web api with everything",
			intent:    "deploy an API with image ghcr.io/acme/api:1.4.2 on port 3000 exposed at api.example.com with TLS, autoscale between 2 and 10 replicas at 70% CPU, 1 CPU and 2Gi memory, for the payments team in production",
			blueprint: BlueprintWeb, app: "api", env: "production",
			facts: []Fact{
				{Key: "image", Value: "ghcr.io/acme/api:1.4.2", From: "image ghcr.io/acme/api:1.4.2"},
				{Key: "port", Value: "3000", From: "on port 3000"},
				{Key: "host", Value: "api.example.com", From: "exposed at api.example.com"},
				{Key: "tls", Value: "true", From: "TLS"},
				{Key: "autoscaling", Value: "2-10 replicas at 70% CPU", From: "autoscale between 2 and 10 replicas at 70% CPU"},
				{Key: "resources", Value: "cpu 1", From: "1 CPU"},
				{Key: "resources", Value: "memory 2Gi", From: "2Gi memory"},
				{Key: "team", Value: "payments", From: "for the payments team"},
			},
			check: func(t *testing.T, p *Plan) {
				if p.Autoscaling == nil || *p.Autoscaling != (Autoscaling{Min: 2, Max: 10, CPU: 70}) {
					t.Errorf("autoscaling = %+v, want 2-10 at 70%%", p.Autoscaling)
				}
				if p.Ingress == nil || *p.Ingress != (Ingress{Host: "api.example.com", TLS: true}) {
					t.Errorf("ingress = %+v, want api.example.com with TLS", p.Ingress)
				}
				if p.Resources != (Resources{CPURequest: "1", CPULimit: "1", MemoryRequest: "2Gi", MemoryLimit: "2Gi"}) {
					t.Errorf("resources = %+v", p.Resources)
				}
			},
		},
		{
			name:      "web default port and production replicas",
			intent:    "a website using image ghcr.io/acme/site:3.1.0 in production",
			blueprint: BlueprintWeb, app: "site", env: "production",
			facts: []Fact{{Key: "port", Value: "8080", From: "(default)"}, {Key: "replicas", Value: "2", From: "(default)"}},
		},
		{
			name:      "https url gives host and tls",
			intent:    "a frontend with image ghcr.io/acme/shop:2.0.0 served at https://shop.example.com",
			blueprint: BlueprintWeb, app: "shop",
			facts: []Fact{{Key: "host", Value: "shop.example.com"}, {Key: "tls", Value: "true"}},
		},
		{
			name:      "autoscaling without bounds",
			intent:    "backend service image ghcr.io/acme/orders:1.0.0 with autoscaling",
			blueprint: BlueprintWeb,
			facts:     []Fact{{Key: "autoscaling", Value: "enabled", From: "with autoscaling"}, {Key: "autoscaling", Value: "min 2", From: "(default)"}},
		},
		{
			name:      "worker with count",
			intent:    "4 workers with image ghcr.io/acme/jobs:2.0.1 and 500m cpu",
			blueprint: BlueprintWorker, app: "jobs",
			facts: []Fact{{Key: "replicas", Value: "4", From: "4 workers"}, {Key: "resources", Value: "cpu 500m", From: "500m cpu"}},
		},
		{
			name:      "queue consumer",
			intent:    "a queue consumer running ghcr.io/acme/billing-consumer:0.9.1 for the billing team",
			blueprint: BlueprintWorker, app: "billing-consumer",
			facts: []Fact{{Key: "component", Value: "worker", From: "queue consumer"}, {Key: "team", Value: "billing"}},
		},
		{
			name:      "cron job at night",
			intent:    "a cron job running ghcr.io/acme/backup:1.0.0 every night at 2am",
			blueprint: BlueprintCronJob, app: "backup",
			facts: []Fact{{Key: "schedule", Value: "0 2 * * *", From: "every night at 2am"}},
		},
		{
			name:      "cron every 15 minutes",
			intent:    "scheduled job with image ghcr.io/acme/sync:1.2.0 every 15 minutes",
			blueprint: BlueprintCronJob,
			facts:     []Fact{{Key: "schedule", Value: "*/15 * * * *", From: "every 15 minutes"}},
		},
		{
			name:      "cron hourly",
			intent:    "hourly cron job, image ghcr.io/acme/report:4.0.0",
			blueprint: BlueprintCronJob,
			facts:     []Fact{{Key: "schedule", Value: "0 * * * *", From: "hourly"}},
		},
		{
			name:      "cron expression",
			intent:    "cronjob with image ghcr.io/acme/cleanup:1.0.0 on 0 3 * * *",
			blueprint: BlueprintCronJob,
			facts:     []Fact{{Key: "schedule", Value: "0 3 * * *"}},
		},
		{
			name:      "cron weekday with pm time",
			intent:    "run image ghcr.io/acme/digest:1.1.0 every monday at 9:30 pm UTC",
			blueprint: BlueprintCronJob,
			facts:     []Fact{{Key: "schedule", Value: "30 21 * * 1", From: "every monday at 9:30 pm"}, {Key: "schedule", Value: "time zone Etc/UTC"}},
		},
		{
			name:      "image with port is web-like",
			intent:    "run image nginxinc/nginx-unprivileged:1.27.3 on port 8080",
			blueprint: BlueprintImage, app: "nginx-unprivileged",
			facts: []Fact{{Key: "image", Value: "nginxinc/nginx-unprivileged:1.27.3"}, {Key: "port", Value: "8080"}},
		},
		{
			name:      "bare image reference",
			intent:    "deploy nginx:1.27",
			blueprint: BlueprintImage, app: "nginx",
			facts: []Fact{{Key: "image", Value: "nginx:1.27", From: "nginx:1.27"}},
		},
		{
			name:      "latest tag kept with a note",
			intent:    "run image ghcr.io/acme/tool:latest",
			blueprint: BlueprintImage,
			facts:     []Fact{{Key: "image", Value: "ghcr.io/acme/tool:latest"}, {Key: "note", Value: "tag latest"}},
			check: func(t *testing.T, p *Plan) {
				if p.Image.Tag != "latest" || len(p.Notes) == 0 {
					t.Errorf("tag %q notes %q, want latest kept and a note", p.Image.Tag, p.Notes)
				}
			},
		},
		{
			name:      "untagged image kept untagged",
			intent:    "run image ghcr.io/acme/tool",
			blueprint: BlueprintImage,
			facts:     []Fact{{Key: "note", Value: "no tag"}},
			check: func(t *testing.T, p *Plan) {
				if p.Image.Tag != "" {
					t.Errorf("tag = %q, want none invented", p.Image.Tag)
				}
			},
		},
		{
			name:      "named app and hints",
			intent:    "a web app called storefront with image ghcr.io/acme/store:5.0.0",
			hints:     Hints{Environment: "staging", TargetPath: "clusters/staging/apps/shop"},
			blueprint: BlueprintWeb, app: "storefront", env: "staging",
			facts: []Fact{{Key: "name", Value: "storefront", From: "called storefront"}, {Key: "environment", Value: "staging", From: "(hint)"}},
		},
		{
			name:      "filler words are listed as not used",
			intent:    "a simple redis for our kubernetes cluster please",
			blueprint: BlueprintRedis,
			ignored:   []string{"simple", "kubernetes", "cluster"},
		},
		{
			name:      "dev environment",
			intent:    "redis in the development environment",
			blueprint: BlueprintRedis, env: "dev",
			facts: []Fact{{Key: "environment", Value: "dev", From: "in the development environment"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.intent, tc.hints)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.intent, err)
			}
			if p.Blueprint != tc.blueprint {
				t.Errorf("blueprint = %q, want %q", p.Blueprint, tc.blueprint)
			}
			if tc.app != "" && p.App != tc.app {
				t.Errorf("app = %q, want %q", p.App, tc.app)
			}
			if p.Environment != tc.env {
				t.Errorf("environment = %q, want %q", p.Environment, tc.env)
			}
			for _, want := range tc.facts {
				if !slices.ContainsFunc(p.Understood, func(f Fact) bool {
					return f.Key == want.Key && f.Value == want.Value && (want.From == "" || f.From == want.From)
				}) {
					t.Errorf("understood lacks %s; got %v", want, p.Understood)
				}
			}
			if !slices.Equal(p.Ignored, tc.ignored) {
				t.Errorf("ignored = %q, want %q", p.Ignored, tc.ignored)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		intent string
		is     error
		says   []string // words the message must contain
	}{
		{name: "cassandra", intent: "set up a Cassandra cluster", is: ErrNotCovered, says: []string{`"Cassandra"`, "not in the built-in planner's catalog", "image", "model"}},
		{name: "vague", intent: "make it faster", is: ErrNotCovered, says: []string{`"faster"`, "does not understand"}},
		{name: "a word that may carry a requirement", intent: "a shiny redis with sparkles", is: ErrNotCovered, says: []string{`"shiny", "sparkles"`}},
		{name: "redis two replicas with failover", intent: "Redis with two replicas and automatic failover", is: ErrNotCovered, says: []string{"quorum", "3"}},
		{name: "postgres replicas", intent: "highly available postgres with 3 replicas", is: ErrNotCovered, says: []string{"operator"}},
		{name: "mongodb with redis", intent: "redis and mongodb", is: ErrNotCovered, says: []string{"one component", "mongodb"}},
		{name: "two components", intent: "redis and postgres", is: ErrNotCovered, says: []string{"one component", "redis and postgresql"}},
		{name: "empty", intent: "   ", is: ErrNotCovered, says: []string{"names nothing"}},
		{name: "web without image", intent: "a web service with 3 replicas", is: ErrIncomplete, says: []string{"needs an image"}},
		{name: "cron without schedule", intent: "a cron job with image ghcr.io/acme/backup:1.0.0", is: ErrIncomplete, says: []string{"schedule"}},
		{name: "image exposed without port", intent: "run image ghcr.io/acme/site:1.0.0 exposed at site.example.com", is: ErrIncomplete, says: []string{"port"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.intent, Hints{})
			if !errors.Is(err, tc.is) {
				t.Fatalf("Parse(%q) = %+v, %v; want an error wrapping %v", tc.intent, p, err, tc.is)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestParsePerEnvironment: amounts stated for one environment land in
// that environment's override, and "and 1 in staging" continues the
// nearest amount before it.
func TestParsePerEnvironment(t *testing.T) {
	res := func(cpu, mem string) *Resources {
		return &Resources{CPURequest: cpu, CPULimit: cpu, MemoryRequest: mem, MemoryLimit: mem}
	}
	tests := []struct {
		name     string
		intent   string
		hints    Hints
		envs     []string
		want     map[string]Override
		base     Resources // the plan's own resources
		replicas int
		facts    []Fact
	}{
		{
			name:   "replicas",
			intent: "Deploy a web app with image ghcr.io/acme/web:1.0.0 with 3 replicas in production and 1 in staging",
			envs:   []string{"production", "staging"},
			want:   map[string]Override{"production": {Replicas: 3}, "staging": {Replicas: 1}},
			base:   defaultResources(BlueprintWeb), replicas: 1,
			facts: []Fact{{Key: "replicas", Value: "3 in production", From: "3 replicas in production"}, {Key: "replicas", Value: "1 in staging", From: "and 1 in staging"}},
		},
		{
			name:   "cpu in one environment",
			intent: "a web app with image ghcr.io/acme/web:1.0.0 and 2 CPU in production",
			envs:   []string{"production"},
			want:   map[string]Override{"production": {Resources: res("2", "")}},
			// The one environment named is the plan's: its CPU is the base's.
			base:     Resources{CPURequest: "2", CPULimit: "2", MemoryRequest: "128Mi", MemoryLimit: "256Mi"},
			replicas: 2,
			facts:    []Fact{{Key: "resources", Value: "cpu 2 in production", From: "2 CPU in production"}},
		},
		{
			name:   "cpu and memory continued",
			intent: "a worker with image ghcr.io/acme/jobs:2.0.1, 2 CPUs in production and 500m in staging, 4Gi memory in production and 1Gi in staging, 3 replicas in production and 1 in staging",
			envs:   []string{"production", "staging"},
			want: map[string]Override{
				"production": {Replicas: 3, Resources: res("2", "4Gi")},
				"staging":    {Replicas: 1, Resources: res("500m", "1Gi")},
			},
			base: defaultResources(BlueprintWorker), replicas: 1,
			facts: []Fact{
				{Key: "resources", Value: "cpu 500m in staging", From: "and 500m in staging"},
				{Key: "resources", Value: "memory 1Gi in staging", From: "and 1Gi in staging"},
				{Key: "replicas", Value: "1 in staging", From: "and 1 in staging"},
			},
		},
		{
			name:   "millicores and ram",
			intent: "an api with image ghcr.io/acme/api:1.0.0 with 750 millicores in staging and 1 in production, 512 MB of RAM in staging",
			envs:   []string{"staging", "production"},
			want: map[string]Override{
				"staging":    {Resources: &Resources{CPURequest: "750m", CPULimit: "750m", MemoryRequest: "512Mi", MemoryLimit: "512Mi"}},
				"production": {Resources: res("1", "")},
			},
			base: defaultResources(BlueprintWeb), replicas: 1,
		},
		{
			name:   "intent on top of the generation config",
			intent: "a web app with image ghcr.io/acme/web:1.0.0 with 2 CPU in production",
			hints: Hints{Format: "kustomize", TargetPath: "apps/web", Environments: []string{"production", "staging"}, Resources: map[string]Resources{
				"production": {CPURequest: "250m", CPULimit: "1", MemoryRequest: "256Mi", MemoryLimit: "512Mi"},
				"default":    {CPURequest: "50m", CPULimit: "500m", MemoryRequest: "64Mi", MemoryLimit: "256Mi"},
			}},
			envs: []string{"production"},
			want: map[string]Override{"production": {Resources: &Resources{CPURequest: "2", CPULimit: "2", MemoryRequest: "256Mi", MemoryLimit: "512Mi"}}},
			base: Resources{CPURequest: "2", CPULimit: "2", MemoryRequest: "128Mi", MemoryLimit: "256Mi"}, replicas: 2,
		},
		{
			name:   "environment of a cluster folder",
			intent: "a web app with image ghcr.io/acme/web:1.0.0",
			hints:  Hints{Format: "kustomize", TargetPath: "clusters/staging/apps/web", Environments: []string{"production", "staging"}},
			envs:   []string{"staging"},
			want:   nil,
			base:   defaultResources(BlueprintWeb), replicas: 1,
			facts: []Fact{{Key: "environment", Value: "staging", From: "(target path clusters/staging/apps/web)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.intent, tt.hints)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.intent, err)
			}
			if !slices.Equal(p.Environments, tt.envs) {
				t.Errorf("environments = %q, want %q", p.Environments, tt.envs)
			}
			if len(p.PerEnvironment) != len(tt.want) {
				t.Errorf("per environment = %+v, want %+v", p.PerEnvironment, tt.want)
			}
			for env, want := range tt.want {
				got := p.PerEnvironment[env]
				if got.Replicas != want.Replicas || got.Host != want.Host || (got.Resources == nil) != (want.Resources == nil) ||
					got.Resources != nil && *got.Resources != *want.Resources {
					t.Errorf("%s: got %+v (resources %+v), want %+v (resources %+v)", env, got, got.Resources, want, want.Resources)
				}
			}
			if p.Resources != tt.base || p.Replicas != tt.replicas {
				t.Errorf("plan resources %+v, replicas %d; want %+v, %d", p.Resources, p.Replicas, tt.base, tt.replicas)
			}
			for _, want := range tt.facts {
				if !slices.ContainsFunc(p.Understood, func(f Fact) bool {
					return f.Key == want.Key && f.Value == want.Value && (want.From == "" || f.From == want.From)
				}) {
					t.Errorf("understood lacks %s; got %v", want, p.Understood)
				}
			}
			if len(p.Ignored) != 0 {
				t.Errorf("ignored %q, want nothing", p.Ignored)
			}
		})
	}
}
