package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/validators/helmchart"
)

// TestMain lets this test binary serve as the chart-rendering child that
// `aiden serve` starts (see helmchart.Isolate), as the aiden binary does.
func TestMain(m *testing.M) {
	helmchart.RunIfChild()
	if os.Getenv(runMainEnv) == "1" { // aiden itself, as main runs it (TestMCPCommand, fleet_test.go)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

const redisIntent = "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production"

// aiden runs the CLI in-process and returns its exit code and output.
func aiden(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// newRepo makes an empty git repository (a .git folder is all FindRoot needs).
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGenerateWritesChart(t *testing.T) {
	repo := newRepo(t)
	out := filepath.Join(repo, "clusters/production/apps/redis")
	code, stdout, stderr := aiden(t, "generate", "--intent", redisIntent, "--format", "helm", "--output", out)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"Chart.yaml", "values.yaml", "templates/_helpers.tpl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	for _, want := range []string{"Understood:", "replicas", "production", "Checks:", "schema", "Wrote"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, stage := range []string{"context", "plan", "render", "validate"} {
		if !strings.Contains(stderr, stage) {
			t.Errorf("progress lacks stage %q:\n%s", stage, stderr)
		}
	}
	// Nothing outside the output folder.
	entries, _ := os.ReadDir(repo)
	for _, e := range entries {
		if e.Name() != ".git" && e.Name() != "clusters" {
			t.Errorf("unexpected %s written at the repository root", e.Name())
		}
	}

	// The written chart passes aiden validate.
	code, stdout, _ = aiden(t, "validate", out)
	if code != exitOK {
		t.Errorf("validate of the generated chart: exit %d\n%s", code, stdout)
	}
}

func TestGeneratePatchWritesNothing(t *testing.T) {
	repo := newRepo(t)
	out := filepath.Join(repo, "apps/redis")
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", redisIntent, "--output", out, "--patch")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "diff --git a/apps/redis/") {
		t.Errorf("stdout is not a patch:\n%.300s", stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--patch wrote %s (stat err %v)", out, err)
	}
}

func TestGenerateJSON(t *testing.T) {
	repo := newRepo(t)
	code, stdout, _ := aiden(t, "generate", "-q", "--json", "--intent", redisIntent, "--output", filepath.Join(repo, "apps/redis"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var resp struct {
		Files      []struct{ Path string }
		Patch      string
		Valid      bool
		Provenance struct{ Generator string }
	}
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%.300s", err, stdout)
	}
	if !resp.Valid || resp.Patch == "" || len(resp.Files) == 0 || resp.Provenance.Generator != "planner" {
		t.Errorf("json = valid %v, %d files, patch %d bytes, generator %q", resp.Valid, len(resp.Files), len(resp.Patch), resp.Provenance.Generator)
	}
}

func TestGenerateRemote(t *testing.T) {
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{}))
	defer srv.Close()
	repo := newRepo(t)
	out := filepath.Join(repo, "clusters/staging/apps/cache")
	code, stdout, stderr := aiden(t, "generate", "--server", srv.URL, "--intent", "Deploy redis", "--output", out)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "Chart.yaml")); err != nil {
		t.Errorf("remote generate did not write the chart: %v", err)
	}
	if !strings.Contains(stderr, "validate") {
		t.Errorf("remote generate showed no progress:\n%s", stderr)
	}
}

func TestExitCodes(t *testing.T) {
	repo := newRepo(t)
	bad := filepath.Join(repo, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: \"eighty\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(repo, "good.yaml")
	if err := os.WriteFile(good, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
		says string
	}{
		{name: "valid manifest", args: []string{"validate", good}, want: exitOK},
		{name: "invalid manifest", args: []string{"validate", bad}, want: exitFindings, says: "ports"},
		{name: "invalid manifest, fail-on none", args: []string{"validate", "--fail-on", "none", bad}, want: exitOK},
		{name: "missing path", args: []string{"validate", filepath.Join(repo, "nope.yaml")}, want: exitUsage, says: "nope.yaml"},
		{name: "no intent", args: []string{"generate", "--output", filepath.Join(repo, "x")}, want: exitUsage, says: "--intent"},
		{name: "no output", args: []string{"generate", "--intent", redisIntent}, want: exitUsage, says: "--output"},
		{name: "unknown flag", args: []string{"generate", "--bogus"}, want: exitUsage, says: "bogus"},
		{name: "bad format", args: []string{"generate", "--intent", redisIntent, "--output", filepath.Join(repo, "x"), "--format", "yaml"}, want: exitUsage, says: "yaml"},
		{name: "bad fail-on", args: []string{"validate", "--fail-on", "sometimes", good}, want: exitUsage, says: "sometimes"},
		{name: "outside the catalog", args: []string{"generate", "--intent", "set up a Cassandra cluster", "--output", filepath.Join(repo, "cassandra")}, want: exitUsage, says: "Cassandra"},
		{name: "version", args: []string{"version"}, want: exitOK, says: "kubernetes schemas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := aiden(t, tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if tt.says != "" && !strings.Contains(strings.ToLower(stdout+stderr), strings.ToLower(tt.says)) {
				t.Errorf("output does not mention %q\nstdout:\n%s\nstderr:\n%s", tt.says, stdout, stderr)
			}
		})
	}
}

