package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/store/storetest"
)

// replica is an `aiden serve` process: this test binary running aiden's
// main (TestMain), as a separate process that signals reach.
type replica struct {
	cmd  *exec.Cmd
	url  string
	log  *syncBuffer
	done chan error
}

// startReplica starts `aiden serve` with args on a free loopback port,
// answering with the scripted model, and waits until health says
// SERVING.
func startReplica(t *testing.T, model *providertest.Server, databaseURL string, args ...string) *replica {
	t.Helper()
	addr := freeAddr(t)
	all := append([]string{"serve", "--addr", addr, "--database-url", databaseURL,
		"--provider", "openai", "--base-url", model.URL + "/v1", "--model", "scripted-1",
		"--generations-per-minute", "100000", "--generation-burst", "1000", "--concurrent-generations", "1000"}, args...)
	cmd := exec.Command(os.Args[0], all...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "XDG_CONFIG_HOME="+t.TempDir(), "AIDEN_API_KEY=test-key")
	r := &replica{cmd: cmd, url: "http://" + addr, log: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-r.done
		if t.Failed() {
			t.Logf("log of %s:\n%s", r.url, r.log.String())
		}
	})
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if s, err := health(r.url, ""); err == nil && s == 1 {
			return r
		}
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("serve exited (%v):\n%s", err, r.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready:\n%s", r.log.String())
		}
	}
}

// wait waits for the process to exit and returns its exit code.
func (r *replica) wait(t *testing.T) int {
	t.Helper()
	err := <-r.done
	r.done <- err
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func (r *replica) client() aidenv1connect.GenerateServiceClient {
	return aidenv1connect.NewGenerateServiceClient(http.DefaultClient, r.url)
}

// health asks grpc.health.v1 about service and returns the status
// (1 SERVING, 2 NOT_SERVING).
func health(url, service string) (byte, error) {
	req := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), service)
	if service == "" {
		req = []byte{}
	}
	c := connect.NewClient[[]byte, []byte](http.DefaultClient, url+"/grpc.health.v1.Health/Check", connect.WithGRPCWeb(), connect.WithCodec(rawCodec{}))
	resp, err := c.CallUnary(context.Background(), connect.NewRequest(&req))
	if err != nil {
		return 0, err
	}
	if len(*resp.Msg) < 2 {
		return 0, fmt.Errorf("health response %x", *resp.Msg)
	}
	return (*resp.Msg)[1], nil
}

type rawCodec struct{}

func (rawCodec) Name() string                  { return "proto" }
func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), b...)
	return nil
}

// waitModel waits until model has received n requests.
func waitModel(t *testing.T, model *providertest.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); len(model.Requests()) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the model received %d requests, want %d", len(model.Requests()), n)
		}
	}
}

func goodAnswer(t *testing.T) string {
	return providertest.JSON(providertest.Files(t, "../../generator/testdata/model/charts/good"))
}

const shopIntent = "Deploy the shop web API ghcr.io/acme/shop:2.3.1 with 2 replicas"

func generate(c aidenv1connect.GenerateServiceClient, target string) (string, error) {
	resp, err := c.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: target}))
	if err != nil {
		return "", err
	}
	return resp.Header().Get("Aiden-Generation-Id"), nil
}

