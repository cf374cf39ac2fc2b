package lsp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
)

// aidenBin is the aiden binary the tests start as `aiden lsp`, built once.
var aidenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aiden-lsp-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	aidenBin = filepath.Join(dir, "aiden")
	build := exec.Command("go", "build", "-o", aidenBin, "../cmd/aiden")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build aiden:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// client is the editor's side: it records what the server publishes and
// the edits it asks to apply. The methods the server never calls are
// left to the embedded interface (nil: a call fails the test loudly).
type client struct {
	protocol.Client
	mu      sync.Mutex
	diags   map[uri.URI][]*protocol.PublishDiagnosticsParams
	changed chan struct{}
	applied []protocol.WorkspaceEdit
}

func (c *client) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	c.mu.Lock()
	c.diags[p.URI] = append(c.diags[p.URI], p)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return nil
}

func (c *client) ApplyEdit(_ context.Context, p *protocol.ApplyWorkspaceEditParams) (bool, error) {
	c.mu.Lock()
	c.applied = append(c.applied, p.Edit)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return true, nil
}

func (c *client) LogMessage(context.Context, *protocol.LogMessageParams) error   { return nil }
func (c *client) ShowMessage(context.Context, *protocol.ShowMessageParams) error { return nil }

// session is one `aiden lsp` process and the client connected to it.
type session struct {
	t      *testing.T
	ctx    context.Context
	server protocol.Server
	client *client
	cmd    *exec.Cmd
}

type stdio struct {
	io.ReadCloser
	io.WriteCloser
}

func (s stdio) Close() error { return s.WriteCloser.Close() }

func start(t *testing.T, root string) *session {
	t.Helper()
	cmd := exec.Command(aidenBin, "lsp")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &client{diags: map[uri.URI][]*protocol.PublishDiagnosticsParams{}, changed: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	ctx, conn, server := protocol.NewClient(ctx, c, jsonrpc2.NewStream(stdio{out, in}), zap.NewNop())
	s := &session{t: t, ctx: ctx, server: server, client: c, cmd: cmd}
	t.Cleanup(func() {
		// The protocol's way out: shutdown, then exit.
		_ = server.Shutdown(ctx)
		_ = server.Exit(ctx)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("aiden lsp exited with %v after shutdown and exit", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("aiden lsp did not exit after shutdown and exit")
		}
		conn.Close()
		cancel()
	})
	res, err := server.Initialize(ctx, &protocol.InitializeParams{
		ProcessID:        int32(os.Getpid()),
		WorkspaceFolders: []protocol.WorkspaceFolder{{URI: string(uri.File(root)), Name: filepath.Base(root)}},
		Capabilities: protocol.ClientCapabilities{
			Workspace: &protocol.WorkspaceClientCapabilities{ApplyEdit: true},
		},
	})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if res.ServerInfo == nil || res.ServerInfo.Name != "aiden" {
		t.Fatalf("initialize: server info %+v", res.ServerInfo)
	}
	if res.Capabilities.HoverProvider != true || res.Capabilities.ExecuteCommandProvider == nil ||
		len(res.Capabilities.ExecuteCommandProvider.Commands) != 1 || res.Capabilities.ExecuteCommandProvider.Commands[0] != "aiden.generate" {
		t.Fatalf("initialize: capabilities %+v", res.Capabilities)
	}
	if err := server.Initialized(ctx, &protocol.InitializedParams{}); err != nil {
		t.Fatal(err)
	}
	if err := server.SetTrace(ctx, &protocol.SetTraceParams{Value: protocol.TraceOff}); err != nil {
		t.Fatalf("$/setTrace: %v", err)
	}
	return s
}

// waitDiags waits for the n-th publication (counting from 1) of
// diagnostics for u and returns it.
func (s *session) waitDiags(u uri.URI, n int) []protocol.Diagnostic {
	s.t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		s.client.mu.Lock()
		got := s.client.diags[u]
		s.client.mu.Unlock()
		if len(got) >= n {
			return got[n-1].Diagnostics
		}
		select {
		case <-s.client.changed:
		case <-deadline:
			s.t.Fatalf("no diagnostics #%d for %s (had %d)", n, u, len(got))
		}
	}
}

