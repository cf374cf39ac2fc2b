package server_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/action"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/wire"
)

const (
	staleSecret  = "S3cr3tP4ssw0rd!x"
	intentToken  = "ghp_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
	staleTarget  = "clusters/production/apps/redis"
	staleSecretF = staleTarget + "/templates/stale-secret.yaml"
)

// Probe (issue 12): a stale chart template holding password: "S3cr3t…" in
// the workspace came back in full as a deletion in the Generate response's
// patch and in the served GET /generations/ID.patch; an intent with a token
// in it was stored as sent. Now neither the responses, the served patch,
// the record nor the database file carries them, and the patch still
// applies with git apply, deleting the stale template.
func TestProbeServedPatchCarriesNoDeletedSecret(t *testing.T) {
	db := filepath.Join(t.TempDir(), "aiden.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := newRecordingServer(t, st, server.Options{})

	stale := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: redis-auth\nstringData:\n  password: \"" + staleSecret + "\"\n"
	// aiden wrote the stale template (its record says so), so replacing
	// the app deletes it; a template aiden did not write would stay.
	rec := record.New(redisIntent, "planner")
	rec.Files["templates/stale-secret.yaml"] = record.Digest([]byte(stale))
	ws := []*aidenv1.File{
		{Path: "clusters/production/apps/README.md", Content: []byte("# apps\n")},
		{Path: staleSecretF, Content: []byte(stale)},
		{Path: staleTarget + "/" + record.Path, Content: rec.Marshal()},
	}
	leaks := func(what, s string) {
		t.Helper()
		for _, secret := range []string{staleSecret, intentToken} {
			if strings.Contains(s, secret) {
				t.Errorf("%s carries %q", what, secret)
			}
		}
	}
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	ctx := context.Background()
	req := &aidenv1.GenerateRequest{
		Intent:     redisIntent + " (ticket by bot " + intentToken + ")",
		Format:     aidenv1.Format_FORMAT_HELM,
		TargetPath: staleTarget,
		Workspace:  ws,
		Mode:       aidenv1.Mode_MODE_REPLACE,
	}
	resp, err := client.Generate(ctx, connect.NewRequest(req))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mustUnified(t, resp.Msg)), staleSecretF) {
		t.Fatalf("the generation does not delete %s; the probe needs it to:\n%s", staleSecretF, resp.Msg.GetPatch())
	}
	leaks("Generate response patch", resp.Msg.GetPatch())
	withheld := false
	for _, f := range resp.Msg.GetFindings() {
		if f.GetRule() == action.RuleSecretWithheld && f.GetFile() == staleSecretF {
			withheld = true
		}
	}
	if !withheld {
		t.Errorf("no %s finding for %s in %v", action.RuleSecretWithheld, staleSecretF, resp.Msg.GetFindings())
	}
	id := resp.Header().Get(wire.HeaderGenerationID)

	// The same through GenerateStream.
	stream, err := client.GenerateStream(ctx, connect.NewRequest(&aidenv1.GenerateStreamRequest{Request: req}))
	if err != nil {
		t.Fatal(err)
	}
	var streamed *aidenv1.GenerateResponse
	for stream.Receive() {
		if r := stream.Msg().GetResult(); r != nil {
			streamed = r
		}
	}
	if err := stream.Err(); err != nil || streamed == nil {
		t.Fatalf("GenerateStream: %v, result %v", err, streamed)
	}
	leaks("GenerateStream result patch", streamed.GetPatch())

	served := get(t, srv.Client(), srv.URL+"/generations/"+id+".patch", http.StatusOK)
	leaks("GET /generations/ID.patch", served)
	if served != resp.Msg.GetPatch() {
		t.Errorf("the served patch differs from the response's")
	}
	g, err := client.GetGeneration(ctx, connect.NewRequest(&aidenv1.GetGenerationRequest{Id: id}))
	if err != nil {
		t.Fatal(err)
	}
	leaks("GetGeneration", g.Msg.String())
	if !strings.Contains(g.Msg.GetGeneration().GetIntent(), "<redacted:github-token>") {
		t.Errorf("stored intent = %q, want the token redacted", g.Msg.GetGeneration().GetIntent())
	}
	list, err := client.ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	leaks("ListGenerations", list.Msg.String())

	// Nothing reached the database file either.
	st.Close()
	for _, suffix := range []string{"", "-wal", "-journal"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil {
			continue
		}
		leaks("database file "+filepath.Base(db+suffix), string(b))
	}

	// The served patch applies: it deletes the stale template and creates
	// the chart.
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	dir := t.TempDir()
	for _, f := range ws {
		p := filepath.Join(dir, filepath.FromSlash(f.GetPath()))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.GetContent(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pf := filepath.Join(t.TempDir(), "gen.patch")
	if err := os.WriteFile(pf, []byte(served), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"apply", "--check", pf}, {"apply", pf}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s\npatch:\n%s", args, err, out, served)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(staleSecretF))); !os.IsNotExist(err) {
		t.Errorf("after git apply, %s still exists (%v)", staleSecretF, err)
	}
	for _, f := range resp.Msg.GetFiles() {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.GetPath())))
		if err != nil || !bytes.Equal(got, f.GetContent()) {
			t.Errorf("%s after git apply differs from the response's file (%v)", f.GetPath(), err)
		}
	}
}

// mustUnified names the files the response's patch touches.
func mustUnified(t *testing.T, r *aidenv1.GenerateResponse) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, l := range strings.Split(r.GetPatch(), "\n") {
		if strings.HasPrefix(l, "diff --git ") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}