// TestServeSIGTERM: on SIGTERM a real `aiden serve` turns health
// NOT_SERVING (liveness stays SERVING), refuses new requests as
// unavailable, lets the generation in flight finish and exits 0; past
// --shutdown-timeout, the generation still running is cancelled and its
// record marked interrupted, and the process still exits 0.
func TestServeSIGTERM(t *testing.T) {
	t.Run("in flight finishes", func(t *testing.T) {
		model := providertest.OpenAI(t, providertest.Step{Delay: 2 * time.Second, Text: goodAnswer(t)})
		db := filepath.Join(t.TempDir(), "aiden.db")
		r := startReplica(t, model, db, "--shutdown-timeout", "1m")
		type result struct {
			id  string
			err error
		}
		first := make(chan result, 1)
		go func() {
			id, err := generate(r.client(), "apps/shop")
			first <- result{id, err}
		}()
		waitModel(t, model, 1)
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if s, err := health(r.url, ""); err == nil && s == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("health did not turn NOT_SERVING")
			}
		}
		if s, err := health(r.url, "liveness"); err != nil || s != 1 {
			t.Errorf("liveness while draining = %d, %v; want 1 (SERVING)", s, err)
		}
		if _, err := generate(r.client(), "apps/other"); connect.CodeOf(err) != connect.CodeUnavailable {
			t.Errorf("a new request while draining: %v, want unavailable", err)
		}
		res := <-first
		if res.err != nil {
			t.Fatalf("the request in flight failed: %v", res.err)
		}
		if code := r.wait(t); code != 0 {
			t.Fatalf("serve exited %d, want 0", code)
		}
		if len(model.Requests()) != 1 {
			t.Errorf("the model received %d requests, want 1 (the refused request never ran)", len(model.Requests()))
		}
		g := readRecord(t, db, res.id)
		if g.Status != store.StatusSucceeded {
			t.Errorf("record %s is %s, want succeeded", res.id, g.Status)
		}
	})
	t.Run("timeout interrupts", func(t *testing.T) {
		model := providertest.OpenAI(t, providertest.Step{Delay: 10 * time.Minute, Text: goodAnswer(t)})
		db := filepath.Join(t.TempDir(), "aiden.db")
		r := startReplica(t, model, db, "--shutdown-timeout", "500ms")
		failed := make(chan error, 1)
		go func() {
			_, err := generate(r.client(), "apps/shop")
			failed <- err
		}()
		waitModel(t, model, 1)
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := <-failed
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Code() == connect.CodeUnknown {
			t.Errorf("the request cut off: %v, want a coded error", err)
		}
		if code := r.wait(t); code != 0 {
			t.Fatalf("serve exited %d, want 0", code)
		}
		list := records(t, db)
		if len(list) != 1 || list[0].Status != store.StatusInterrupted {
			t.Fatalf("records after the timeout: %v, want one interrupted", statuses(list))
		}
	})
}

// readRecord reads one record from a replica's SQLite file after it stopped.
func readRecord(t *testing.T, url, id string) *store.Generation {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// records lists every record in the database at url.
func records(t *testing.T, url string) []*store.Generation {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _, err := st.List(context.Background(), store.Filter{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func statuses(list []*store.Generation) []string {
	var out []string
	for _, g := range list {
		out = append(out, g.ID+" "+string(g.Status))
	}
	return out
}

// postgresURL returns a URL for a schema of its own on the PostgreSQL
// server named by AIDEN_TEST_DATABASE_URL (.ci/run starts one), dropped
// when the test ends; the test is skipped when the variable is unset.
func postgresURL(t *testing.T) string {
	t.Helper()
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skip("AIDEN_TEST_DATABASE_URL is unset: the replicas need PostgreSQL")
	}
	return url
}

// TestServeReplicas: two `aiden serve` processes share one PostgreSQL and
// a scripted model; generations are spread over both, and one replica is
// SIGKILLed while generations run on it. Every request either succeeded
// or failed with a coded error; the dead replica's records are marked
// interrupted by the other after the heartbeat window (none lost, none
// left running); the other kept serving; and ListGenerations shows the
// same history on either replica (the dead one restarted).
func TestServeReplicas(t *testing.T) {
	db := postgresURL(t)
	good := goodAnswer(t)
	slow := providertest.OpenAI(t, providertest.Step{Delay: 10 * time.Minute, Text: good}).Repeat()
	fast := providertest.OpenAI(t, providertest.Step{Delay: 50 * time.Millisecond, Text: good}).Repeat()
	beat := []string{"--heartbeat-interval", "250ms"}
	a := startReplica(t, slow, db, beat...)
	b := startReplica(t, fast, db, beat...)

	// Some generations finish on both replicas first.
	var mu sync.Mutex
	ok := map[string]bool{} // ids of generations that succeeded
	var failures []error    // requests that failed
	run := func(r *replica, target string, wg *sync.WaitGroup) {
		defer wg.Done()
		id, err := generate(r.client(), target)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures = append(failures, err)
			return
		}
		ok[id] = true
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go run(b, fmt.Sprintf("apps/b%d", i), &wg)
	}
	wg.Wait()
	// Three generations on the slow replica, and more on the other.
	var inflight sync.WaitGroup
	for i := range 3 {
		inflight.Add(1)
		go run(a, fmt.Sprintf("apps/a%d", i), &inflight)
	}
	waitModel(t, slow, 3)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		wg.Add(1)
		go run(b, fmt.Sprintf("apps/c%d", i), &wg)
	}
	inflight.Wait()
	wg.Wait()
	a.wait(t)

	if len(ok) != 8 {
		t.Errorf("%d generations on the live replica succeeded, want 8", len(ok))
	}
	if len(failures) != 3 {
		t.Errorf("%d requests failed, want the 3 on the killed replica: %v", len(failures), failures)
	}
	for _, err := range failures {
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Code() == connect.CodeUnknown {
			t.Errorf("a request failed without a code: %v", err)
		}
	}

	// The live replica marks the dead one's records interrupted once their
	// heartbeats are stale.
	var list []*aidenv1.Generation
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		list = history(t, b)
		running := 0
		for _, g := range list {
			if g.GetStatus() == aidenv1.GenerationStatus_GENERATION_STATUS_RUNNING {
				running++
			}
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records still running a minute after the kill", running)
		}
	}
	interrupted := 0
	for _, g := range list {
		switch g.GetStatus() {
		case aidenv1.GenerationStatus_GENERATION_STATUS_SUCCEEDED:
			if !ok[g.GetId()] {
				t.Errorf("record %s succeeded but no request saw it succeed", g.GetId())
			}
		case aidenv1.GenerationStatus_GENERATION_STATUS_INTERRUPTED:
			interrupted++
			if !strings.HasPrefix(g.GetTargetPath(), "apps/a") {
				t.Errorf("record %s (%s) interrupted, but it ran on the live replica", g.GetId(), g.GetTargetPath())
			}
		default:
			t.Errorf("record %s is %s", g.GetId(), g.GetStatus())
		}
	}
	if len(list) != 11 || interrupted != 3 {
		t.Errorf("%d records, %d interrupted; want 11 and 3", len(list), interrupted)
	}
	if _, err := generate(b.client(), "apps/after"); err != nil {
		t.Errorf("the live replica after the kill: %v", err)
	}

	// The dead replica, restarted, shows the same history.
	a2 := startReplica(t, fast, db, beat...)
	fromA, fromB := history(t, a2), history(t, b)
	if len(fromA) != 12 || len(fromA) != len(fromB) {
		t.Fatalf("history: %d records on one replica, %d on the other; want 12 on both", len(fromA), len(fromB))
	}
	for i := range fromA {
		if fromA[i].GetId() != fromB[i].GetId() || fromA[i].GetStatus() != fromB[i].GetStatus() {
			t.Errorf("history[%d]: %s %s on one replica, %s %s on the other", i,
				fromA[i].GetId(), fromA[i].GetStatus(), fromB[i].GetId(), fromB[i].GetStatus())
		}
	}
}

