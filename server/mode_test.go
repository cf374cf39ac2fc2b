package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/workspace"
)

// TestGenerateModes: the API carries the mode and force in, and the mode
// done and the files left alone out; a refusal is InvalidArgument naming
// the file.
func TestGenerateModes(t *testing.T) {
	srv := newServer(t)
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	ctx := context.Background()
	const target = "apps/worker"
	req := func(ws []*aidenv1.File, mode aidenv1.Mode, force bool) *connect.Request[aidenv1.GenerateRequest] {
		return connect.NewRequest(&aidenv1.GenerateRequest{Intent: "worker image ghcr.io/acme/w:1.0.0", TargetPath: target, Workspace: ws, Mode: mode, Force: force})
	}
	first, err := client.Generate(ctx, req(nil, aidenv1.Mode_MODE_UNSPECIFIED, false))
	if err != nil {
		t.Fatal(err)
	}
	if m := first.Msg.GetMode(); m != aidenv1.Mode_MODE_CREATE {
		t.Errorf("mode = %v, want MODE_CREATE", m)
	}
	var ws []*aidenv1.File
	recorded := false
	for _, f := range first.Msg.GetFiles() {
		if f.GetPath() == target+"/values.yaml" {
			f = &aidenv1.File{Path: f.GetPath(), Content: regexp.MustCompile(`(?m)^replicaCount: \d+$`).ReplaceAll(f.GetContent(), []byte("replicaCount: 5 # mine"))}
		}
		recorded = recorded || f.GetPath() == target+"/.aiden/record.yaml"
		ws = append(ws, f)
	}
	if !recorded {
		t.Fatalf("the response lacks the record")
	}
	ws = append(ws, &aidenv1.File{Path: target + "/templates/my-cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-cm\n")})

	for _, tc := range []struct {
		name string
		mode aidenv1.Mode
		want string
	}{
		{"create on a folder aiden wrote", aidenv1.Mode_MODE_CREATE, "already holds"},
		{"replace over a hand edit", aidenv1.Mode_MODE_REPLACE, "changed by hand since aiden wrote them, so not overwritten or deleted: values.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Generate(ctx, req(ws, tc.mode, false))
			if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want InvalidArgument with %q", err, tc.want)
			}
		})
	}

	resp, err := client.Generate(ctx, req(ws, aidenv1.Mode_MODE_REPLACE, true))
	if err != nil {
		t.Fatal(err)
	}
	if m := resp.Msg.GetMode(); m != aidenv1.Mode_MODE_REPLACE {
		t.Errorf("mode = %v, want MODE_REPLACE", m)
	}
	la := resp.Msg.GetLeftAlone()
	if len(la) != 1 || la[0].GetPath() != target+"/templates/my-cm.yaml" || !strings.Contains(la[0].GetReason(), "not written by aiden") {
		t.Errorf("left alone = %v, want my-cm.yaml, not written by aiden", la)
	}
	if !strings.Contains(resp.Msg.GetPatch(), "-replicaCount: 5 # mine") {
		t.Errorf("the patch does not overwrite values.yaml:\n%s", resp.Msg.GetPatch())
	}
}

// TestSlackGenerateOnAnExistingApp: "/aiden generate" on a folder that
// holds an app aiden wrote goes through the same engine in auto mode: the
// intent, which asks for the app again rather than for a change, is
// refused (as a second creation, or as a change the change author cannot
// make), and --replace refuses the file changed by hand by name.
func TestSlackGenerateOnAnExistingApp(t *testing.T) {
	repo := t.TempDir()
	const intent = "worker image ghcr.io/acme/w:1.0.0"
	res, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{Intent: intent, TargetPath: "apps/worker", SkipValidation: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := workspace.Write(repo, "apps/worker", res.Files); err != nil {
		t.Fatal(err)
	}
	values := filepath.Join(repo, "apps/worker/values.yaml")
	b, err := os.ReadFile(values)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(values, append(b, "# tuned by hand\n"...), 0o644); err != nil {
		t.Fatal(err)
	}

	respURL, posts := responseURL(t)
	s := newSlackServer(t, server.SlackOptions{Repo: repo, ResponseBases: []string{respURL}})
	for _, tc := range []struct{ flags, want string }{
		{"", `already holds|cannot change`},
		{" --replace", "changed by hand since aiden wrote them, so not overwritten or deleted: values.yaml"},
	} {
		body := command("generate "+intent+" --path apps/worker"+tc.flags, "U1", "C1", respURL)
		if code, ack := post(t, s.url, body, sign(signingSecret, body, time.Now())); code != http.StatusOK || !strings.Contains(ack, "Working on it") {
			t.Fatalf("ack: %d %q", code, ack)
		}
		select {
		case result := <-posts:
			if !strings.Contains(result, "failed") || !regexp.MustCompile(tc.want).MatchString(result) {
				t.Errorf("generate%s: result %q, want a failure with %q", tc.flags, result, tc.want)
			}
		case <-time.After(2 * time.Minute):
			t.Fatal("no result posted to response_url")
		}
	}
	if got, _ := os.ReadFile(values); !strings.HasSuffix(string(got), "# tuned by hand\n") {
		t.Errorf("values.yaml changed:\n%s", got)
	}
}