func (s *session) open(p, text string) uri.URI {
	s.t.Helper()
	u := uri.File(p)
	if err := s.server.DidOpen(s.ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: u, LanguageID: "yaml", Version: 1, Text: text}}); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// change replaces the whole of old with text, as an incremental change
// (the client library sends a range with every change).
func (s *session) change(u uri.URI, version int32, old, text string) {
	s.t.Helper()
	lines := strings.Split(old, "\n")
	end := protocol.Position{Line: uint32(len(lines) - 1), Character: uint32(len(lines[len(lines)-1]))}
	if err := s.server.DidChange(s.ctx, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
		ContentChanges: []protocol.TextDocumentContentChangeEvent{{Range: protocol.Range{End: end}, Text: text}},
	}); err != nil {
		s.t.Fatal(err)
	}
}

// repo writes files into a new repository (a folder with .git) and
// returns its root.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          colour: blue
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
`

// byCode indexes diagnostics by their code (the rule).
func byCode(ds []protocol.Diagnostic) map[string][]protocol.Diagnostic {
	m := map[string][]protocol.Diagnostic{}
	for _, d := range ds {
		code := fmt.Sprint(d.Code)
		m[code] = append(m[code], d)
	}
	return m
}

func codes(ds []protocol.Diagnostic) []string {
	var out []string
	for c := range byCode(ds) {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// applyEdits applies text edits (non-overlapping, any order) to text.
func applyEdits(t *testing.T, text string, edits []protocol.TextEdit) string {
	t.Helper()
	offset := func(p protocol.Position) int {
		lines := strings.SplitAfter(text, "\n")
		o := 0
		for i := 0; i < int(p.Line) && i < len(lines); i++ {
			o += len(lines[i])
		}
		return o + int(p.Character)
	}
	sort.SliceStable(edits, func(i, j int) bool { return offset(edits[i].Range.Start) > offset(edits[j].Range.Start) })
	for _, e := range edits {
		a, b := offset(e.Range.Start), offset(e.Range.End)
		text = text[:a] + e.NewText + text[b:]
	}
	return text
}

func TestDiagnosticsOnOpenChangeSaveClose(t *testing.T) {
	root := repo(t, map[string]string{"apps/web/deployment.yaml": deployment})
	s := start(t, root)
	p := filepath.Join(root, "apps/web/deployment.yaml")
	u := s.open(p, deployment)
	ds := s.waitDiags(u, 1)
	got := byCode(ds)

	schema := got["schema"]
	if len(schema) != 1 {
		t.Fatalf("want one schema diagnostic, got %v: %+v", codes(ds), ds)
	}
	// The unknown field, on its key: line 19 (0-based 18), "colour" at column 10.
	want := protocol.Range{Start: protocol.Position{Line: 18, Character: 10}, End: protocol.Position{Line: 18, Character: 16}}
	if schema[0].Range != want || schema[0].Severity != protocol.DiagnosticSeverityError || !strings.Contains(schema[0].Message, "colour") {
		t.Errorf("schema diagnostic: %+v, want range %+v, error, naming colour", schema[0], want)
	}
	if schema[0].Source != "aiden" || schema[0].CodeDescription == nil || !strings.HasSuffix(string(schema[0].CodeDescription.Href), "README.md#how-output-is-checked") {
		t.Errorf("schema diagnostic source/link: %q %+v", schema[0].Source, schema[0].CodeDescription)
	}
	res := got["resources"]
	if len(res) != 1 {
		t.Fatalf("want one resources diagnostic, got %v", codes(ds))
	}
	want = protocol.Range{Start: protocol.Position{Line: 21, Character: 10}, End: protocol.Position{Line: 21, Character: 19}}
	if res[0].Range != want || res[0].Severity != protocol.DiagnosticSeverityWarning || !strings.Contains(res[0].Message, "limits.memory") {
		t.Errorf("resources diagnostic: %+v, want range %+v (the resources key), warning, naming limits.memory", res[0], want)
	}
	if res[0].CodeDescription == nil || !strings.HasSuffix(string(res[0].CodeDescription.Href), "docs/policies.md#resources-warning") {
		t.Errorf("resources link: %+v", res[0].CodeDescription)
	}
	if probes := got["probes"]; len(probes) != 1 || probes[0].Range.Start.Line != 16 {
		t.Errorf("probes diagnostic: %+v, want one on the container's first key (line 17)", probes)
	}

	// A change that drops the unknown field: checked again after the
	// debounce, without it.
	fixed := strings.Replace(deployment, "          colour: blue\n", "", 1)
	s.change(u, 2, deployment, fixed)
	ds = s.waitDiags(u, 2)
	if got := byCode(ds); len(got["schema"]) != 0 || len(got["resources"]) != 1 || got["resources"][0].Range.Start.Line != 20 {
		t.Errorf("after the change: %+v", ds)
	}

	// Saved with a new image tag: latest breaks the image-tag rule.
	saved := strings.Replace(fixed, "nginx:1.27", "nginx:latest", 1)
	if err := s.server.DidSave(s.ctx, &protocol.DidSaveTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Text: saved}); err != nil {
		t.Fatal(err)
	}
	ds = s.waitDiags(u, 3)
	if tag := byCode(ds)["image-tag"]; len(tag) != 1 || tag[0].Range.Start.Line != 17 || tag[0].Severity != protocol.DiagnosticSeverityError {
		t.Errorf("after the save: want an image-tag error on line 18, got %+v", ds)
	}

	if err := s.server.DidClose(s.ctx, &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
		t.Fatal(err)
	}
	if ds := s.waitDiags(u, 4); len(ds) != 0 {
		t.Errorf("after close: %+v, want none", ds)
	}
}

func TestDiagnosticsOfChartsKustomizationsAndTerraform(t *testing.T) {
	root := repo(t, map[string]string{
		// A chart whose template renders an unknown field.
		"charts/web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml": "replicas: 2\n",
		"charts/web/templates/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      colour: {{ .Values.replicas }}
`,
		// An overlay built over a base outside its folder.
		"base/service.yaml":       "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector:\n    app: api\n  ports:\n    - port: 80\n",
		"base/kustomization.yaml": "resources:\n  - service.yaml\n",
		"clusters/production/api/kustomization.yaml": `resources:
  - ../../../base
patches:
  - target:
      kind: Service
    patch: |
      - op: add
        path: /spec/flavour
        value: sweet
`,
		// Terraform with a public bucket.
		"infra/main.tf": `# The site's bucket.

resource "aws_s3_bucket_acl" "site" {
  bucket = "site"
  acl    = "public-read"
}
`,
	})
	s := start(t, root)
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		file, on, rule, text string
		line                 uint32
	}{
		{"charts/web/templates/service.yaml", "", "schema", "colour", 9},
		// What the overlay builds is shown where the object's field comes from.
		{"clusters/production/api/kustomization.yaml", "base/service.yaml", "schema", "additional properties 'flavour' not allowed", 4},
		// A Terraform finding is shown on its resource's block.
		{"infra/main.tf", "", "tf-public-bucket", "public-read", 2},
	} {
		u := s.open(filepath.Join(root, c.file), read(c.file))
		if c.on != "" {
			u = uri.File(filepath.Join(root, c.on))
		}
		ds := s.waitDiags(u, 1)
		found := false
		for _, d := range ds {
			if fmt.Sprint(d.Code) == c.rule && strings.Contains(d.Message, c.text) && d.Range.Start.Line == c.line {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want a %s diagnostic naming %q on line %d (0-based), got %+v", c.file, c.rule, c.text, c.line, ds)
		}
	}
}

