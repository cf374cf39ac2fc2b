package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/mcp"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
)

const redisIntent = "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production"

// exampleRepo copies examples/gitops (its generation config, examples and
// policies) into a new repository.
func exampleRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../examples/gitops")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// connect serves opts in memory and returns a client session.
func connect(t *testing.T, opts mcp.Options, copts *sdk.ClientOptions, roots ...string) *sdk.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := sdk.NewInMemoryTransports()
	ss, err := mcp.New(opts).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	c := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, copts)
	for _, r := range roots {
		//lint:ignore SA1019 clients send roots during the deprecation window; aiden mcp reads them
		c.AddRoots(&sdk.Root{URI: "file://" + filepath.ToSlash(r), Name: "workspace"})
	}
	cs, err := c.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// local is the stdio server's options over root, as aiden mcp sets them.
func local(root string) mcp.Options {
	engine := generator.New(generator.Options{})
	return mcp.Options{Generate: action.Generate{Engine: engine}.Run, Validate: engine, Root: root, Roots: true, Write: true, Version: "test"}
}

// call calls a tool and decodes its structured output into out.
func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, out any) *sdk.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s: tool error: %v", name, res.Content)
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: decode %s: %v", name, b, err)
		}
	}
	return res
}

// wantError calls a tool and checks the MCP error's code and data.code.
func wantError(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, code int64, apiCode, inMessage string) {
	t.Helper()
	_, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	var we *jsonrpc.Error
	if !errors.As(err, &we) {
		t.Fatalf("%s(%v): got %v, want an MCP error", name, args, err)
	}
	var data struct{ Code string }
	_ = json.Unmarshal(we.Data, &data)
	if we.Code != code || data.Code != apiCode || !strings.Contains(we.Message, inMessage) {
		t.Errorf("%s(%v): got code %d (%s) %q, want %d (%s) containing %q", name, args, we.Code, data.Code, we.Message, code, apiCode, inMessage)
	}
}

func TestTools(t *testing.T) {
	cs := connect(t, local(exampleRepo(t)), nil)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ readOnly, destructive bool }{
		"generate": {false, true}, "validate": {true, false}, "policy_test": {true, false},
		"explain_finding": {true, false}, "conventions": {true, false},
	}
	if len(res.Tools) != len(want) {
		t.Errorf("got %d tools, want %d", len(res.Tools), len(want))
	}
	for _, tool := range res.Tools {
		w, ok := want[tool.Name]
		if !ok {
			t.Errorf("unexpected tool %s", tool.Name)
			continue
		}
		a := tool.Annotations
		destructive := a != nil && a.DestructiveHint != nil && *a.DestructiveHint
		if a == nil || a.ReadOnlyHint != w.readOnly || destructive != w.destructive || a.IdempotentHint != w.readOnly {
			t.Errorf("%s: annotations %+v, want readOnly %v destructive %v", tool.Name, a, w.readOnly, w.destructive)
		}
		if tool.InputSchema == nil || tool.OutputSchema == nil || tool.Description == "" {
			t.Errorf("%s: missing schema or description", tool.Name)
		}
	}
}

func TestGenerateReturnsWithoutWriting(t *testing.T) {
	repo := exampleRepo(t)
	var mu sync.Mutex
	var progress []string
	cs := connect(t, local(repo), &sdk.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, r.Params.Message)
		mu.Unlock()
	}})
	params := &sdk.CallToolParams{Name: "generate", Arguments: map[string]any{"intent": redisIntent, "target": "clusters/production/apps/redis"}}
	params.SetProgressToken("gen-1")
	res, err := cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("generate: %v %v", err, res)
	}
	var out struct {
		Files      []struct{ Path, Content string }
		Patch      string
		Valid      bool
		Mode       string
		Understood []struct{ Key, Value string }
		Findings   []struct{ Rule, Severity, Text string }
		Written    bool
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Files) == 0 || !strings.Contains(out.Patch, "+++ b/clusters/production/apps/redis/") || out.Written || out.Mode != "create" {
		t.Errorf("generate: %d files, written %v, mode %q, patch %.200q", len(out.Files), out.Written, out.Mode, out.Patch)
	}
	if !slices.ContainsFunc(out.Understood, func(f struct{ Key, Value string }) bool {
		return f.Key == "replicas" && strings.HasPrefix(f.Value, "3")
	}) {
		t.Errorf("understood %v lacks 3 replicas", out.Understood)
	}
	for _, f := range out.Findings {
		if f.Text == "" || f.Severity == "" {
			t.Errorf("finding without text or severity: %+v", f)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "clusters/production/apps/redis")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("generate without write touched the workspace: %v", err)
	}
	// The conventions were followed: the config's namespace and labels.
	chart := strings.Join(func() (s []string) {
		for _, f := range out.Files {
			s = append(s, f.Content)
		}
		return
	}(), "\n")
	if !strings.Contains(chart, "payments-production") || !strings.Contains(chart, "payments@acme.io") {
		t.Errorf("the files do not follow the repository's conventions")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(progress) < 3 || !strings.HasPrefix(progress[0], "context") {
		t.Errorf("progress notifications: %q, want one per stage from context on", progress)
	}
}