// history lists every record through a replica's ListGenerations.
func history(t *testing.T, r *replica) []*aidenv1.Generation {
	t.Helper()
	resp, err := r.client().ListGenerations(context.Background(), connect.NewRequest(&aidenv1.ListGenerationsRequest{PageSize: 500}))
	if err != nil {
		t.Fatalf("ListGenerations on %s: %v", r.url, err)
	}
	return resp.Msg.GetGenerations()
}

// TestServeMetricsAddr: with --metrics-addr the metrics are served on a
// port of their own and not on the API's; without it, on the API's port.
func TestServeMetricsAddr(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	// get waits until url answers (the metrics listener and the
	// database check start just after the API's listener).
	get := func(url string) (int, string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			resp, err := http.Get(url)
			if err == nil {
				defer resp.Body.Close()
				var b strings.Builder
				_, _ = io.Copy(&b, resp.Body)
				if resp.StatusCode != http.StatusOK || strings.Contains(b.String(), "aiden_database_up 1") || time.Now().After(deadline) {
					return resp.StatusCode, b.String()
				}
			} else if time.Now().After(deadline) {
				t.Fatal(err)
			}
		}
	}
	metricsAddr := freeAddr(t)
	addr, _, _ := startServe(t, "--metrics-addr", metricsAddr)
	if code, body := get("http://" + metricsAddr + "/metrics"); code != http.StatusOK || !strings.Contains(body, "aiden_generations_in_flight") {
		t.Errorf("GET /metrics on --metrics-addr: %d\n%.300s", code, body)
	}
	if code, body := get("http://" + addr + "/metrics"); code == http.StatusOK {
		t.Errorf("GET /metrics on the API's port with --metrics-addr: %d\n%.300s", code, body)
	}
	addr, _, _ = startServe(t)
	if code, body := get("http://" + addr + "/metrics"); code != http.StatusOK || !strings.Contains(body, "aiden_database_up 1") {
		t.Errorf("GET /metrics on the API's port: %d\n%.300s", code, body)
	}
}
