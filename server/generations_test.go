package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/wire"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/auth/authtest"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace"
)

// TestMain doubles as the server process that TestRestart kills.
func TestMain(m *testing.M) {
	helmchart.RunIfChild() // chart renders of TestCrashersInOneServer
	if db := os.Getenv("AIDEN_TEST_BLOCKING_SERVER"); db != "" {
		blockingServer(db)
		return
	}
	os.Exit(m.Run())
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "aiden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newRecordingServer starts the real handler with a store over HTTP/2.
func newRecordingServer(t *testing.T, st *store.Store, opts server.Options) *httptest.Server {
	t.Helper()
	opts.Store = st
	srv := httptest.NewUnstartedServer(server.New(generator.New(generator.Options{}), opts))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestGenerationRecord(t *testing.T) {
	st := openStore(t)
	srv := newRecordingServer(t, st, server.Options{Auth: authtest.TokenFile(t, map[string][]auth.Role{"alice": auth.DefaultRoles})})
	alice := bearer(srv.Client(), "alice-token")
	ws := []*aidenv1.File{{Path: workspace.ConfigPath, Content: []byte("version: 1\nteam: payments\n")}}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			ctx := context.Background()
			client := aidenv1connect.NewGenerateServiceClient(alice, srv.URL, p.opts...)
			req := connect.NewRequest(&aidenv1.GenerateRequest{
				Intent:     redisIntent,
				Format:     aidenv1.Format_FORMAT_HELM,
				TargetPath: "clusters/production/apps/redis",
				Workspace:  ws,
				Options:    &aidenv1.Options{},
			})
			req.Header().Set(wire.HeaderClient, "cli")
			req.Header().Set("Aiden-User", "mallory") // names nobody: the caller is the token's subject
			resp, err := client.Generate(ctx, req)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			id := resp.Header().Get(wire.HeaderGenerationID)
			if !strings.HasPrefix(id, "gen_") {
				t.Fatalf("%s header = %q, want a generation id", wire.HeaderGenerationID, id)
			}

			got, err := client.GetGeneration(ctx, connect.NewRequest(&aidenv1.GetGenerationRequest{Id: id}))
			if err != nil {
				t.Fatalf("GetGeneration: %v", err)
			}
			g := got.Msg.GetGeneration()
			cfg, all := store.Digests(wire.FilesFromProto(ws))
			checks := []struct {
				name      string
				got, want any
			}{
				{"door", g.GetDoor(), aidenv1.Door_DOOR_CLI},
				{"caller", g.GetCaller(), "alice"},
				{"status", g.GetStatus(), aidenv1.GenerationStatus_GENERATION_STATUS_SUCCEEDED},
				{"intent", g.GetIntent(), redisIntent},
				{"format", g.GetFormat(), aidenv1.Format_FORMAT_HELM},
				{"target", g.GetTargetPath(), "clusters/production/apps/redis"},
				{"policy check", wire.PolicyCheck(g.GetOptions()), true},
				{"validate", g.GetOptions().GetValidate(), true},
				{"config digest", g.GetConfigDigest(), cfg},
				{"workspace digest", g.GetWorkspaceDigest(), all},
				{"provider", g.GetProvider(), resp.Msg.GetProvenance().GetGenerator()},
				{"summary", g.GetSummary(), resp.Msg.GetProvenance().GetSummary()},
				{"patch", g.GetPatch(), resp.Msg.GetPatch()},
				{"valid", g.GetValid(), resp.Msg.GetValid()},
				{"stage", g.GetStage(), "done"},
				{"attempts", len(g.GetAttempts()), 1},
				{"files", len(g.GetAttempts()[0].GetFiles()), len(resp.Msg.GetFiles())},
				{"findings", len(g.GetAttempts()[0].GetFindings()), len(resp.Msg.GetFindings())},
				{"finished", g.GetFinishTime() != nil, true},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}

			list, err := client.ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{Door: aidenv1.Door_DOOR_CLI, Caller: "alice"}))
			if err != nil {
				t.Fatalf("ListGenerations: %v", err)
			}
			if gs := list.Msg.GetGenerations(); len(gs) == 0 || gs[0].GetId() != id || gs[0].GetPatch() != "" || len(gs[0].GetAttempts()[0].GetFiles()) != 0 {
				t.Errorf("ListGenerations: want %s first, without patch and files; got %v", id, gs)
			}

			patch := get(t, alice, srv.URL+"/generations/"+id+".patch", http.StatusOK)
			if patch != resp.Msg.GetPatch() {
				t.Errorf("GET /generations/%s.patch differs from the response's patch", id)
			}
		})
	}
}

