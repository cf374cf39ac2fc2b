package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/encoding/protowire"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
)

func startServer(t *testing.T, engine server.Engine, opts server.Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(server.New(engine, opts))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func modelEngine(model *providertest.Server) *generator.Engine {
	return generator.New(generator.Options{Model: generator.ModelOptions{
		Provider:     openai.New(openai.Options{BaseURL: model.URL + "/v1"}),
		Name:         "scripted-1",
		Backoff:      time.Millisecond,
		CacheEntries: -1,
		RepairRounds: -1,
	}})
}

// testCaller keys the limiter on a header, standing in for the
// authenticated subject.
func testCaller(_ context.Context, r connect.AnyRequest) string { return r.Header().Get("Test-Caller") }

func shopRequest(caller string) *connect.Request[aidenv1.GenerateRequest] {
	req := connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, Format: aidenv1.Format_FORMAT_HELM, TargetPath: "apps/shop"})
	req.Header().Set("Test-Caller", caller)
	return req
}

func TestSchemaLocationsRefused(t *testing.T) {
	srv := newServer(t)
	opts := &aidenv1.Options{SchemaLocations: []string{"http://169.254.169.254/latest/meta-data/{{ .ResourceKind }}.json"}}
	gen := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	val := aidenv1connect.NewValidateServiceClient(srv.Client(), srv.URL)
	calls := map[string]func() error{
		"Generate": func() error {
			_, err := gen.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis", Options: opts}))
			return err
		},
		"GenerateStream": func() error {
			s, err := gen.GenerateStream(context.Background(), connect.NewRequest(&aidenv1.GenerateStreamRequest{Request: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis", Options: opts}}))
			if err != nil {
				return err
			}
			for s.Receive() {
			}
			return s.Err()
		},
		"Validate": func() error {
			_, err := val.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{
				Files: []*aidenv1.File{{Path: "cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")}}, Options: opts}))
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "options.schemaLocations") {
			t.Errorf("%s: got %v, want invalid_argument naming options.schemaLocations", name, err)
		}
	}
}

// Generations beyond a caller's concurrency get resource_exhausted with a
// retry hint; another caller is unaffected.
func TestGenerationConcurrencyPerCaller(t *testing.T) {
	slow := providertest.Step{Text: goodChart(t), Delay: time.Hour} // until the request is gone
	model := providertest.OpenAI(t, slow, slow, providertest.Step{Text: goodChart(t)})
	srv := startServer(t, modelEngine(model), server.Options{Limits: server.Limits{
		Generations: &server.GenerationLimit{PerMinute: 600, Burst: 100, Concurrent: 2},
		CallerKey:   testCaller,
	}})
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = client.Generate(ctx, shopRequest("alice"))
		}()
	}
	for len(model.Requests()) < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	for range 3 {
		_, err := client.Generate(context.Background(), shopRequest("alice"))
		checkExhausted(t, err)
	}
	if _, err := client.Generate(context.Background(), shopRequest("bob")); err != nil {
		t.Errorf("bob: %v, want unaffected", err)
	}
	cancel()
	wg.Wait()
	if n := len(model.Requests()); n != 3 {
		t.Errorf("the model got %d calls, want 3", n)
	}
}

func TestGenerationRatePerCaller(t *testing.T) {
	srv := startServer(t, generator.New(generator.Options{}), server.Options{Limits: server.Limits{
		Generations: &server.GenerationLimit{PerMinute: 1, Burst: 2},
		CallerKey:   testCaller,
	}})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL, p.opts...)
			caller := "carol-" + p.name
			for i := range 2 {
				if _, err := client.Generate(context.Background(), shopRequest(caller)); err != nil {
					t.Fatalf("generation %d: %v", i+1, err)
				}
			}
			_, err := client.Generate(context.Background(), shopRequest(caller))
			checkExhausted(t, err)
			if _, err := client.Generate(context.Background(), shopRequest("dave-"+p.name)); err != nil {
				t.Errorf("another caller: %v, want unaffected", err)
			}
		})
	}
}

