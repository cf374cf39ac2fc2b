package patch

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/workspace"
)

const stalePassword = "S3cr3tP4ssw0rd!x"

// staleTemplate is a chart template holding a plaintext password.
var staleTemplate = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: \"" + stalePassword + "\"\n"

func noSecret(t *testing.T, what string, b []byte, secretsToo ...string) {
	t.Helper()
	if m := secrets.Find("", b); len(m) > 0 {
		t.Errorf("%s: the detectors find %v:\n%s", what, m, b)
	}
	for _, s := range append(secretsToo, stalePassword) {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s carries %q:\n%s", what, s, b)
		}
	}
}

// Probe (issue 12): a stale chart template holding password: "S3cr3t…" in
// the workspace came back in full as a deletion in the patch. The deletion
// is now a git binary deletion that carries no content and still applies.
func TestProbeDeletedSecretNotInPatch(t *testing.T) {
	requireTool(t, "git")
	old := []workspace.File{
		{Path: "apps/redis/Chart.yaml", Content: []byte("apiVersion: v2\nname: redis\nversion: 0.1.0\n")},
		{Path: "apps/redis/templates/secret.yaml", Content: []byte(staleTemplate)},
		{Path: "apps/redis/templates/old.yaml", Content: []byte("kind: ConfigMap\n")},
	}
	new := []workspace.File{{Path: "apps/redis/Chart.yaml", Content: []byte("apiVersion: v2\nname: redis\nversion: 0.2.0\n")}}
	deleted := []string{"apps/redis/templates/secret.yaml", "apps/redis/templates/old.yaml"}

	if plain := Unified(old, new, deleted...); !bytes.Contains(plain, []byte(stalePassword)) {
		t.Fatalf("Unified no longer shows the deleted password; the probe needs it to:\n%s", plain)
	}
	r := Redact(old, new, deleted...)
	noSecret(t, "redacted patch", r.Patch)
	if !bytes.Contains(r.Patch, []byte("Binary files a/apps/redis/templates/secret.yaml and /dev/null differ")) {
		t.Errorf("no binary deletion of the template:\n%s", r.Patch)
	}
	if !bytes.Contains(r.Patch, []byte("-kind: ConfigMap")) {
		t.Errorf("the deletion without a secret is not a text deletion:\n%s", r.Patch)
	}
	if len(r.Withheld) != 1 || r.Withheld[0].Path != "apps/redis/templates/secret.yaml" || r.Withheld[0].Line != 6 {
		t.Errorf("Withheld = %+v, want the template at line 6", r.Withheld)
	}
	assertTree(t, applyGit(t, old, r.Patch), want(old, new, deleted...), r.Patch)

	// A file that is not the one aiden read is not deleted.
	changed := append([]workspace.File(nil), old...)
	changed[1] = workspace.File{Path: changed[1].Path, Content: []byte(strings.Replace(staleTemplate, "db", "db2", 1))}
	if err := tryGit(t, changed, r.Patch); err == nil {
		t.Errorf("git apply --check accepted the deletion of a file that changed since")
	}
}

// A changed file whose diff would show a credential (context, removed or
// added line) becomes a git binary delta that copies the credential from
// the file itself: the result is byte for byte the intended one.
func TestRedactChangedFileKeepsItsSecret(t *testing.T) {
	requireTool(t, "git")
	values := func(replicas, tag string) string {
		return "replicaCount: " + replicas + "\nimage:\n  repository: redis\n  tag: " + tag + "\nauth:\n  password: \"" + stalePassword + "\"\n  user: app\nresources: {}\n"
	}
	old := []workspace.File{{Path: "apps/redis/values.yaml", Content: []byte(values("1", "7.2"))}}
	for _, tc := range []struct{ name, content string }{
		{"secret in context", values("1", "7.4")},
		{"secret line moved", strings.Replace(values("3", "7.2"), "auth:\n  password: \""+stalePassword+"\"\n", "", 1) + "auth2:\n  password: \"" + stalePassword + "\"\n"},
		{"secret line edited", strings.Replace(values("1", "7.2"), "\"\n  user: app", "\"   # rotated\n  user: app", 1)},
		{"long file", values("2", "7.2") + strings.Repeat("# padding line with text\n", 4000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			new := []workspace.File{{Path: "apps/redis/values.yaml", Content: []byte(tc.content)}}
			r := Redact(old, new)
			noSecret(t, "redacted patch", r.Patch)
			if r.Generated != 0 || string(r.Files[0].Content) != tc.content {
				t.Errorf("Files changed a credential of the workspace: generated=%d\n%s", r.Generated, r.Files[0].Content)
			}
			if !bytes.Contains(r.Patch, []byte("GIT binary patch\ndelta ")) {
				t.Errorf("not a binary delta:\n%s", r.Patch)
			}
			assertTree(t, applyGit(t, old, r.Patch), want(old, new), r.Patch)
		})
	}
	// A change far from the credential stays a readable text diff.
	far := values("1", "7.2") + strings.Repeat("x: 1\n", 10) + "extra: true\n"
	old2 := []workspace.File{{Path: "apps/redis/values.yaml", Content: []byte(values("1", "7.2") + strings.Repeat("x: 1\n", 10))}}
	r := Redact(old2, []workspace.File{{Path: "apps/redis/values.yaml", Content: []byte(far)}})
	if !bytes.Contains(r.Patch, []byte("+extra: true")) || len(r.Withheld) != 0 {
		t.Errorf("a change away from the credential is not a text diff (withheld %v):\n%s", r.Withheld, r.Patch)
	}
	noSecret(t, "text patch", r.Patch)
}