func TestGenerationRecordStream(t *testing.T) {
	st := openStore(t)
	srv := newRecordingServer(t, st, server.Options{})
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	stream, err := client.GenerateStream(context.Background(), connect.NewRequest(&aidenv1.GenerateStreamRequest{
		Request: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	for stream.Receive() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	id := stream.ResponseHeader().Get(wire.HeaderGenerationID)
	g, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("record of the stream (%q): %v", id, err)
	}
	if g.Door != store.DoorRPC || g.Status != store.StatusSucceeded || g.Caller == "" || g.Patch == "" {
		t.Errorf("record = door %s status %s caller %q patch %d bytes", g.Door, g.Status, g.Caller, len(g.Patch))
	}
}

// A request the engine refuses is refused before anything is stored: a
// 30 MB intent once cost 94 MB of database though it was answered 400.
func TestGenerationRefusedIsNotStored(t *testing.T) {
	st := openStore(t)
	srv := newRecordingServer(t, st, server.Options{})
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	for name, req := range map[string]*aidenv1.GenerateRequest{
		"target outside":   {Intent: redisIntent, TargetPath: "../outside"},
		"oversized intent": {Intent: strings.Repeat("Deploy Redis. ", 80<<10), TargetPath: "apps/redis"},
	} {
		_, err := client.Generate(context.Background(), connect.NewRequest(req))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("%s: Generate error = %v, want InvalidArgument", name, err)
		}
	}
	gs, _, err := st.List(context.Background(), store.Filter{})
	if err != nil || len(gs) != 0 {
		t.Fatalf("List = %d records, %v; want none", len(gs), err)
	}
}

func TestGenerationErrors(t *testing.T) {
	ctx := context.Background()
	srv := newRecordingServer(t, openStore(t), server.Options{})
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	if _, err := client.GetGeneration(ctx, connect.NewRequest(&aidenv1.GetGenerationRequest{Id: "gen_0000000000000000"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("GetGeneration(unknown) error = %v, want NotFound", err)
	}
	if _, err := client.ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{PageToken: "x"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("ListGenerations(bad token) error = %v, want InvalidArgument", err)
	}
	get(t, srv.Client(), srv.URL+"/generations/gen_0000000000000000.patch", http.StatusNotFound)
	get(t, srv.Client(), srv.URL+"/generations/whatever", http.StatusNotFound)

	bare := newServer(t) // no store
	client = aidenv1connect.NewGenerateServiceClient(bare.Client(), bare.URL)
	if _, err := client.ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{})); connect.CodeOf(err) != connect.CodeUnimplemented {
		t.Errorf("ListGenerations without a store: error = %v, want Unimplemented", err)
	}
}

func get(t *testing.T, c *http.Client, url string, want int) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Errorf("GET %s: status %d, want %d (%s)", url, resp.StatusCode, want, body)
	}
	return string(body)
}

// blockingEngine finishes the context stage and then hangs, like a model
// that takes its time.
type blockingEngine struct{}

