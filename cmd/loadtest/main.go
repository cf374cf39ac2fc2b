// Command loadtest puts one `aiden serve` replica under a bounded load on
// loopback and reports what it saw: N concurrent clients send Generate
// requests for a fixed time against a scripted OpenAI-compatible model
// (this program answers for it, instantly unless told otherwise, so the
// latency measured is aiden's own), then the server is stopped with
// SIGTERM. It reports requests, errors (coded ones apart), p50/p99/max
// latency, and the server's resident memory every ten seconds, its peak,
// and its growth after the settling time. It exits 1 on an error without a
// Connect code, on memory growth past --max-growth, or when the server does
// not exit 0. docs/benchmarks.md has a run.
//
//	go run ./cmd/loadtest -clients 100 -duration 60s
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"connectrpc.com/connect"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type config struct {
	aiden      string
	clients    int
	duration   time.Duration
	settle     time.Duration
	modelDelay time.Duration
	answer     string
	maxGrowth  float64
	keep       bool
}

func run() error {
	var c config
	flag.StringVar(&c.aiden, "aiden", "", "aiden binary to serve (default: go build ./cmd/aiden into a temporary folder)")
	flag.IntVar(&c.clients, "clients", 100, "concurrent clients")
	flag.DurationVar(&c.duration, "duration", 60*time.Second, "how long the clients send requests")
	flag.DurationVar(&c.settle, "settle", 60*time.Second, "memory growth is measured from this point of the run to its end (half the run when longer)")
	flag.DurationVar(&c.modelDelay, "model-delay", 0, "time the scripted model takes to answer")
	flag.StringVar(&c.answer, "answer", "generator/testdata/model/charts/good", "chart folder the scripted model answers with")
	flag.Float64Var(&c.maxGrowth, "max-growth", 0.25, "fail when resident memory grows by more than this fraction after the settling time")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary folder (database, server log)")
	flag.Parse()
	if c.clients < 1 || c.duration <= 0 {
		return errors.New("-clients and -duration must be positive")
	}
	if c.settle >= c.duration {
		c.settle = c.duration / 2
	}
	dir, err := os.MkdirTemp("", "aiden-loadtest")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Println("folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if c.aiden == "" {
		c.aiden = filepath.Join(dir, "aiden")
		build := exec.Command("go", "build", "-o", c.aiden, "./cmd/aiden")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build aiden (run from the repository root, or give -aiden): %w", err)
		}
	}
	answer, err := chartAnswer(c.answer)
	if err != nil {
		return err
	}
	model, modelURL, err := startModel(answer, c.modelDelay)
	if err != nil {
		return err
	}
	defer model.Close()
	return load(c, dir, modelURL)
}

