package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/catalog"
	"github.com/stackgen/aiden/genconfig"
)

// argoFixture is the Argo CD app-of-apps repository (atrakic/argocd-app-of-apps):
// application.yaml, the root, syncs clusters/dev, which holds one
// Application per app.
const argoFixture = "../../infer/testdata/layouts/argocd-app-of-apps"

// readDoc reads the one YAML document of a file as a map.
func readDoc(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// field returns the value at a dotted path of m (nil when absent).
func field(m map[string]any, dotted string) any {
	var cur any = m
	for _, k := range strings.Split(dotted, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// TestGenerateArgoAppOfApps: in the Argo CD app-of-apps repository, which
// has no generation config, a catalogue app becomes an Application of its
// upstream chart shaped like the repository's Applications — the same
// project, destination server, syncPolicy the others share, metadata
// namespace, labels and annotations, file naming ({app}.yaml) and folder
// (the one the root Application syncs, directly in it, as the root does
// not recurse) — that passes aiden validate with no finding at warning,
// before and after aiden init writes the proposed config.
func TestGenerateArgoAppOfApps(t *testing.T) {
	repo := layoutRepo(t, argoFixture)
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", "Deploy a Redis cluster with 3 replicas in dev", "--output", filepath.Join(repo, "clusters/dev/redis"))
	if code != exitOK || !strings.Contains(stdout, "Findings: none") {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "registered   as clusters/dev/redis.yaml") {
		t.Errorf("the summary does not say where the Application went:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(repo, "clusters/dev/redis")); !os.IsNotExist(err) {
		t.Errorf("a folder clusters/dev/redis was written (the root syncs files of clusters/dev, not folders): %v", err)
	}

	// Placed where the root picks it up: directly in the folder it syncs.
	root := readDoc(t, filepath.Join(repo, "application.yaml"))
	if field(root, "spec.source.path") != "clusters/dev" || field(root, "spec.source.directory.recurse") == true {
		t.Fatalf("the fixture's root changed: %v", root["spec"])
	}
	made := readDoc(t, filepath.Join(repo, "clusters/dev/redis.yaml"))
	if made["kind"] != "Application" || field(made, "metadata.name") != "redis" {
		t.Fatalf("clusters/dev/redis.yaml is not the Application redis: %v", made)
	}

	// The catalogue chart, with the intent's replicas.
	c, _ := catalog.Lookup("redis")
	if field(made, "spec.source.chart") != c.Chart || field(made, "spec.source.targetRevision") != c.Version ||
		field(made, "spec.source.repoURL") != strings.TrimPrefix(c.Repository, "oci://") {
		t.Errorf("source %v, want chart %s %s from %s", field(made, "spec.source"), c.Chart, c.Version, c.Repository)
	}
	if n := field(made, "spec.source.helm.valuesObject.replica.replicaCount"); n != 3 {
		t.Errorf("replica.replicaCount = %v, want 3", n)
	}
	if field(made, "spec.destination.namespace") != "redis" {
		t.Errorf("destination namespace %v, want redis (the app's)", field(made, "spec.destination.namespace"))
	}

	// Shaped like each existing Application where they all agree, and
	// nothing they do not share (prune, allowEmpty, a finalizer).
	var existing []map[string]any
	for _, f := range []string{"clusters/dev/guestbook.yaml", "clusters/dev/infra.yaml"} {
		existing = append(existing, readDoc(t, filepath.Join(repo, f)))
	}
	for _, key := range []string{"metadata.namespace", "spec.project", "spec.destination.server"} {
		for _, old := range existing {
			if !reflect.DeepEqual(field(old, key), field(made, key)) {
				t.Errorf("%s: existing %v, new %v", key, field(old, key), field(made, key))
			}
		}
	}
	wantSync := map[string]any{"automated": map[string]any{"selfHeal": true}, "syncOptions": []any{"CreateNamespace=true"}}
	if got := field(made, "spec.syncPolicy"); !reflect.DeepEqual(got, wantSync) {
		t.Errorf("syncPolicy %v, want the one both Applications share %v", got, wantSync)
	}
	if f := field(made, "metadata.finalizers"); f != nil {
		t.Errorf("finalizers %v, which only guestbook has", f)
	}
	for _, old := range existing {
		for _, key := range []string{"metadata.labels", "metadata.annotations"} {
			if !reflect.DeepEqual(field(old, key), field(made, key)) {
				t.Errorf("%s: existing %v, new %v", key, field(old, key), field(made, key))
			}
		}
		// File naming: <metadata.name>.yaml, like the others.
		name := field(old, "metadata.name").(string)
		if _, err := os.Stat(filepath.Join(repo, "clusters/dev", name+".yaml")); err != nil {
			t.Errorf("the fixture's %s is not in %s.yaml: %v", name, name, err)
		}
	}

	_, stdout, _ = aiden(t, "validate", repo)
	if !strings.Contains(stdout, "Findings: none") {
		t.Errorf("validate after generate:\n%s", stdout)
	}

	// The proposed config: its conventions hold for the existing apps and
	// the new one.
	if code, stdout, stderr := aiden(t, "init", "--write", repo); code != exitOK {
		t.Fatalf("init --write: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := aiden(t, "config", "validate", repo); code != exitOK {
		t.Fatalf("config validate: exit %d\n%s", code, stdout)
	}
	cfg, err := genconfig.Load(filepath.Join(repo, genconfig.Path))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Layout.Delivery != genconfig.DeliveryArgoApplication || cfg.Layout.Applications != "clusters/{env}" {
		t.Errorf("layout: delivery %q, applications %q", cfg.Layout.Delivery, cfg.Layout.Applications)
	}
	_, stdout, _ = aiden(t, "validate", repo)
	if !strings.Contains(stdout, "3 apps against .stackgen/generation-config.yaml: no errors") || !strings.Contains(stdout, "Findings: none") {
		t.Errorf("validate with the proposed config:\n%s", stdout)
	}
}

// TestGenerateArgoAppOfAppsUnsyncedFolder: an app in a folder no root
// Application syncs is refused, naming the folders that are synced, and
// nothing is written.
func TestGenerateArgoAppOfAppsUnsyncedFolder(t *testing.T) {
	repo := layoutRepo(t, argoFixture)
	code, _, stderr := aiden(t, "generate", "-q", "--intent", "Deploy a Redis cluster with 3 replicas in production", "--output", filepath.Join(repo, "clusters/production/redis"))
	if code == exitOK || !strings.Contains(stderr, "no root Application syncs clusters/production") || !strings.Contains(stderr, "for dev") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(repo, "clusters/production")); !os.IsNotExist(err) {
		t.Errorf("clusters/production was written: %v", err)
	}
}

// TestGenerateArgoAppOfAppsKustomization: when the folder the root syncs
// is a kustomization (Argo CD then builds it with kustomize), the new
// Application's file is listed in its resources, and kustomize builds the
// folder with the new Application beside the others.
func TestGenerateArgoAppOfAppsKustomization(t *testing.T) {
	repo := layoutRepo(t, argoFixture)
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - guestbook.yaml\n  - infra.yaml\n"
	if err := os.WriteFile(filepath.Join(repo, "clusters/dev/kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := aiden(t, "generate", "-q", "--intent", "Deploy a Redis cluster with 3 replicas in dev", "--output", filepath.Join(repo, "clusters/dev/redis"))
	if code != exitOK || !strings.Contains(stdout, "registered   as clusters/dev/redis.yaml, listed in clusters/dev/kustomization.yaml") {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(repo, "clusters/dev/kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "  - redis.yaml\n") || strings.Contains(string(b), "- redis\n") {
		t.Errorf("kustomization.yaml:\n%s", b)
	}
	built := build(t, repo, "clusters/dev")
	for _, key := range []string{"Application/argocd/guestbook", "Application/argocd/infra", "Application/argocd/redis"} {
		if built[key] == nil {
			t.Errorf("kustomize build clusters/dev has no %s: %v", key, keys(built))
		}
	}
	if _, stdout, _ := aiden(t, "validate", repo); !strings.Contains(stdout, "Findings: none") {
		t.Errorf("validate after generate:\n%s", stdout)
	}
}