func checkExhausted(t *testing.T, err error) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted {
		t.Fatalf("got %v, want resource_exhausted", err)
	}
	if s, err := strconv.Atoi(ce.Meta().Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", ce.Meta().Get("Retry-After"))
	}
	found := false
	for _, d := range ce.Details() {
		if v, err := d.Value(); err == nil {
			if ri, ok := v.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
				found = true
			}
		}
	}
	if !found {
		t.Error("no google.rpc.RetryInfo detail")
	}
}

func TestRequestTimeout(t *testing.T) {
	model := providertest.OpenAI(t, providertest.Step{Text: goodChart(t), Delay: time.Hour})
	srv := startServer(t, modelEngine(model), server.Options{Limits: server.Limits{RequestTimeout: 300 * time.Millisecond}})
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	_, err := client.Generate(context.Background(), shopRequest("erin"))
	if connect.CodeOf(err) != connect.CodeDeadlineExceeded {
		t.Fatalf("got %v, want deadline_exceeded", err)
	}
}

// healthy calls grpc.health.v1.Health/Check and reports whether it said
// SERVING.
func healthy(ctx context.Context, c *http.Client, base string, opts ...connect.ClientOption) error {
	req := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), aidenv1connect.GenerateServiceName)
	health := connect.NewClient[[]byte, []byte](c, base+"/grpc.health.v1.Health/Check", append(opts, connect.WithGRPC(), connect.WithCodec(rawCodec{}))...)
	resp, err := health.CallUnary(ctx, connect.NewRequest(&req))
	if err != nil {
		return err
	}
	if !bytes.Equal(*resp.Msg, []byte{0x08, 0x01}) {
		return fmt.Errorf("health = %x, want SERVING", *resp.Msg)
	}
	return nil
}

// Connections that trickle their headers or body are cut off, and no more
// than the cap are open at once, so health and Generate still answer.
func TestTricklingConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limits := server.HTTPLimits{ReadHeaderTimeout: 300 * time.Millisecond, BodyTimeout: 300 * time.Millisecond, MaxConnections: 8}
	srv := server.NewHTTPServer(ln.Addr().String(), server.New(generator.New(generator.Options{}), server.Options{}))
	limits.Apply(srv, 0)
	cl := &countingListener{Listener: limits.Listener(ln)}
	open, most := &cl.open, &cl.most
	go srv.Serve(cl)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cutOff atomic.Int64
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			start := "POST /aiden.v1.GenerateService/Generate HTTP/1.1\r\nHost: x\r\n"
			if i%2 == 0 { // headers done, then a trickled body
				start += "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
			}
			if _, err := c.Write([]byte(start)); err != nil {
				return
			}
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					cutOff.Add(1)
					return
				}
			}
		}()
	}

	// Health's connection waits behind the cap until the deadlines free a
	// slot.
	for open.Load() < 8 {
		time.Sleep(10 * time.Millisecond)
	}
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protocols}, Timeout: 30 * time.Second}
	if err := healthy(context.Background(), client, "http://"+addr); err != nil {
		t.Errorf("health while trickled: %v", err)
	}
	gen := aidenv1connect.NewGenerateServiceClient(client, "http://"+addr, connect.WithGRPC())
	if _, err := gen.Generate(context.Background(), shopRequest("frank")); err != nil {
		t.Errorf("Generate while trickled: %v", err)
	}
	close(stop)
	wg.Wait()
	if m := most.Load(); m > 8 {
		t.Errorf("%d connections were open at once, more than the cap of 8", m)
	}
	if cutOff.Load() == 0 {
		t.Error("no trickling connection was cut off")
	}
	t.Logf("most connections open at once: %d; trickling connections cut off: %d of 32", most.Load(), cutOff.Load())
}

// countingListener counts the connections open past the cap.
type countingListener struct {
	net.Listener
	open, most atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.open.Add(1)
	for m := l.most.Load(); n > m && !l.most.CompareAndSwap(m, n); m = l.most.Load() {
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

// Close counts the connection gone before the cap's slot is given back.
func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