// chartAnswer is the output contract's JSON object of the files in dir.
func chartAnswer(dir string) (string, error) {
	type file struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	}
	var out struct {
		Files []file `json:"files"`
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out.Files = append(out.Files, file{filepath.ToSlash(rel), string(b)})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read the answer's chart: %w", err)
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// startModel serves a scripted OpenAI-compatible chat completions
// endpoint on loopback that answers every request with answer, streamed
// in a few pieces when asked to stream, after delay.
func startModel(answer string, delay time.Duration) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"error":{"message":"not a chat completion"}}`, http.StatusBadRequest)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		usage := map[string]any{"prompt_tokens": 1000, "completion_tokens": len(answer) / 4, "total_tokens": 1000 + len(answer)/4}
		if !body.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-load", "object": "chat.completion", "created": 1, "model": body.Model,
				"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": answer}}},
				"usage":   usage})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		bw := bufio.NewWriter(w)
		send := func(v any) {
			b, _ := json.Marshal(v)
			fmt.Fprintf(bw, "data: %s\n\n", b)
		}
		chunk := func(delta map[string]any, finish any) map[string]any {
			return map[string]any{"id": "chatcmpl-load", "object": "chat.completion.chunk", "created": 1, "model": body.Model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
		}
		send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
		step := len(answer)/4 + 1
		for i := 0; i < len(answer); i += step {
			send(chunk(map[string]any{"content": answer[i:min(i+step, len(answer))]}, nil))
		}
		send(chunk(map[string]any{}, "stop"))
		send(map[string]any{"id": "chatcmpl-load", "object": "chat.completion.chunk", "created": 1, "model": body.Model, "choices": []any{}, "usage": usage})
		fmt.Fprint(bw, "data: [DONE]\n\n")
		bw.Flush()
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String() + "/v1", nil
}

// load starts the replica, runs the clients, samples the replica's memory
// and prints the report.
func load(c config, dir, modelURL string) error {
	srv, exited, base, err := startServe(c, dir, modelURL)
	if err != nil {
		return err
	}
	defer srv.Process.Kill()
	if err := waitReady(base, exited); err != nil {
		return err
	}
	transport := &http.Transport{MaxIdleConnsPerHost: c.clients, MaxConnsPerHost: c.clients}
	client := aidenv1connect.NewGenerateServiceClient(&http.Client{Transport: transport}, base)
	ctx, stop := context.WithTimeout(context.Background(), c.duration)
	defer stop()

	t := &tally{coded: map[connect.Code]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.clients {
		wg.Go(func() { t.client(ctx, client, i) })
	}
	samples := t.sample(ctx, srv.Process.Pid, start)
	wg.Wait()
	elapsed := time.Since(start)
	peak, _ := memory(srv.Process.Pid, "VmHWM")

	// The server stops as Kubernetes stops it.
	srv.Process.Signal(syscall.SIGTERM)
	exitErr := <-exited
	return t.report(c, elapsed, samples, peak, exitErr)
}

// startServe starts aiden serve on a free loopback port, with a SQLite
// record in dir and the scripted model at modelURL, its log in
// dir/serve.log; exited gets its exit.
func startServe(c config, dir, modelURL string) (srv *exec.Cmd, exited chan error, base string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, nil, "", err
	}
	srv = exec.Command(c.aiden, "serve", "--addr", addr, "--database-url", filepath.Join(dir, "aiden.db"),
		"--provider", "openai", "--base-url", modelURL, "--model", "scripted-load",
		"--model-concurrency", strconv.Itoa(c.clients), "--max-connections", strconv.Itoa(4*c.clients),
		"--generations-per-minute", "1000000", "--generation-burst", "100000", "--concurrent-generations", strconv.Itoa(c.clients),
		"--log-format", "json")
	srv.Env = append(os.Environ(), "AIDEN_API_KEY=loadtest", "XDG_CONFIG_HOME="+dir)
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		logFile.Close()
		return nil, nil, "", fmt.Errorf("start aiden serve: %w", err)
	}
	exited = make(chan error, 1)
	go func() {
		exited <- srv.Wait()
		logFile.Close()
	}()
	return srv, exited, "http://" + addr, nil
}

// tally gathers the outcome of every request.
type tally struct {
	mu        sync.Mutex
	latencies []time.Duration // of the requests that succeeded
	coded     map[connect.Code]int
	uncoded   []error
}

// client sends Generate requests one after another until ctx ends; a
// request under way when the time is up finishes.
func (t *tally) client(ctx context.Context, client aidenv1connect.GenerateServiceClient, i int) {
	for n := 0; ctx.Err() == nil; n++ {
		req := connect.NewRequest(&aidenv1.GenerateRequest{
			Intent:     "Deploy the shop web API ghcr.io/acme/shop:2.3.1 with 2 replicas",
			TargetPath: fmt.Sprintf("apps/shop-%d-%d", i, n), // every request misses the cache
		})
		t0 := time.Now()
		_, err := client.Generate(context.WithoutCancel(ctx), req)
		d := time.Since(t0)
		t.mu.Lock()
		var ce *connect.Error
		switch {
		case err == nil:
			t.latencies = append(t.latencies, d)
		case errors.As(err, &ce) && ce.Code() != connect.CodeUnknown:
			t.coded[ce.Code()]++
		default:
			t.uncoded = append(t.uncoded, err)
		}
		t.mu.Unlock()
	}
}

// memorySample is the server's resident memory at a time of the run.
type memorySample struct {
	at       time.Duration
	rss      int64
	requests int // succeeded by then
}

// sample reads the resident memory of pid every second until ctx ends.
func (t *tally) sample(ctx context.Context, pid int, start time.Time) []memorySample {
	var samples []memorySample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return samples
		case <-tick.C:
			rss, _ := memory(pid, "VmRSS")
			t.mu.Lock()
			n := len(t.latencies)
			t.mu.Unlock()
			samples = append(samples, memorySample{time.Since(start).Truncate(time.Second), rss, n})
		}
	}
}

// report prints the run's figures and returns what failed it: errors
// without a Connect code, memory growth after the settling time past the
// limit, an exit other than 0 after SIGTERM, or no request served.
func (t *tally) report(c config, elapsed time.Duration, samples []memorySample, peak int64, exitErr error) error {
	latencies := t.latencies
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	errorsCoded := 0
	for _, n := range t.coded {
		errorsCoded += n
	}
	fmt.Printf("clients %d, duration %s (%s with the last requests), model delay %s\n", c.clients, c.duration, elapsed.Round(time.Millisecond), c.modelDelay)
	fmt.Printf("requests ok %d (%.1f/s), coded errors %d %v, other errors %d\n",
		len(latencies), float64(len(latencies))/elapsed.Seconds(), errorsCoded, t.coded, len(t.uncoded))
	fmt.Printf("latency p50 %s, p99 %s, max %s\n", pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	fmt.Println("resident memory of aiden serve (chart renders run in child processes, not counted):")
	var atSettle, last int64
	for i, s := range samples {
		if s.at%(10*time.Second) == 0 || i == len(samples)-1 {
			fmt.Printf("  %6s  %7.1f MiB  %6d requests done\n", s.at, float64(s.rss)/(1<<20), s.requests)
		}
		if s.at <= c.settle {
			atSettle = s.rss
		}
		last = s.rss
	}
	growth := 0.0
	if atSettle > 0 {
		growth = float64(last-atSettle) / float64(atSettle)
	}
	fmt.Printf("peak %.1f MiB; from %s to the end %.1f → %.1f MiB (%+.1f%%)\n",
		float64(peak)/(1<<20), c.settle, float64(atSettle)/(1<<20), float64(last)/(1<<20), 100*growth)
	fmt.Printf("aiden serve after SIGTERM: %v\n", exitStatus(exitErr))

	var problems []string
	if len(t.uncoded) > 0 {
		problems = append(problems, fmt.Sprintf("%d errors without a Connect code, the first: %v", len(t.uncoded), t.uncoded[0]))
	}
	if growth > c.maxGrowth {
		problems = append(problems, fmt.Sprintf("memory grew %.1f%% after %s (limit %.0f%%)", 100*growth, c.settle, 100*c.maxGrowth))
	}
	if exitErr != nil {
		problems = append(problems, fmt.Sprintf("aiden serve exited with %v after SIGTERM", exitErr))
	}
	if len(latencies) == 0 {
		problems = append(problems, "no request succeeded")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func exitStatus(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// waitReady waits until the replica's health says SERVING.
func waitReady(base string, exited <-chan error) error {
	health := connect.NewClient[[]byte, []byte](http.DefaultClient, base+"/grpc.health.v1.Health/Check", connect.WithGRPCWeb(), connect.WithCodec(rawCodec{}))
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-exited:
			return fmt.Errorf("aiden serve exited before it was ready: %v", err)
		default:
		}
		empty := []byte{}
		resp, err := health.CallUnary(context.Background(), connect.NewRequest(&empty))
		if err == nil && len(*resp.Msg) >= 2 && (*resp.Msg)[1] == 1 {
			return nil
		}
	}
	return errors.New("aiden serve was not ready within a minute")
}

type rawCodec struct{}

func (rawCodec) Name() string                  { return "proto" }
func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), b...)
	return nil
}

// memory reads a /proc/PID/status field in kB (VmRSS, VmHWM) as bytes.
func memory(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
