package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
)

// TestValidateConventions runs validate in the example repository: what
// generate wrote passes the conventions check, files that break the naming
// and labels fail it with their file, line and column (the name's value on
// line 27, column 9; the metadata of an object without labels on line 31),
// in-process and through a server, and --conventions=false turns the check
// off.
func TestValidateConventions(t *testing.T) {
	repo := newRepo(t)
	copyTree(t, "../../examples/gitops", repo)
	api := filepath.Join(repo, "clusters/production/apps/api")
	if code, stdout, stderr := aiden(t, "generate", "-q", "--intent", "a web service running image ghcr.io/acme/api:1.4.2 on port 8080", "--output", api); code != exitOK {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	shop := filepath.Join(repo, "clusters/production/apps/shop")
	if err := os.MkdirAll(shop, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deployment.yaml", "service.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../generator/testdata/model/manifests/careless", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shop, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	elsewhere := t.TempDir()
	mkfile(t, filepath.Join(elsewhere, "elsewhere.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: any\ndata:\n  a: b\n")
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{}))
	defer srv.Close()
	broken := []string{
		"clusters/production/apps/shop/deployment.yaml:27:9: Deployment/shop: /metadata/name: name \"shop\" does not follow naming.pattern \"{env}-{app}\" (want \"production-shop\" or \"production-shop-<suffix>\") [conventions/naming]",
		"clusters/production/apps/shop/service.yaml:31:1: PodDisruptionBudget/shop: /metadata/labels: labels required by the generation config: missing team=\"payments\", app.kubernetes.io/part-of=\"shop\", environment=\"production\" [conventions/labels]",
		"FAIL  conventions 7 objects of 1 app against .stackgen/generation-config.yaml: 23 errors",
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string
		not  []string
	}{
		{name: "generated", args: []string{"validate", api}, code: exitOK, says: []string{"ok    conventions 5 objects of 1 app against .stackgen/generation-config.yaml: no errors"}},
		{name: "broken", args: []string{"validate", shop}, code: exitFindings, says: broken},
		{name: "broken, through a server", args: []string{"validate", "--server", srv.URL, shop}, code: exitFindings, says: broken},
		{name: "broken, as SARIF", args: []string{"validate", "--output", "sarif", filepath.Join(shop, "deployment.yaml")}, code: exitFindings,
			says: []string{`"ruleId": "conventions/naming"`, `"startLine": 27,
                  "startColumn": 9`}},
		{name: "both", args: []string{"validate", api, filepath.Join(shop, "deployment.yaml")}, code: exitFindings, says: []string{"FAIL  conventions 9 objects of 2 apps", "deployment.yaml:27:9: Deployment/shop"}},
		// Policy checks are on by default: the careless manifests' plaintext
		// Secret is still an error with the conventions turned off.
		{name: "turned off", args: []string{"validate", "--conventions=false", shop}, code: exitFindings, says: []string{"[secret-plaintext]"}, not: []string{"conventions"}},
		{name: "turned off, policy too", args: []string{"validate", "--conventions=false", "--policy-check=false", shop}, code: exitOK, not: []string{"conventions", "policy"}},
		{name: "under the config and outside it", args: []string{"validate", shop, elsewhere}, code: exitFindings,
			says: []string{"FAIL  conventions 7 objects of 1 app", "3 files checked: NOT valid"}, not: []string{"elsewhere.yaml:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := aiden(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.says {
				if !strings.Contains(stdout+stderr, s) {
					t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", s, stdout, stderr)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(stdout, s) {
					t.Errorf("output holds %q:\n%s", s, stdout)
				}
			}
		})
	}
}

// TestBrokenConfigMessages: what a user sees of a broken generation config
// in each command that reads it: the file, the line, the key and what is
// wrong.
func TestBrokenConfigMessages(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		line, column int
		says         string
	}{
		{"typo in a key", "version: 1\nnmaing:\n  pattern: \"{env}-{app}\"\n", 2, 1, `nmaing: unknown key (did you mean "naming"?)`},
		{"maxLength not a number", "naming:\n  maxLength: sixty\n", 2, 14, `naming.maxLength: must be a whole number, not "sixty"`},
		{"unknown placeholder", "naming:\n  pattern: \"{region}-{app}\"\n", 2, 12, `naming.pattern: unknown placeholder {region} (known: {env}, {app}, {component}, {team})`},
		{"label value not allowed", "labels:\n  owner: payments@acme.io\n", 2, 10, `labels.owner: "payments@acme.io" is not a valid label value`},
		{"namespace not a name", "namespace: \"{team}_{env}\"\n", 1, 12, `namespace.pattern: "{team}_{env}" does not make a valid namespace`},
		{"chart without version", "charts:\n  redis: {repository: \"https://charts.bitnami.com/bitnami\", chart: redis}\n", 2, 3, `charts.redis.version: is required`},
		{"unknown format", "formats:\n  \"clusters/*/apps/**\": jsonnet\n", 2, 25, `formats.clusters/*/apps/**: unknown format "jsonnet" (want helm, kustomize or terraform)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := newRepo(t)
			mkfile(t, filepath.Join(repo, ".stackgen/generation-config.yaml"), tc.config)
			app := filepath.Join(repo, "clusters/production/apps/web")
			mkfile(t, filepath.Join(app, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: production-web\ndata:\n  a: b\n")
			where := ".stackgen/generation-config.yaml:" + strconv.Itoa(tc.line)

			code, _, stderr := aiden(t, "generate", "-q", "--intent", "a redis cache", "--output", filepath.Join(repo, "clusters/production/apps/cache"))
			if want := where + ":" + strconv.Itoa(tc.column) + ": " + tc.says; code != exitUsage || !strings.Contains(stderr, want) {
				t.Errorf("generate: exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, want)
			}
			code, stdout, _ := aiden(t, "validate", app)
			if want := where + ": " + tc.says; code != exitFindings || !strings.Contains(stdout, want) || !strings.Contains(stdout, "[config]") {
				t.Errorf("validate: exit %d, stdout:\n%s\nwant %d and %q", code, stdout, exitFindings, want)
			}
			code, stdout, _ = aiden(t, "config", "validate", repo)
			if want := where + ":" + strconv.Itoa(tc.column) + ": " + tc.says; code != exitFindings || !strings.Contains(stdout, want) {
				t.Errorf("config validate: exit %d, stdout:\n%s\nwant %d and %q", code, stdout, exitFindings, want)
			}
		})
	}
}

func mkfile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
