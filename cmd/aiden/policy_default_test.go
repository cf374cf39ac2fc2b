package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/server"
)

// Probe (issue 12): policy checks were off unless asked for, so a plaintext
// Secret and a privileged hostPID pod passed. aiden validate and aiden
// generate now run them by default, in-process and through a server;
// --policy-check=false opts out.
func TestProbePolicyCheckOnByDefault(t *testing.T) {
	repo := newRepo(t)
	app := filepath.Join(repo, "apps/debug")
	mkfile(t, filepath.Join(app, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\nstringData:\n  password: S3cr3tP4ssw0rd!\n")
	mkfile(t, filepath.Join(app, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: apps\nspec:\n  hostPID: true\n  containers:\n    - name: debug\n      image: busybox:1.36\n      securityContext:\n        privileged: true\n")
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{}))
	defer srv.Close()
	// A server is sent paths relative to the current folder.
	t.Chdir(repo)
	rel := filepath.Join("apps", "debug")

	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"validate", []string{"validate", app}, exitFindings, []string{"[secret-plaintext]", "[pss-baseline]", "NOT valid"}},
		{"validate through a server", []string{"validate", "--server", srv.URL, rel}, exitFindings, []string{"[secret-plaintext]", "[pss-baseline]"}},
		{"validate opted out", []string{"validate", "--policy-check=false", app}, exitOK, nil},
		{"validate opted out through a server", []string{"validate", "--server", srv.URL, "--policy-check=false", rel}, exitOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := aiden(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.says {
				if !strings.Contains(stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, stdout)
				}
			}
			if tc.code == exitOK && strings.Contains(stdout, "policy") {
				t.Errorf("opted out, yet the output names a policy check:\n%s", stdout)
			}
		})
	}

	// generate: the policy check is among the checks that ran, by default
	// and through a server; not when opted out.
	for _, tc := range []struct {
		name   string
		args   []string
		policy bool
	}{
		{"generate", nil, true},
		{"generate through a server", []string{"--server", srv.URL}, true},
		{"generate opted out", []string{"--policy-check=false"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(newRepo(t), "clusters/production/apps/redis")
			args := append([]string{"generate", "-q", "--intent", "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production", "--output", out}, tc.args...)
			code, stdout, stderr := aiden(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if got := strings.Contains(stdout, "policy "); got != tc.policy {
				t.Errorf("policy check listed = %v, want %v:\n%s", got, tc.policy, stdout)
			}
		})
	}
}

// Probe (issue 12) at the CLI: a stale template holding a password, which
// the generation deletes, is not printed by aiden generate --patch, and the
// patch still applies with git apply; a .git/config token linked into the
// target is never read.
func TestProbeGeneratePatchCarriesNoSecret(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	repo := t.TempDir()
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+repo)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("init", "-q")
	out := filepath.Join(repo, "clusters/production/apps/redis")
	stale := filepath.Join(out, "templates/stale-secret.yaml")
	staleYAML := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: old\nstringData:\n  password: \"S3cr3tP4ssw0rd!x\"\n"
	mkfile(t, stale, staleYAML)
	// aiden wrote the stale template (its record says so), so --replace
	// deletes it; a template aiden did not write would stay.
	rec := record.New(redisIntent, "planner")
	rec.Files["templates/stale-secret.yaml"] = record.Digest([]byte(staleYAML))
	mkfile(t, filepath.Join(out, record.Path), string(rec.Marshal()))

	code, stdout, stderr := aiden(t, "generate", "-q", "--patch", "--replace", "--intent", redisIntent, "--output", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "S3cr3t") || !strings.Contains(stdout, "Binary files a/clusters/production/apps/redis/templates/stale-secret.yaml and /dev/null differ") {
		t.Fatalf("patch:\n%s", stdout)
	}
	pf := filepath.Join(t.TempDir(), "redis.patch")
	if err := os.WriteFile(pf, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun("apply", "--check", pf)
	gitRun("apply", pf)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale template is still there after git apply (%v)", err)
	}

	// A symlink in the target to .git/config is refused, naming the link.
	mkfile(t, filepath.Join(repo, ".git/config.extra"), "[remote \"origin\"]\n\turl = https://x:ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789@github.com/a/b\n")
	if err := os.Symlink("../../../../.git/config.extra", filepath.Join(out, "remote.yaml")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = aiden(t, "generate", "-q", "--patch", "--replace", "--intent", redisIntent, "--output", out)
	if code == exitOK || strings.Contains(stdout+stderr, "ghp_") || strings.Contains(stdout+stderr, repo) ||
		!strings.Contains(stderr, "clusters/production/apps/redis/remote.yaml: symlink leads into the .git folder") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
