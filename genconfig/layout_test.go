package genconfig

import (
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`layout:
  delivery: flux-helmrelease
  apps: "apps/base/{app}"
  overlays: "apps/{env}"
  patches: "apps/{env}/{app}-values.yaml"
  clusters: "clusters/{env}"
  environments: [production, staging]
  namespaceObject: true
  files:
    HelmRelease: release.yaml
    Namespace: namespace.yaml
`))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Layout
	if got := l.AppDir("redis", ""); got != "apps/base/redis" {
		t.Errorf("AppDir = %q", got)
	}
	if got := l.OverlayDir("production"); got != "apps/production" {
		t.Errorf("OverlayDir = %q", got)
	}
	if got := l.PatchFile("redis", "production"); got != "apps/production/redis-values.yaml" {
		t.Errorf("PatchFile = %q", got)
	}
	if l.FileFor("HelmRelease") != "release.yaml" || l.FileFor("HelmRepository") != "helmrepository.yaml" {
		t.Errorf("FileFor: %v", l.Files)
	}
	if strings.Join(l.FileKinds, ",") != "HelmRelease,Namespace" || !l.NamespaceObject {
		t.Errorf("files %v, namespaceObject %v", l.FileKinds, l.NamespaceObject)
	}
	app, env, ok := l.MatchApp("apps/base/redis")
	if !ok || app != "redis" || env != "" {
		t.Errorf("MatchApp = %q %q %v", app, env, ok)
	}
	if _, _, ok := l.MatchApp("apps/production/redis"); ok {
		t.Error("apps/production/redis matched apps/base/{app}")
	}
	seed := Layout{Apps: "clusters/{env}/apps/{app}"}
	if app, env, ok := seed.MatchApp("clusters/staging/apps/web"); !ok || app != "web" || env != "staging" {
		t.Errorf("seed MatchApp = %q %q %v", app, env, ok)
	}
}

// An app-of-apps layout: clusters/dev/redis names the app redis in dev,
// whose Application is clusters/dev/redis.yaml, and that file is the app
// clusters/dev/redis for the conventions check.
func TestApplicationsLayout(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("layout:\n  delivery: argocd-application\n  applications: \"clusters/{env}\"\n  application:\n    spec: {project: default}\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Layout
	if app, env, ok := l.MatchApplication("clusters/dev/redis"); !ok || app != "redis" || env != "dev" {
		t.Errorf("MatchApplication = %q %q %v", app, env, ok)
	}
	if _, _, ok := l.MatchApplication("clusters/dev/apps/redis"); ok {
		t.Error("clusters/dev/apps/redis matched clusters/{env}")
	}
	if f := l.ApplicationFile("redis", "dev"); f != "clusters/dev/redis.yaml" {
		t.Errorf("ApplicationFile = %q", f)
	}
	if dir, ok := cfg.AppFolder("clusters/dev/guestbook.yaml"); !ok || dir != "clusters/dev/guestbook" {
		t.Errorf("AppFolder = %q %v", dir, ok)
	}
	if l.Application["spec"].(map[string]any)["project"] != "default" {
		t.Errorf("application = %v", l.Application)
	}
}

func TestBrokenLayouts(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"delivery", "layout:\n  delivery: fluxcd\n", `c.yaml:2:13: layout.delivery: unknown delivery "fluxcd" (want flux-helmrelease, argocd-application, helm-chart, kustomize)`},
		{"apps without app", "layout:\n  apps: apps/base\n", `c.yaml:2:9: layout.apps: "apps/base" must hold {app}`},
		{"overlay with app", "layout:\n  overlays: \"apps/{env}/{app}\"\n", `c.yaml:2:13: layout.overlays: placeholder {app} cannot be used here (allowed: {env})`},
		{"outside", "layout:\n  apps: \"../{app}\"\n", `c.yaml:2:9: layout.apps: "../{app}" must be a path inside the repository, without globs, leading or trailing slashes`},
		{"env name", "layout:\n  environments: [Prod]\n", `c.yaml:2:18: layout.environments: "Prod" is not a valid environment name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"file", "layout:\n  files:\n    HelmRelease: sub/release.yaml\n", `c.yaml:3:18: layout.files.HelmRelease: "sub/release.yaml" must be a YAML file name in the app folder (release.yaml)`},
		{"applications with app", "layout:\n  applications: \"clusters/{app}\"\n", `c.yaml:2:17: layout.applications: placeholder {app} cannot be used here (allowed: {env})`},
		{"application not a mapping", "layout:\n  application: [project]\n", `c.yaml:2:16: layout.application: must be a mapping of the fields every Application shares, not a list`},
		{"unknown", "layout:\n  bases: x\n", `c.yaml:2:3: layout.bases: unknown key (known keys: delivery, apps, overlays, patches, clusters, environments, files, namespaceObject, applications, application)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}
