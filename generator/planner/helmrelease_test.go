package planner

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators"
)

func TestHelmReleaseValidates(t *testing.T) {
	v, err := validators.New(validators.Options{KubernetesVersion: "1.35.4", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, intent string
		up           Upstream
		src          ChartSource
		want         []string
	}{
		{
			name:   "redis sentinel",
			intent: "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production",
			up:     Upstream{Repository: "https://charts.bitnami.com/bitnami", Chart: "redis", Version: "19.6.x"},
			want:   []string{`version: "19.6.x"`, "architecture: replication", "replicaCount: 3", "enabled: true", "url: https://charts.bitnami.com/bitnami", "existingSecret: redis-auth", "kind: HelmRepository\n        name: redis\n      interval: 1h"},
		},
		{
			name:   "postgresql from oci, repository already there",
			intent: "a postgres database with 50 GB of storage in production",
			up:     Upstream{Repository: "oci://registry-1.docker.io/bitnamicharts", Chart: "postgresql", Version: "~16.4.0"},
			src:    ChartSource{Name: "bitnami", Namespace: "flux-system", Existing: true},
			want:   []string{"size: 50Gi", "sourceRef:\n        kind: HelmRepository\n        name: bitnami\n        namespace: flux-system\n"},
		},
		{
			name:   "web from oci",
			intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080",
			up:     Upstream{Repository: "oci://ghcr.io/stefanprodan/charts", Chart: "podinfo", Version: "6.9.x"},
			src:    ChartSource{Name: "charts", Namespace: "flux-system"},
			want:   []string{"type: oci", "repository: ghcr.io/acme/api", "tag: 1.4.2", "name: charts\n  namespace: flux-system\n", "name: charts\n        namespace: flux-system\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Parse(tc.intent, Hints{})
			if err != nil {
				t.Fatal(err)
			}
			files, err := plan.HelmRelease(tc.up, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for i := range files {
				all.Write(files[i].Content)
				files[i].Path = "clusters/production/apps/" + plan.App + "/" + files[i].Path
			}
			for _, w := range tc.want {
				if !strings.Contains(all.String(), w) {
					t.Errorf("files lack %q:\n%s", w, all.String())
				}
			}
			wantFiles := 3
			if tc.src.Existing {
				wantFiles = 2
				if strings.Contains(all.String(), "kind: HelmRepository\nmetadata") {
					t.Errorf("a HelmRepository was written although the repository has one:\n%s", all.String())
				}
			}
			if len(files) != wantFiles {
				t.Errorf("got %d files, want %d", len(files), wantFiles)
			}
			rep, err := v.Validate(context.Background(), files, validators.CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				t.Errorf("finding: %s", f)
			}
			schema := false
			for _, c := range rep.Checks {
				if c.Name == "schema" {
					schema = true
					if c.Skipped > 0 || c.Checked != wantFiles-1 {
						t.Errorf("schema check %+v: want every Flux object checked", c)
					}
				}
			}
			if !schema {
				t.Errorf("no schema check ran: %+v", rep.Checks)
			}
		})
	}
}
