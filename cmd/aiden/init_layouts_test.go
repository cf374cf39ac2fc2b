package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resource"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

// layoutRepo copies a layout fixture into a new repository without its
// generation config.
func layoutRepo(t *testing.T, dir string) string {
	t.Helper()
	repo := newRepo(t)
	copyTree(t, dir, repo)
	if err := os.RemoveAll(filepath.Join(repo, ".stackgen")); err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestInitLayouts runs init → validate → generate on each layout
// fixture: aiden init --write proposes a config that config validate
// accepts and that the fixture's existing apps already satisfy (aiden
// validate: the conventions check finds no error and nothing in it is
// about the conventions); a new app generated with it lands where the
// layout keeps apps, is listed where the others are, and carries the
// same names (pattern), labels, annotations and namespace as an existing
// app, as kustomize builds or Helm renders both.
func TestInitLayouts(t *testing.T) {
	for _, tc := range []struct {
		layout, dir    string
		intent, output string
		// check builds or renders the new app and an existing one and
		// returns, for each, its main object.
		existing, created func(t *testing.T, repo string) *resource.Resource
	}{
		{
			layout: "flux2-kustomize-helm-example", dir: "../../validators/testdata/trees/flux2-kustomize-helm-example",
			intent: redisIntent, output: "apps/base/redis",
			existing: func(t *testing.T, repo string) *resource.Resource {
				return build(t, repo, "apps/production")["HelmRelease/podinfo/podinfo"]
			},
			created: func(t *testing.T, repo string) *resource.Resource {
				return build(t, repo, "apps/production")["HelmRelease/redis/redis"]
			},
		},
		{
			layout: "flux2-multi-tenancy", dir: "../../infer/testdata/layouts/flux2-multi-tenancy",
			intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 in staging", output: "tenants/base/api",
			existing: func(t *testing.T, repo string) *resource.Resource {
				return build(t, repo, "tenants/staging")["Kustomization/apps/dev-team"]
			},
			created: func(t *testing.T, repo string) *resource.Resource {
				return build(t, repo, "tenants/staging")["Deployment/apps/api"]
			},
		},
		{
			layout: "seed", dir: "../../examples/gitops",
			intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 in production", output: "clusters/production/apps/api",
			existing: func(t *testing.T, repo string) *resource.Resource {
				return build(t, repo, "clusters/production/apps")["Deployment/payments-production/production-podinfo"]
			},
			created: func(t *testing.T, repo string) *resource.Resource {
				return build(t, repo, "clusters/production/apps")["Deployment/payments-production/production-api"]
			},
		},
		{
			layout: "prometheus-community-helm-charts", dir: "../../infer/testdata/layouts/prometheus-community-helm-charts",
			intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080 in staging", output: "charts/api",
			existing: func(t *testing.T, repo string) *resource.Resource {
				return render(t, repo, "charts/prometheus-nginx-exporter", "Deployment")
			},
			created: func(t *testing.T, repo string) *resource.Resource {
				return render(t, repo, "charts/api", "Deployment")
			},
		},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			repo := layoutRepo(t, tc.dir)
			if code, stdout, stderr := aiden(t, "init", "--write", repo); code != exitOK {
				t.Fatalf("init --write: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if code, stdout, _ := aiden(t, "config", "validate", repo); code != exitOK {
				t.Fatalf("config validate: exit %d\n%s", code, stdout)
			}
			_, stdout, _ := aiden(t, "validate", repo)
			if !strings.Contains(stdout, "against .stackgen/generation-config.yaml: no errors") {
				t.Errorf("the existing apps do not satisfy the proposed config:\n%s", stdout)
			}
			for _, line := range strings.Split(stdout, "\n") {
				if strings.Contains(line, "[conventions/") && !strings.Contains(line, "[conventions/environment]") {
					t.Errorf("finding about the proposed conventions: %s", line)
				}
			}
			cfg, err := genconfig.Load(filepath.Join(repo, genconfig.Path))
			if err != nil {
				t.Fatal(err)
			}

			code, stdout, stderr := aiden(t, "generate", "-q", "--intent", tc.intent, "--output", filepath.Join(repo, tc.output))
			if code != exitOK || !strings.Contains(stdout, "Findings: 0 error, 0 warning") {
				t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if _, _, ok := cfg.Layout.MatchApp(tc.output); !ok {
				t.Errorf("%s is not an app folder of layout.apps %q", tc.output, cfg.Layout.Apps)
			}
			if cfg.Layout.Overlays != "" && !strings.Contains(stdout, "registered   in ") {
				t.Errorf("the new app is listed nowhere:\n%s", stdout)
			}
			_, stdout, _ = aiden(t, "validate", filepath.Join(repo, tc.output))
			if !strings.Contains(stdout, "against .stackgen/generation-config.yaml: no errors") {
				t.Errorf("the new app does not satisfy the config:\n%s", stdout)
			}

			old, made := tc.existing(t, repo), tc.created(t, repo)
			if old == nil || made == nil {
				t.Fatalf("existing app's main object %v, new app's %v", old != nil, made != nil)
			}
			// The same conventions, whatever the values: names after the
			// pattern, the same namespace rule, the same labels and
			// annotations.
			if p := cfg.Naming.Pattern; p != "" {
				for _, r := range []*resource.Resource{old, made} {
					if !followsPattern(r.GetName(), p) {
						t.Errorf("%s does not follow naming.pattern %q", r.GetName(), p)
					}
				}
			}
			if cfg.Namespace.Pattern != "" && old.GetNamespace() != "" && !sameRule(old.GetNamespace(), made.GetNamespace(), cfg.Namespace.Pattern) {
				t.Errorf("namespaces %q and %q under rule %q", old.GetNamespace(), made.GetNamespace(), cfg.Namespace.Pattern)
			}
			for _, k := range cfg.LabelKeys {
				if _, ok := made.GetLabels()[k]; !ok {
					t.Errorf("the new app lacks label %s that %s carries", k, old.GetName())
				}
			}
			for _, k := range cfg.AnnotationKeys {
				if _, ok := made.GetAnnotations()[k]; !ok {
					t.Errorf("the new app lacks annotation %s that %s carries", k, old.GetName())
				}
			}
		})
	}
}

// followsPattern reports whether name is pattern with its placeholders
// filled by words of name.
func followsPattern(name, pattern string) bool {
	parts := strings.Split(pattern, "-")
	words := strings.Split(name, "-")
	if len(words) < len(parts) {
		return false
	}
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") && p != words[i] {
			return false
		}
	}
	return true
}