func TestOtherYAMLIsLeftAlone(t *testing.T) {
	workflow := "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
	root := repo(t, map[string]string{".github/workflows/ci.yaml": workflow})
	s := start(t, root)
	u := s.open(filepath.Join(root, ".github/workflows/ci.yaml"), workflow)
	if ds := s.waitDiags(u, 1); len(ds) != 0 {
		t.Errorf("a CI workflow got diagnostics: %+v", ds)
	}
	// Once it holds a Kubernetes object, it is checked.
	obj := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\n"
	s.change(u, 2, workflow, obj)
	if ds := s.waitDiags(u, 2); len(byCode(ds)["schema"]) != 1 {
		t.Errorf("a ConfigMap with a number in data: %+v, want one schema diagnostic", ds)
	}
}

func TestCodeActionsFixResourcesProbesAndConventions(t *testing.T) {
	clean := strings.Replace(deployment, "          colour: blue\n", "", 1)
	root := repo(t, map[string]string{
		".stackgen/generation-config.yaml": "version: 1\nlabels:\n  team: payments\n",
		"apps/web/deployment.yaml":         clean,
	})
	s := start(t, root)
	p := filepath.Join(root, "apps/web/deployment.yaml")
	u := s.open(p, clean)
	ds := s.waitDiags(u, 1)
	got := byCode(ds)
	for _, rule := range []string{"resources", "probes", "conventions/labels"} {
		if len(got[rule]) == 0 {
			t.Fatalf("want a %s diagnostic, got %v", rule, codes(ds))
		}
	}
	text := clean
	version := int32(1)
	publications := 1
	for _, rule := range []string{"resources", "probes", "conventions/labels"} {
		d := byCode(ds)[rule][0]
		actions, err := s.server.CodeAction(s.ctx, &protocol.CodeActionParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: u}, Range: d.Range,
			Context: protocol.CodeActionContext{Diagnostics: []protocol.Diagnostic{d}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var fix *protocol.CodeAction
		for i, a := range actions {
			for _, ad := range a.Diagnostics {
				if fmt.Sprint(ad.Code) == rule {
					fix = &actions[i]
				}
			}
		}
		if fix == nil || fix.Edit == nil || len(fix.Edit.Changes[u]) == 0 || fix.Kind != protocol.QuickFix {
			t.Fatalf("%s: no quick fix with an edit of the document among %+v", rule, actions)
		}
		old := text
		text = applyEdits(t, text, fix.Edit.Changes[u])
		version++
		s.change(u, version, old, text)
		publications++
		ds = s.waitDiags(u, publications)
		if n := len(byCode(ds)[rule]); n != 0 {
			t.Errorf("%s: still %d after the fix %q; the text is now\n%s", rule, n, fix.Title, text)
		}
	}
	for _, want := range []string{"limits:\n              memory: 64Mi", "livenessProbe:\n            tcpSocket:\n              port: 8080", "team: payments"} {
		if !strings.Contains(text, want) {
			t.Errorf("the fixed text lacks %q:\n%s", want, text)
		}
	}
}

func TestHover(t *testing.T) {
	root := repo(t, map[string]string{"apps/web/deployment.yaml": deployment})
	s := start(t, root)
	u := s.open(filepath.Join(root, "apps/web/deployment.yaml"), deployment)
	for _, c := range []struct {
		line, char uint32
		want       string
	}{
		{6, 4, "**spec.replicas** (integer)"},                          // replicas
		{17, 11, "**spec.template.spec.containers.0.image** (string)"}, // image
		{21, 12, "Compute Resources required by this container"},       // resources
	} {
		h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{Line: c.line, Character: c.char}}})
		if err != nil {
			t.Fatal(err)
		}
		if h == nil || h.Contents.Kind != protocol.Markdown || !strings.Contains(h.Contents.Value, c.want) {
			t.Errorf("hover at %d:%d: %+v, want %q", c.line, c.char, h, c.want)
		}
	}
	// Off any key: no hover.
	h, err := s.server.Hover(s.ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{Line: 6, Character: 13}}})
	if err != nil || h != nil {
		t.Errorf("hover on a value: %+v, %v; want none", h, err)
	}
}

