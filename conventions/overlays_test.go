package conventions

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

func TestSplitEnv(t *testing.T) {
	for _, tc := range []struct {
		pattern, base, prefix, suffix string
	}{
		{"{env}-{app}", "{app}", "{env}-", ""},
		{"{team}-{env}-{app}", "{app}", "{team}-{env}-", ""},
		{"{app}-{env}", "{app}", "", "-{env}"},
		{"{app}-web-{env}", "{app}", "", "-web-{env}"},
		{"{team}-{app}", "{team}-{app}", "", ""},
		{"{env}-{app}-{env}", "{env}-{app}-{env}", "", ""},
		{"{app}-{env}-{app}", "{app}-{env}-{app}", "", ""},
		{"{env}", "{env}", "", ""},
	} {
		r := splitEnv(&genconfig.Config{Naming: genconfig.Naming{Pattern: tc.pattern}})
		if r.base.Naming.Pattern != tc.base || r.prefix != tc.prefix || r.suffix != tc.suffix {
			t.Errorf("splitEnv(%q) = base %q, prefix %q, suffix %q; want %q, %q, %q",
				tc.pattern, r.base.Naming.Pattern, r.prefix, r.suffix, tc.base, tc.prefix, tc.suffix)
		}
	}
}

// TestApplyOverlays: without an environment, a base with overlays follows
// the rules that do not use {env} and each overlay's kustomization adds
// its environment's part; what the overlays build then passes the check
// for their environment, references included. An overlay's wrong prefix
// and label value are corrected, and a label entry that reaches pod
// templates is reused.
func TestApplyOverlays(t *testing.T) {
	cfg := config(t, `team: payments
naming: {pattern: "{env}-{app}"}
labels: {team: payments, environment: "{env}"}
annotations: {owner: "payments@acme.io", stage: "{env}"}
namespace: "{team}-{env}"
`)
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0
          envFrom:
            - configMapRef: {name: web-config}
`
	files := []workspace.File{
		{Path: "apps/web/base/kustomization.yaml", Content: []byte("resources: [deployment.yaml, config.yaml]\n")},
		{Path: "apps/web/base/deployment.yaml", Content: []byte(deployment)},
		{Path: "apps/web/base/config.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n")},
		{Path: "apps/web/overlays/production/kustomization.yaml", Content: []byte("resources: [../../base]\n")},
		{Path: "apps/web/overlays/staging/kustomization.yaml", Content: []byte("resources: [../../base]\nnamePrefix: stg-\nlabels:\n  - pairs: {environment: prod}\n    includeTemplates: true\n")},
	}
	vars := genconfig.Vars{App: "web"}
	out, fs, err := Apply(context.Background(), cfg, vars, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.File == genconfig.Path || !f.Fixed {
			t.Errorf("finding not fixed: %s", f)
		}
	}
	fixedIn := map[string][]string{}
	for _, f := range fs {
		fixedIn[f.File] = append(fixedIn[f.File], f.Path)
	}
	for _, p := range []string{"apps/web/overlays/production/kustomization.yaml", "apps/web/overlays/staging/kustomization.yaml"} {
		if got, want := strings.Join(fixedIn[p], " "), "/namePrefix /namespace /labels /commonAnnotations"; got != want {
			t.Errorf("fixes in %s: %s, want %s", p, got, want)
		}
	}
	base := string(out[2].Content)
	if !strings.Contains(base, "name: web-config") || strings.Contains(base, "environment") || strings.Contains(base, "namespace") {
		t.Errorf("base config.yaml:\n%s\nwant web-config, without the environment's rules", base)
	}
	staging := string(out[4].Content)
	if !strings.Contains(staging, "namePrefix: staging-") || !strings.Contains(staging, "namespace: payments-staging") || !strings.Contains(staging, "environment: staging") || strings.Count(staging, "pairs") != 1 {
		t.Errorf("staging overlay:\n%s", staging)
	}

	// kustomize's name reference transformer carries the prefix into the
	// references.
	built := kustomize.Load(out, nil).Build([]string{"apps/web/overlays/production"})[0].Manifest
	for _, want := range []string{"serviceAccountName: production-web\n", "- configMapRef:\n            name: production-web-config\n", "namespace: payments-production\n"} {
		if !strings.Contains(string(built), want) {
			t.Errorf("production overlay builds\n%s\nwithout %q", built, want)
		}
	}

	open, err := CheckOverlays(cfg, vars, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) > 0 {
		t.Errorf("the built overlays break the conventions: %v", open)
	}
	// Without the overlays' fixes, the same check fails for each overlay.
	broken := append([]workspace.File(nil), out...)
	broken[3], broken[4] = files[3], files[4]
	open, err = CheckOverlays(cfg, vars, broken, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range open {
		if f.Severity == validators.SeverityError {
			seen[f.File+" "+f.Rule] = true
		}
	}
	for _, p := range []string{"apps/web/overlays/production/kustomization.yaml", "apps/web/overlays/staging/kustomization.yaml"} {
		// An object without a namespace is taken to be in the one it is
		// applied to, so only the overlay's own file shows the namespace.
		for _, rule := range []string{RuleNaming, RuleLabels, RuleAnnotations} {
			if !seen[p+" "+rule] {
				t.Errorf("no %s error for %s among %v", rule, p, open)
			}
		}
	}
}

// TestOverlaysUnsplitPattern: a naming pattern that cannot be a prefix or
// suffix keeps its warning, and the overlays' check does not turn it into
// errors; the other {env} rules still go to the overlay.
func TestOverlaysUnsplitPattern(t *testing.T) {
	cfg := config(t, "naming: {pattern: \"{env}-{app}-{env}\"}\nlabels: {environment: \"{env}\"}\n")
	files := []workspace.File{
		{Path: "apps/web/base/kustomization.yaml", Content: []byte("resources: [cm.yaml]\n")},
		{Path: "apps/web/base/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")},
		{Path: "apps/web/overlays/production/kustomization.yaml", Content: []byte("resources: [../../base]\n")},
	}
	vars := genconfig.Vars{App: "web"}
	out, fs, err := Apply(context.Background(), cfg, vars, files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.File+" "+f.Rule+" "+f.Severity.String())
	}
	want := []string{
		"apps/web/overlays/production/kustomization.yaml conventions/labels warning",
		".stackgen/generation-config.yaml conventions/naming warning",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	open, err := CheckOverlays(cfg, vars, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) > 0 {
		t.Errorf("the overlay's check reports %v, want nothing", open)
	}
	// A broken overlay is still reported, without a line of the build.
	open, err = CheckOverlays(cfg, vars, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Rule != RuleLabels || open[0].Line != 0 || open[0].File != files[2].Path {
		t.Errorf("the unfixed overlay's check reports %v, want one labels finding at its kustomization.yaml", open)
	}
}