// sameRule reports whether two namespaces agree on the literal parts of
// the namespace pattern.
func sameRule(a, b, pattern string) bool {
	if !strings.Contains(pattern, "{") {
		return a == pattern && b == pattern
	}
	return strings.Count(a, "-") == strings.Count(b, "-") && followsPattern(a, pattern) && followsPattern(b, pattern)
}

// render renders the chart in dir of repo as a release named after the
// folder, as the conventions check does, and returns its object of kind.
func render(t *testing.T, repo, dir, kind string) *resource.Resource {
	t.Helper()
	name := filepath.Base(dir)
	files := workspacetest.Read(t, filepath.Join(repo, dir), "")
	rd, err := helmchart.New(helmchart.Options{ReleaseName: name, Namespace: name})
	if err != nil {
		t.Fatal(err)
	}
	res, err := rd.Render(t.Context(), files)
	if err != nil {
		t.Fatal(err)
	}
	factory := provider.NewDefaultDepProvider().GetResourceFactory()
	for _, m := range res.Manifests {
		rs, err := factory.SliceFromBytes(m.Content)
		if err != nil {
			continue
		}
		for _, r := range rs {
			if r.GetKind() == kind {
				return r
			}
		}
	}
	t.Fatalf("%s renders no %s", dir, kind)
	return nil
}