// Generated output with a credential-looking literal: replaced in the files
// and in the patch, and counted.
func TestRedactGeneratedCredential(t *testing.T) {
	requireTool(t, "git")
	token := "ghp_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
	new := []workspace.File{
		{Path: "apps/api/values.yaml", Content: []byte("image: api:1.0\ngithubToken: " + token + "\ndb:\n  password: \"Hunter2Hunter2!\"\n")},
		{Path: "apps/api/Chart.yaml", Content: []byte("apiVersion: v2\nname: api\nversion: 0.1.0\n")},
	}
	r := Redact(nil, new)
	if r.Generated != 2 || len(r.Withheld) != 2 || !r.Withheld[0].Generated || r.Withheld[0].Line != 2 || r.Withheld[1].Line != 4 {
		t.Errorf("Generated = %d, Withheld = %+v; want 2 generated, at lines 2 and 4", r.Generated, r.Withheld)
	}
	noSecret(t, "patch", r.Patch, token, "Hunter2Hunter2!")
	for _, f := range r.Files {
		noSecret(t, f.Path, f.Content, token, "Hunter2Hunter2!")
	}
	if !bytes.Contains(r.Files[0].Content, []byte("githubToken: <redacted:github-token>")) {
		t.Errorf("values.yaml = %s", r.Files[0].Content)
	}
	assertTree(t, applyGit(t, nil, r.Patch), want(nil, r.Files), r.Patch)
}

// A new file holding a credential the workspace had (the generator moved
// it): the files keep it, the patch does not and says so.
func TestRedactCreatedFileWithWorkspaceSecret(t *testing.T) {
	old := []workspace.File{{Path: "apps/redis/values.yaml", Content: []byte("password: \"" + stalePassword + "\"\n")}}
	new := []workspace.File{{Path: "apps/redis/values-production.yaml", Content: []byte("password: \"" + stalePassword + "\"\n")}}
	r := Redact(old, new)
	if string(r.Files[0].Content) != string(new[0].Content) {
		t.Errorf("Files lost the workspace's credential: %s", r.Files[0].Content)
	}
	noSecret(t, "patch", r.Patch)
	if len(r.Withheld) != 1 || r.Withheld[0].Path != "apps/redis/values-production.yaml" || r.Withheld[0].Line != 1 {
		t.Errorf("Withheld = %+v", r.Withheld)
	}
}

// Without credentials Redact is Unified.
func TestRedactWithoutSecretsIsUnified(t *testing.T) {
	old := []workspace.File{{Path: "a.yaml", Content: []byte("a: 1\n")}, {Path: "b.yaml", Content: []byte("b: 1\n")}}
	new := []workspace.File{{Path: "a.yaml", Content: []byte("a: 2\n")}, {Path: "c.yaml", Content: []byte("c: 1\n")}}
	r := Redact(old, new, "b.yaml")
	if u := Unified(old, new, "b.yaml"); !bytes.Equal(r.Patch, u) {
		t.Errorf("Redact = \n%s\nUnified = \n%s", r.Patch, u)
	}
	if r.Generated != 0 || len(r.Withheld) != 0 {
		t.Errorf("Generated %d, Withheld %v", r.Generated, r.Withheld)
	}
}

// tryGit runs git apply --check of diff in a repository holding old.
func tryGit(t *testing.T, old []workspace.File, diff []byte) error {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(t.TempDir(), "change.diff")
	if err := os.WriteFile(p, diff, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, diff, "git", "init", "-q")
	writeTree(t, dir, old)
	cmd := exec.Command("git", "apply", "--check", p)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	return cmd.Run()
}
