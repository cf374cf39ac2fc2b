package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/auth/authtest"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
)

// runMainEnv makes this test binary run aiden's main (TestMain), so that a
// test can start `aiden mcp` as a command.
const runMainEnv = "AIDEN_TEST_RUN_MAIN"

func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, out any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil || res.IsError {
		t.Fatalf("%s: %v %v", name, err, res)
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// aiden mcp, started as a command and driven over its standard input and
// output by the SDK's client.
func TestMCPCommand(t *testing.T) {
	repo := exampleRepo(t)
	cmd := exec.Command(os.Args[0], "mcp")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "XDG_CONFIG_HOME="+t.TempDir()) // no user config: the planner answers
	cmd.Stderr = os.Stderr
	ctx := context.Background()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 5 {
		t.Fatalf("tools/list: %v, %d tools", err, len(tools.Tools))
	}
	var gen struct {
		Written bool
		Valid   bool
		Files   []struct{ Path string }
	}
	callTool(t, cs, "generate", map[string]any{"intent": redisIntent, "target": "clusters/production/apps/redis", "write": true}, &gen)
	if !gen.Written || len(gen.Files) == 0 {
		t.Fatalf("generate: %+v", gen)
	}
	for _, f := range gen.Files {
		if _, err := os.Stat(filepath.Join(repo, filepath.FromSlash(f.Path))); err != nil {
			t.Errorf("%s not written: %v", f.Path, err)
		}
	}
	var val struct {
		Checked int
		Valid   bool
	}
	callTool(t, cs, "validate", map[string]any{"paths": []string{"clusters/production/apps/redis"}}, &val)
	if val.Checked == 0 || !val.Valid {
		t.Errorf("validate of what generate wrote: %+v", val)
	}
}

type withToken struct {
	token string
	next  http.RoundTripper
}

func (w withToken) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+w.token)
	return w.next.RoundTrip(r)
}

// /mcp on aiden serve's handler, over real HTTP, behind its authentication:
// roles are checked per tool, generations are recorded as the caller's,
// and a session answers only the caller who opened it.
func TestMCPOverHTTP(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repo := exampleRepo(t)
	h := server.New(generator.New(generator.Options{}), server.Options{Store: st,
		Auth: authtest.TokenFile(t, map[string][]auth.Role{"dev": {auth.RoleGenerate, auth.RoleValidate}, "ci": {auth.RoleValidate}, "reader": {auth.RoleReadOwn}})})
	mountMCP(h, repo)
	srv := httptest.NewServer(h)
	defer srv.Close()
	connectAs := func(token string) (*sdk.ClientSession, error) {
		hc := &http.Client{Transport: withToken{token: token, next: http.DefaultTransport}}
		return sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
			&sdk.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: hc, DisableStandaloneSSE: true}, nil)
	}

	if cs, err := connectAs("wrong-token"); err == nil {
		cs.Close()
		t.Fatal("connected without a valid token")
	}

	dev, err := connectAs("dev-token")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	var gen struct {
		Written bool
		Patch   string
	}
	callTool(t, dev, "generate", map[string]any{"intent": redisIntent, "target": "clusters/production/apps/redis"}, &gen)
	if gen.Written || !strings.Contains(gen.Patch, "clusters/production/apps/redis/") {
		t.Errorf("generate over HTTP: written %v, patch %.100q", gen.Written, gen.Patch)
	}
	if _, err := os.Stat(filepath.Join(repo, "clusters/production/apps/redis")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("generate over HTTP wrote into the repository: %v", err)
	}
	recs, _, err := st.List(ctx, store.Filter{Owner: "dev"})
	if err != nil || len(recs) != 1 || recs[0].Status != store.StatusSucceeded {
		t.Errorf("records of dev: %v %+v, want the generation recorded", err, recs)
	}
	_, err = dev.CallTool(ctx, &sdk.CallToolParams{Name: "generate", Arguments: map[string]any{"intent": redisIntent, "target": "apps/x", "write": true}})
	if we := new(jsonrpc.Error); !errors.As(err, &we) || we.Code != jsonrpc.CodeInvalidParams {
		t.Errorf("write over HTTP: %v, want invalid params", err)
	}

	ci, err := connectAs("ci-token")
	if err != nil {
		t.Fatal(err)
	}
	defer ci.Close()
	var val struct{ Checked int }
	callTool(t, ci, "validate", map[string]any{"paths": []string{"base/podinfo"}}, &val)
	if val.Checked == 0 {
		t.Error("validate over HTTP checked nothing")
	}
	_, err = ci.CallTool(ctx, &sdk.CallToolParams{Name: "generate", Arguments: map[string]any{"intent": redisIntent, "target": "apps/x"}})
	var we *jsonrpc.Error
	if !errors.As(err, &we) || we.Code != -32007 || !strings.Contains(string(we.Data), "permission_denied") {
		t.Errorf("generate without the generate role: %v, want permission_denied", err)
	}

	reader, err := connectAs("reader-token")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	_, err = reader.CallTool(ctx, &sdk.CallToolParams{Name: "policy_test", Arguments: map[string]any{"paths": []string{"policies"}}})
	if !errors.As(err, &we) || we.Code != -32007 {
		t.Errorf("policy_test without the validate role: %v, want permission_denied", err)
	}
	var rule struct{ ID string }
	callTool(t, reader, "explain_finding", map[string]any{"rule": "pdb"}, &rule)
	if rule.ID != "pdb" {
		t.Errorf("explain_finding for any caller: %+v", rule)
	}

	// ci presents dev's session id: not found.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer ci-token")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", dev.ID())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another caller's session: status %d, want 404", resp.StatusCode)
	}
}