func TestGenerateWritesInsideTheWorkspace(t *testing.T) {
	repo := exampleRepo(t)
	other := exampleRepo(t)
	// The client names other as its workspace: that is where files land.
	cs := connect(t, local(repo), nil, other)
	var out struct {
		Written bool
		Files   []struct{ Path string }
	}
	call(t, cs, "generate", map[string]any{"intent": redisIntent, "target": "clusters/production/apps/redis", "write": true}, &out)
	if !out.Written {
		t.Fatal("written is false")
	}
	for _, f := range out.Files {
		if _, err := os.Stat(filepath.Join(other, filepath.FromSlash(f.Path))); err != nil {
			t.Errorf("%s not written: %v", f.Path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "clusters/production/apps/redis")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("wrote into the server's folder rather than the client's root: %v", err)
	}
	// The same intent again changes the app it wrote.
	var again struct{ Mode string }
	call(t, cs, "generate", map[string]any{"intent": "5 replicas", "target": "clusters/production/apps/redis", "write": true}, &again)
	if again.Mode != "change" {
		t.Errorf("second generation mode %q, want change", again.Mode)
	}

	wantError(t, cs, "generate", map[string]any{"intent": redisIntent, "target": "../outside"}, jsonrpc.CodeInvalidParams, "invalid_argument", "name a folder inside the workspace")
	// Arguments against the input schema are refused by the SDK, as a tool error.
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "generate", Arguments: map[string]any{"intent": redisIntent, "target": "apps/x", "format": "pulumi"}})
	if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, "format") {
		t.Errorf("generate with format pulumi: %v %+v, want a tool error naming format", err, res)
	}
	wantError(t, cs, "generate", map[string]any{"intent": " ", "target": "apps/x"}, jsonrpc.CodeInvalidParams, "invalid_argument", "intent is required")
}

func TestGenerateNeverWritesWithoutWriteAccess(t *testing.T) {
	repo := exampleRepo(t)
	opts := local(repo)
	opts.Write = false // as over HTTP
	cs := connect(t, opts, nil)
	wantError(t, cs, "generate", map[string]any{"intent": redisIntent, "target": "clusters/production/apps/redis", "write": true},
		jsonrpc.CodeInvalidParams, "invalid_argument", "never writes")
}

// finding is what the tests read of a finding on the wire.
type finding struct {
	File, Rule, Text string
	Line, Column     int
}

func TestValidate(t *testing.T) {
	repo := exampleRepo(t)
	cs := connect(t, local(repo), nil)
	var out struct {
		Checked  int
		Valid    bool
		Failed   bool
		Findings []finding
	}
	call(t, cs, "validate", map[string]any{"paths": []string{"base/podinfo"}}, &out)
	if out.Checked == 0 {
		t.Errorf("validate base/podinfo checked nothing: %+v", out)
	}
	for _, f := range out.Findings {
		if filepath.IsAbs(f.File) {
			t.Errorf("finding names an absolute file: %+v", f)
		}
	}

	bad := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n"
	call(t, cs, "validate", map[string]any{"files": []map[string]string{{"path": "apps/web/deploy.yaml", "content": bad}}, "policy_check": false}, &out)
	// replicas is on line 6; the finding carries its line and column.
	if out.Valid || !out.Failed || !slices.ContainsFunc(out.Findings, func(f finding) bool {
		return f.Rule == "schema" && f.Line == 6 && f.Column > 0 && strings.Contains(f.Text, "apps/web/deploy.yaml:6:") && strings.HasSuffix(f.Text, "[schema]")
	}) {
		t.Errorf("validate of a bad Deployment: %+v", out)
	}
	wantError(t, cs, "validate", map[string]any{"paths": []string{"/etc"}}, jsonrpc.CodeInvalidParams, "invalid_argument", "absolute")
	wantError(t, cs, "validate", map[string]any{}, jsonrpc.CodeInvalidParams, "invalid_argument", "name the paths")
}

func TestPolicyTest(t *testing.T) {
	cs := connect(t, local(exampleRepo(t)), nil)
	policy := `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Enforce
  rules:
    - name: check-team
      match:
        any:
          - resources:
              kinds: [Pod]
      validate:
        message: "the team label is required"
        pattern:
          metadata:
            labels:
              team: "?*"
`
	pods := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\n  labels: {team: a}\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n"
	test := `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [policy.yaml]
resources: [pods.yaml]
results:
  - {policy: require-team, rule: check-team, resources: [good], kind: Pod, result: pass}
  - {policy: require-team, rule: check-team, resources: [bad], kind: Pod, result: pass}
`
	var out struct {
		Met, Total int
		Failed     bool
		Unmet      []struct{ Test, Resource, Got, Text string }
	}
	call(t, cs, "policy_test", map[string]any{"files": []map[string]string{
		{"path": "t/policy.yaml", "content": policy}, {"path": "t/pods.yaml", "content": pods}, {"path": "t/kyverno-test.yaml", "content": test},
	}}, &out)
	if out.Met != 1 || out.Total != 2 || !out.Failed || len(out.Unmet) != 1 || out.Unmet[0].Resource != "bad" || out.Unmet[0].Got != "fail" ||
		!strings.HasPrefix(out.Unmet[0].Text, "UNMET t/kyverno-test.yaml") {
		t.Errorf("policy_test: %+v", out)
	}
}

