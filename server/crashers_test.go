package server_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/validators/helmchart"
)

func probeChart(template, values string) []*aidenv1.File {
	return []*aidenv1.File{
		{Path: "chart/Chart.yaml", Content: []byte("apiVersion: v2\nname: probe\nversion: 0.1.0\n")},
		{Path: "chart/values.yaml", Content: []byte(values)},
		{Path: "chart/templates/cm.yaml", Content: []byte(template)},
	}
}

// TestCrashersInOneServer sends every crasher and exhaustion probe of
// issue 12 to one running server while a health check runs beside them:
// each gets an answer, health answers SERVING throughout and after.
func TestCrashersInOneServer(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helmchart.Isolate([]string{exe}, helmchart.Limits{MaxMemory: 256 << 20, MaxOutput: 1 << 20, Timeout: 3 * time.Second})
	t.Cleanup(func() { helmchart.Isolate(nil, helmchart.Limits{}) })
	st := openStore(t)
	srv := startServer(t, generator.New(generator.Options{}), server.Options{Store: st})

	var checks, failures atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := healthy(ctx, srv.Client(), srv.URL); err != nil {
				failures.Add(1)
				t.Errorf("health: %v", err)
			}
			cancel()
			checks.Add(1)
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	val := aidenv1connect.NewValidateServiceClient(srv.Client(), srv.URL)
	gen := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	validate := []struct {
		name  string
		files []*aidenv1.File
		rule  string
	}{
		{"HCL deep parentheses", []*aidenv1.File{{Path: "infra/main.tf", Content: []byte("locals {\n  a = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "\n}\n")}}, "terraform/too-deep"},
		{".tf.json deep arrays", []*aidenv1.File{{Path: "infra/main.tf.json", Content: []byte(`{"locals": {"a": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}}")}}, "terraform/too-deep"},
		{"tpl calls itself", probeChart("a: {{ tpl .Values.a . }}\n", "a: \"{{ tpl .Values.a . }}\"\n"), "render"},
		{"range until", probeChart("{{ range until 10000000 }}{{ . }} x x x x x x x x x x\n{{ end }}", ""), "render"},
		{"nested repeat", probeChart("a: {{ repeat 100000 (repeat 100000 \"x\") }}\n", ""), "render"},
		{"YAML deep flow", []*aidenv1.File{{Path: "apps/cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n")}}, ""},
	}
	for _, p := range validate {
		resp, err := val.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{Files: p.files}))
		if err != nil {
			t.Errorf("%s: %v", p.name, err)
			continue
		}
		found := false
		for _, f := range resp.Msg.GetFindings() {
			if f.GetSeverity() == aidenv1.Severity_SEVERITY_ERROR && (p.rule == "" || f.GetRule() == p.rule) {
				found = true
				t.Logf("%s: %s: %s", p.name, f.GetRule(), f.GetMessage())
			}
		}
		if !found || resp.Msg.GetValid() {
			t.Errorf("%s: valid %v, findings %v; want an error finding of rule %q", p.name, resp.Msg.GetValid(), resp.Msg.GetFindings(), p.rule)
		}
	}

	_, err = val.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{
		Files:   probeChart("a: 1\n", ""),
		Options: &aidenv1.Options{SchemaLocations: []string{"http://127.0.0.1:1/{{ .ResourceKind }}.json"}}}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("schemaLocations URL: %v, want invalid_argument", err)
	}
	_, err = gen.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: strings.Repeat("Deploy Redis. ", 400<<10), TargetPath: "apps/redis"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("5 MB intent: %v, want invalid_argument", err)
	}
	if gs, _, err := st.List(context.Background(), store.Filter{}); err != nil || len(gs) != 0 {
		t.Errorf("records = %d, %v; want none", len(gs), err)
	}

	close(stop)
	wg.Wait()
	if err := healthy(context.Background(), srv.Client(), srv.URL); err != nil {
		t.Fatalf("health after the probes: %v", err)
	}
	if checks.Load() < 2 || failures.Load() > 0 {
		t.Errorf("%d health checks, %d failed", checks.Load(), failures.Load())
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("%d health checks answered meanwhile; heap in use after: %d MiB", checks.Load(), m.HeapInuse>>20)
}