// TestGenerateRefusesSymlinkEscape: a symlink inside the output folder that
// points out of the repository must not carry generated files with it.
func TestGenerateRefusesSymlinkEscape(t *testing.T) {
	repo := newRepo(t)
	outside := t.TempDir()
	out := filepath.Join(repo, "apps/redis")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(out, "templates")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := aiden(t, "generate", "-q", "--intent", redisIntent, "--output", out)
	if code != exitUsage {
		t.Errorf("exit %d, want %d for a symlink that leaves the repository\n%s", code, exitUsage, stderr)
	}
	if !strings.Contains(stderr, "templates") {
		t.Errorf("error does not name the symlink:\n%s", stderr)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files were written outside the repository: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(out, "Chart.yaml")); err == nil {
		t.Errorf("Chart.yaml was written although another path was refused")
	}
}

// TestSARIFRegion: a finding with a line and column carries them into
// SARIF's region, so code scanning annotates the right line.
func TestSARIFRegion(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	content := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: \"eighty\"\n"
	if err := os.WriteFile(bad, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := aiden(t, "validate", "--output", "sarif", bad)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d\n%s", code, exitFindings, stderr)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						Region *struct{ StartLine, StartColumn int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatalf("not SARIF JSON: %v", err)
	}
	if len(log.Runs) == 0 || len(log.Runs[0].Results) == 0 || len(log.Runs[0].Results[0].Locations) == 0 {
		t.Fatalf("no result with a location:\n%s", stdout)
	}
	r := log.Runs[0].Results[0].Locations[0].PhysicalLocation.Region
	if r == nil || r.StartLine != 14 || r.StartColumn != 7 {
		t.Errorf("region = %+v, want startLine 14, startColumn 7 (the port's key in the Service document)", r)
	}
}

// copyTree copies the folder src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenerateFollowsRepository runs generate in the example GitOps
// repository: the preferred chart becomes a Flux HelmRelease that reads
// the chart from the HelmRepository the cluster already has, the
// generation config's naming is applied, and the new folder is registered
// in the parent kustomization.yaml with its comments kept.
func TestGenerateFollowsRepository(t *testing.T) {
	repo := newRepo(t)
	copyTree(t, "../../examples/gitops", repo)
	parent := filepath.Join(repo, "clusters/production/apps/kustomization.yaml")
	before, err := os.ReadFile(parent)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(repo, "clusters/production/apps/redis")
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", redisIntent, "--output", out, "--policy-check")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	release, err := os.ReadFile(filepath.Join(out, "helmrelease.yaml"))
	if err != nil {
		t.Fatalf("no HelmRelease for the preferred chart: %v", err)
	}
	if !strings.Contains(string(release), "name: production-redis") {
		t.Errorf("HelmRelease does not follow naming.pattern {env}-{app}:\n%s", release)
	}
	if want := "sourceRef:\n        kind: HelmRepository\n        name: bitnami\n        namespace: flux-system\n"; !strings.Contains(string(release), want) {
		t.Errorf("HelmRelease does not read the chart from clusters/production/infrastructure/sources/bitnami.yaml:\n%s", release)
	}
	if _, err := os.Stat(filepath.Join(out, "helmrepository.yaml")); !os.IsNotExist(err) {
		t.Errorf("a HelmRepository was written although the cluster has one (stat: %v)", err)
	}
	if !strings.Contains(stdout, "HelmRepository flux-system/bitnami") {
		t.Errorf("summary does not say which HelmRepository is used:\n%s", stdout)
	}
	after, err := os.ReadFile(parent)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(after), string(before)) || !strings.HasSuffix(string(after), "  - redis\n") {
		t.Errorf("parent kustomization.yaml = %q, want the old file (comments kept) plus \"  - redis\"", after)
	}
	if !strings.Contains(stdout, "conventions") {
		t.Errorf("summary does not report the conventions check:\n%s", stdout)
	}
}