func TestExplainAndConventions(t *testing.T) {
	cs := connect(t, local(exampleRepo(t)), nil)
	var rule action.Rule
	call(t, cs, "explain_finding", map[string]any{"rule": "resources"}, &rule)
	if rule.ID != "resources" || rule.Check != "policy" || !strings.Contains(rule.Fix, "limits.memory") {
		t.Errorf("explain resources: %+v", rule)
	}
	wantError(t, cs, "explain_finding", map[string]any{"rule": "no-such-rule"}, jsonrpc.CodeInvalidParams, "invalid_argument", "no check emits it")

	var conv struct {
		Found     bool
		Team      string
		Labels    map[string]string
		Charts    map[string]string
		Resources map[string]struct{ Limits map[string]string }
	}
	call(t, cs, "conventions", nil, &conv)
	if !conv.Found || conv.Team != "payments" || conv.Labels["team"] != "payments" || conv.Resources["production"].Limits["memory"] != "512Mi" ||
		!strings.HasPrefix(conv.Charts["redis"], "https://charts.bitnami.com/bitnami/redis@") {
		t.Errorf("conventions: %+v", conv)
	}
	var none struct{ Found bool }
	call(t, connect(t, local(t.TempDir()), nil), "conventions", nil, &none)
	if none.Found {
		t.Error("conventions found a config in an empty folder")
	}
}

func TestResourcesAndPrompt(t *testing.T) {
	cs := connect(t, local(exampleRepo(t)), nil)
	ctx := context.Background()
	list, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range list.Resources {
		uris = append(uris, r.URI)
	}
	slices.Sort(uris)
	if !slices.Equal(uris, []string{"aiden://config", "aiden://examples", "aiden://policies"}) {
		t.Errorf("resources %v", uris)
	}
	cfg, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "aiden://config"})
	if err != nil || len(cfg.Contents) != 1 || !strings.Contains(cfg.Contents[0].Text, "team: payments") {
		t.Errorf("read config: %v %v", err, cfg)
	}
	ex, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "aiden://examples"})
	if err != nil || len(ex.Contents) != 3 || !slices.ContainsFunc(ex.Contents, func(c *sdk.ResourceContents) bool {
		return c.URI == "aiden://examples/deployment.yaml" && strings.Contains(c.Text, "kind: Deployment")
	}) {
		t.Errorf("read examples: %v %+v", err, ex)
	}
	pol, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "aiden://policies"})
	if err != nil || len(pol.Contents) == 0 || pol.Contents[0].URI != "aiden://policies/require-team-label.yaml" {
		t.Errorf("read policies: %v %+v", err, pol)
	}
	empty := connect(t, local(t.TempDir()), nil)
	if _, err := empty.ReadResource(ctx, &sdk.ReadResourceParams{URI: "aiden://config"}); err == nil {
		t.Error("read config of a folder without one: no error")
	}

	p, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "author-infrastructure", Arguments: map[string]string{"intent": "a web API", "target": "clusters/staging/apps/api"}})
	if err != nil || len(p.Messages) != 1 {
		t.Fatalf("prompt: %v %v", err, p)
	}
	text := p.Messages[0].Content.(*sdk.TextContent).Text
	for _, w := range []string{"a web API", "clusters/staging/apps/api", "explain_finding", "team:        payments"} {
		if !strings.Contains(text, w) {
			t.Errorf("prompt lacks %q:\n%s", w, text)
		}
	}
}

// A cancelled call stops the generation: the engine sees the cancellation
// while the model is still answering.
func TestCancelStopsTheGeneration(t *testing.T) {
	model := providertest.OpenAI(t, providertest.Step{Delay: time.Minute, Text: "never read"})
	engine := generator.New(generator.Options{Model: generator.ModelOptions{
		Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted"}})
	done := make(chan error, 1)
	opts := local(exampleRepo(t))
	opts.Generate = func(ctx context.Context, req generator.Request, progress func(generator.Event)) (*generator.Result, error) {
		res, err := action.Generate{Engine: engine}.Run(ctx, req, progress)
		done <- err
		return res, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := connect(t, opts, nil)
	go func() { // give up once the model has been asked
		for len(model.Requests()) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	params := &sdk.CallToolParams{Name: "generate", Arguments: map[string]any{"intent": redisIntent, "target": "clusters/production/apps/redis"}}
	params.SetProgressToken(1)
	if _, err := cs.CallTool(ctx, params); !errors.Is(err, context.Canceled) {
		t.Errorf("call: %v, want canceled", err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the generation ended with %v, want it canceled", err)
	}
	if n := len(model.Requests()); n != 1 {
		t.Errorf("model asked %d times, want 1", n)
	}
}
