package server_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/wire"
)

// drainServer serves a model-backed engine (the real go-openai client
// against model) with a store, over h2c as aiden serve does.
func drainServer(t *testing.T, model *providertest.Server) (*server.Handler, *store.Store, string) {
	t.Helper()
	st := openStore(t)
	m := generator.ModelOptions{Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted-1", Backoff: time.Millisecond, CacheEntries: -1}
	h := server.New(generator.New(generator.Options{Model: m}), server.Options{Store: st})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPServer("", h)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h, st, "http://" + ln.Addr().String()
}

// healthStatus returns grpc.health.v1's overall status (1 SERVING,
// 2 NOT_SERVING).
func healthStatus(t *testing.T, url string) byte {
	t.Helper()
	req := []byte{}
	health := connect.NewClient[[]byte, []byte](http.DefaultClient, url+"/grpc.health.v1.Health/Check", connect.WithGRPCWeb(), connect.WithCodec(rawCodec{}))
	resp, err := health.CallUnary(context.Background(), connect.NewRequest(&req))
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	_, _, n := protowire.ConsumeTag(*resp.Msg)
	if n < 0 || len(*resp.Msg) < 2 {
		t.Fatalf("health response %x", *resp.Msg)
	}
	return (*resp.Msg)[1]
}

// waitModel waits until the model has received n requests.
func waitModel(t *testing.T, model *providertest.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); len(model.Requests()) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the generation did not reach the model")
		}
	}
}

// TestDrain: a request in flight when the server is told to stop gets its
// response; meanwhile health says NOT_SERVING and new requests are refused
// as unavailable.
func TestDrain(t *testing.T) {
	model := providertest.OpenAI(t, providertest.Step{Delay: 3 * time.Second, Text: goodChart(t)})
	h, st, url := drainServer(t, model)
	if got := healthStatus(t, url); got != 1 {
		t.Fatalf("health before = %d, want 1 (SERVING)", got)
	}
	client := aidenv1connect.NewGenerateServiceClient(http.DefaultClient, url)
	type result struct {
		resp *connect.Response[aidenv1.GenerateResponse]
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}))
		done <- result{resp, err}
	}()
	waitModel(t, model, 1)

	drained := make(chan error, 1)
	go func() { drained <- h.Drain(context.Background()) }()
	for healthStatus(t, url) != 2 {
		time.Sleep(10 * time.Millisecond)
	}
	_, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}))
	if code(err) != connect.CodeUnavailable {
		t.Errorf("a new request while draining: %v, want unavailable", err)
	}
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	r := <-done
	if r.err != nil || len(r.resp.Msg.GetFiles()) == 0 {
		t.Fatalf("in-flight request: %v", r.err)
	}
	g, err := st.Get(context.Background(), r.resp.Header().Get(wire.HeaderGenerationID))
	if err != nil || g.Status != store.StatusSucceeded {
		t.Errorf("record: %v, %v; want succeeded", g, err)
	}
	if n, err := h.Interrupt(context.Background()); n != 0 || err != nil {
		t.Errorf("Interrupt after a full drain marked %d, %v", n, err)
	}
	if got := healthStatus(t, url); got != 2 {
		t.Errorf("health after = %d, want 2 (NOT_SERVING)", got)
	}
}

// TestDrainTimeout: a generation still running when the shutdown timeout
// ends is marked interrupted.
func TestDrainTimeout(t *testing.T) {
	model := providertest.OpenAI(t, providertest.Step{Delay: time.Minute, Text: goodChart(t)})
	h, st, url := drainServer(t, model)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go aidenv1connect.NewGenerateServiceClient(http.DefaultClient, url).
		Generate(ctx, connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}))
	waitModel(t, model, 1)

	expired, stop := context.WithCancel(context.Background())
	stop()
	if err := h.Drain(expired); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain = %v, want the context's error", err)
	}
	n, err := h.Interrupt(context.Background())
	if n != 1 || err != nil {
		t.Fatalf("Interrupt marked %d, %v; want 1", n, err)
	}
	gs, _, err := st.List(context.Background(), store.Filter{})
	if err != nil || len(gs) != 1 || gs[0].Status != store.StatusInterrupted || !bytes.Contains([]byte(gs[0].Error), []byte("interrupted")) {
		t.Errorf("record: %+v, %v; want interrupted", gs, err)
	}
	cancel() // the client leaves; the generation ends and records what happened
	if err := h.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}