func (blockingEngine) Generate(ctx context.Context, _ generator.Request, progress func(generator.Event)) (*generator.Result, error) {
	if progress != nil {
		progress(generator.Event{Stage: generator.StageContext, Message: "workspace read"})
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (blockingEngine) Validate(context.Context, []workspace.File, generator.Check) (validators.Report, error) {
	return validators.Report{}, errors.New("not used")
}

// blockingServer serves a blocking engine with a store at db and prints
// its address; TestRestart kills it.
func blockingServer(db string) {
	st, err := store.Open(context.Background(), db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	srv := server.NewHTTPServer("", server.New(blockingEngine{}, server.Options{Store: st}))
	srv.Serve(ln)
}

// TestRestart kills a serving process (SIGKILL) while a generation runs,
// starts again on the same database the way aiden serve does, and finds the
// record marked interrupted with what it had.
func TestRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	db := filepath.Join(t.TempDir(), "aiden.db")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "AIDEN_TEST_BLOCKING_SERVER="+db)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the child's address: %v", err)
	}
	url := "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))

	ctx := context.Background()
	client := aidenv1connect.NewGenerateServiceClient(http.DefaultClient, url)
	go func() {
		req := connect.NewRequest(&aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis"})
		client.Generate(ctx, req) // fails when the server dies
	}()
	var id string
	for deadline := time.Now().Add(30 * time.Second); id == ""; {
		list, err := client.ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if gs := list.Msg.GetGenerations(); len(gs) == 1 && gs[0].GetStage() == "context" {
			id = gs[0].GetId()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the generation did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	// Start again: open, recover, serve.
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := server.Recover(ctx, st, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	srv := newRecordingServer(t, st, server.Options{})
	got, err := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL).
		GetGeneration(ctx, connect.NewRequest(&aidenv1.GetGenerationRequest{Id: id}))
	if err != nil {
		t.Fatal(err)
	}
	g := got.Msg.GetGeneration()
	if g.GetStatus() != aidenv1.GenerationStatus_GENERATION_STATUS_INTERRUPTED || g.GetStage() != "context" ||
		g.GetIntent() != redisIntent || g.GetCaller() != "127.0.0.1" || g.GetError() == "" || g.GetFinishTime() == nil {
		t.Errorf("after restart: %v", g)
	}
}

// TestModelAttemptsRecorded: a model-backed generation keeps every
// attempt in the record — the unusable first answer with what it said, the
// repaired one with its tokens and files.
func TestModelAttemptsRecorded(t *testing.T) {
	st := openStore(t)
	model := providertest.OpenAI(t,
		providertest.Step{Text: "I am sorry, I cannot write YAML today."},
		providertest.Step{Text: providertest.JSON(providertest.Files(t, "../generator/testdata/model/charts/good"))},
	)
	m := generator.ModelOptions{Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted-1", Backoff: time.Millisecond, CacheEntries: -1}
	srv := httptest.NewUnstartedServer(server.New(generator.New(generator.Options{Model: m}), server.Options{Store: st}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	resp, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{
		Intent: "Deploy the shop web API ghcr.io/acme/shop:2.3.1 with 2 replicas", TargetPath: "clusters/production/apps/shop",
	}))
	if err != nil {
		t.Fatal(err)
	}
	g, err := st.Get(context.Background(), resp.Header().Get(wire.HeaderGenerationID))
	if err != nil {
		t.Fatal(err)
	}
	if g.Model != "scripted-1" || len(g.Attempts) != 2 {
		t.Fatalf("record: model %q with %d attempts, want scripted-1 with 2", g.Model, len(g.Attempts))
	}
	first, second := g.Attempts[0], g.Attempts[1]
	if first.Problem == "" || !strings.Contains(first.Received, "cannot write YAML") || len(first.Files) != 0 {
		t.Errorf("first attempt = problem %q, received %q, %d files; want the problem and the answer kept", first.Problem, first.Received, len(first.Files))
	}
	if second.PromptTokens == 0 || second.CompletionTokens == 0 || len(second.Files) == 0 {
		t.Errorf("second attempt = %d/%d tokens, %d files; want tokens and the kept files", second.PromptTokens, second.CompletionTokens, len(second.Files))
	}
}