// TestGenerateWritesMissingHelmRepository: where the cluster has no
// HelmRepository for the preferred chart, generate writes one beside the
// HelmRelease, named and placed after the conventions, and lists it.
func TestGenerateWritesMissingHelmRepository(t *testing.T) {
	repo := newRepo(t)
	copyTree(t, "../../examples/gitops", repo)
	sources := filepath.Join(repo, "clusters/production/infrastructure/sources")
	if err := os.Remove(filepath.Join(sources, "bitnami.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sources, "kustomization.yaml"), []byte("resources:\n  - podinfo.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(repo, "clusters/production/apps/redis")
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", redisIntent, "--output", out)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	source, err := os.ReadFile(filepath.Join(out, "helmrepository.yaml"))
	if err != nil {
		t.Fatalf("no HelmRepository written: %v", err)
	}
	for _, want := range []string{"name: production-redis", "namespace: payments-production", "url: https://charts.bitnami.com/bitnami"} {
		if !strings.Contains(string(source), want) {
			t.Errorf("helmrepository.yaml lacks %q:\n%s", want, source)
		}
	}
	release, _ := os.ReadFile(filepath.Join(out, "helmrelease.yaml"))
	if !strings.Contains(string(release), "kind: HelmRepository\n        name: production-redis\n      interval") {
		t.Errorf("sourceRef does not name the written HelmRepository:\n%s", release)
	}
	k, _ := os.ReadFile(filepath.Join(out, "kustomization.yaml"))
	if !strings.Contains(string(k), "- helmrepository.yaml") {
		t.Errorf("kustomization.yaml does not list helmrepository.yaml:\n%s", k)
	}
}

// TestGenerateOverExistingAppIsAChange: generating a different app over an existing chart is a change the
// built-in author cannot make: it is refused with exit 2, naming what it
// can change, and the folder is left as it was (issue 11; regenerating
// from scratch is an explicit choice).
func TestGenerateOverExistingAppIsAChange(t *testing.T) {
	repo := newRepo(t)
	out := filepath.Join(repo, "apps/svc")
	if code, _, stderr := aiden(t, "generate", "-q", "--intent", "web API image ghcr.io/acme/api:1.4.2 on port 8080 exposed at api.acme.io", "--output", out); code != exitOK {
		t.Fatalf("web: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(out, "README.md"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, out)
	code, _, stderr := aiden(t, "generate", "-q", "--intent", "worker image ghcr.io/acme/w:1.0.0", "--output", out)
	if code != exitUsage {
		t.Fatalf("worker over the web chart: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
	if !strings.Contains(stderr, "the built-in author can change") {
		t.Errorf("the error does not say what can change:\n%s", stderr)
	}
	if after := readTree(t, out); !reflect.DeepEqual(before, after) {
		t.Error("the folder changed although the change was refused")
	}
	code, _, stderr = aiden(t, "generate", "-q", "--intent", "bump the api image to 1.5.0", "--output", out)
	if code != exitOK {
		t.Fatalf("bump: exit %d\n%s", code, stderr)
	}
	after := readTree(t, out)
	for p, c := range before {
		if p != "values.yaml" && p != ".aiden/record.yaml" && after[p] != c {
			t.Errorf("%s changed; only values.yaml (and the record of it) should", p)
		}
	}
	if !strings.Contains(after[".aiden/record.yaml"], "values.yaml: "+record.Digest([]byte(after["values.yaml"]))) {
		t.Errorf("the record does not hold the new digest of values.yaml:\n%s", after[".aiden/record.yaml"])
	}
	if !strings.Contains(after["values.yaml"], `tag: "1.5.0"`) || strings.Count(after["values.yaml"], "\n") != strings.Count(before["values.yaml"], "\n") {
		t.Errorf("values.yaml after the bump:\n%s", after["values.yaml"])
	}
}

// TestGenerateReplacesStaleTemplates: generating a worker where a web
// service was removes the templates the new chart no longer has, in the
// patch and on disk, and keeps other files.
func TestGenerateReplacesStaleTemplates(t *testing.T) {
	repo := newRepo(t)
	out := filepath.Join(repo, "apps/svc")
	if code, _, stderr := aiden(t, "generate", "-q", "--intent", "web API image ghcr.io/acme/api:1.4.2 on port 8080 exposed at api.acme.io", "--output", out); code != exitOK {
		t.Fatalf("web: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(out, "README.md"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	worker := "worker image ghcr.io/acme/w:1.0.0"
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", worker, "--output", out, "--patch", "--replace")
	if code != exitOK {
		t.Fatalf("worker --patch: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "deleted file mode 100644") || !strings.Contains(stdout, "a/apps/svc/templates/ingress.yaml") {
		t.Errorf("patch does not delete the stale ingress template:\n%.2000s", stdout)
	}
	if code, stdout, stderr = aiden(t, "generate", "-q", "--intent", worker, "--output", out, "--replace"); code != exitOK {
		t.Fatalf("worker: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, gone := range []string{"templates/ingress.yaml", "templates/service.yaml"} {
		if _, err := os.Stat(filepath.Join(out, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after generating a worker (err %v)", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "README.md")); err != nil {
		t.Errorf("README.md was removed: %v", err)
	}
	if code, stdout, _ := aiden(t, "validate", out); code != exitOK {
		t.Errorf("the folder after regeneration does not validate: exit %d\n%s", code, stdout)
	}
}

// readTree reads every file under dir, by path relative to it.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