func TestGenerateCommand(t *testing.T) {
	root := repo(t, map[string]string{"clusters/production/apps/kustomization.yaml": "resources: []\n"})
	s := start(t, root)
	target := filepath.Join(root, "clusters/production/apps/redis")
	raw, err := s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: "aiden.generate", Arguments: []interface{}{map[string]any{
		"intent": "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production",
		"target": string(uri.File(target)), "format": "helm", "apply": true,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(raw)
	var res struct {
		Edit struct {
			DocumentChanges []map[string]any `json:"documentChanges"`
		} `json:"edit"`
		Summary        string `json:"summary"`
		ApplyRequested bool   `json:"applyRequested"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{}
	edited := map[string]string{}
	for _, c := range res.Edit.DocumentChanges {
		if c["kind"] == "create" {
			created[fmt.Sprint(c["uri"])] = true
		}
		if td, ok := c["textDocument"].(map[string]any); ok {
			edits, _ := c["edits"].([]any)
			if len(edits) == 1 {
				edited[fmt.Sprint(td["uri"])] = fmt.Sprint(edits[0].(map[string]any)["newText"])
			}
		}
	}
	chart := string(uri.File(filepath.Join(target, "Chart.yaml")))
	if !created[chart] || !strings.Contains(edited[chart], "name: redis") {
		t.Errorf("the edit does not create %s with the chart: %s", chart, b)
	}
	parent := string(uri.File(filepath.Join(root, "clusters/production/apps/kustomization.yaml")))
	if created[parent] || !strings.Contains(edited[parent], "redis") {
		t.Errorf("the edit does not register the app in %s: %q", parent, edited[parent])
	}
	if !res.ApplyRequested || !strings.Contains(res.Summary, "create") {
		t.Errorf("result: apply requested %v, summary %q", res.ApplyRequested, res.Summary)
	}
	// The server asks the client to apply the same edit.
	deadline := time.After(time.Minute)
	for {
		s.client.mu.Lock()
		n := len(s.client.applied)
		s.client.mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case <-s.client.changed:
		case <-deadline:
			t.Fatal("no workspace/applyEdit")
		}
	}
	if n := len(s.client.applied[0].DocumentChanges); n != len(res.Edit.DocumentChanges) {
		t.Errorf("applyEdit carried %d changes, the result %d", n, len(res.Edit.DocumentChanges))
	}

	// Bad arguments are an error naming what is wrong.
	_, err = s.server.ExecuteCommand(s.ctx, &protocol.ExecuteCommandParams{Command: "aiden.generate", Arguments: []interface{}{map[string]any{"intent": "x", "target": "relative/path"}}})
	if err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("relative target: %v", err)
	}
}

func TestConventionsFixRenamesAcrossTheAppFolder(t *testing.T) {
	config := `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  MODE: fast
`
	app := strings.Replace(strings.Replace(deployment, "          colour: blue\n", "          envFrom:\n            - configMapRef:\n                name: web-config\n", 1),
		"  namespace: web\n", "", 1)
	root := repo(t, map[string]string{
		".stackgen/generation-config.yaml":               "version: 1\nnaming:\n  pattern: \"{env}-{app}\"\n",
		"clusters/production/apps/web/deployment.yaml":   app,
		"clusters/production/apps/web/configmap.yaml":    config,
		"clusters/production/apps/web/kustomization.yml": "resources:\n  - deployment.yaml\n  - configmap.yaml\n",
	})
	s := start(t, root)
	p := filepath.Join(root, "clusters/production/apps/web/deployment.yaml")
	u := s.open(p, app)
	ds := s.waitDiags(u, 1)
	naming := byCode(ds)["conventions/naming"]
	if len(naming) == 0 {
		t.Fatalf("want a conventions/naming diagnostic on the deployment, got %v", codes(ds))
	}
	actions, err := s.server.CodeAction(s.ctx, &protocol.CodeActionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Range: naming[0].Range,
		Context: protocol.CodeActionContext{Diagnostics: naming},
	})
	if err != nil {
		t.Fatal(err)
	}
	var edit *protocol.WorkspaceEdit
	for _, a := range actions {
		if strings.Contains(a.Title, "conventions (naming") {
			edit = a.Edit
		}
	}
	if edit == nil {
		t.Fatalf("no conventions fix among %+v", actions)
	}
	cm := uri.File(filepath.Join(root, "clusters/production/apps/web/configmap.yaml"))
	newApp := applyEdits(t, app, edit.Changes[u])
	newConfig := applyEdits(t, config, edit.Changes[cm])
	if !strings.Contains(newApp, "  name: production-web\n") || !strings.Contains(newApp, "name: production-web-config") {
		t.Errorf("the deployment, renamed with its reference to the config map:\n%s", newApp)
	}
	if !strings.Contains(newConfig, "name: production-web-config") {
		t.Errorf("the config map, renamed:\n%s", newConfig)
	}
}
