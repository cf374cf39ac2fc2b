package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
)

const shopIntent = "Deploy the shop web API ghcr.io/acme/shop:2.3.1 with 2 replicas"

// newModelServer serves an engine whose model is the real go-openai client
// talking to a scripted model.
func newModelServer(t *testing.T, model *providertest.Server, tune func(*generator.ModelOptions)) *httptest.Server {
	t.Helper()
	m := generator.ModelOptions{
		Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}),
		Name:     "scripted-1",
		Backoff:  time.Millisecond,
		// Each protocol's run must reach the model.
		CacheEntries: -1,
	}
	if tune != nil {
		tune(&m)
	}
	srv := httptest.NewUnstartedServer(server.New(generator.New(generator.Options{Model: m}), server.Options{}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func goodChart(t *testing.T) string {
	return providertest.JSON(providertest.Files(t, "../generator/testdata/model/charts/good"))
}

func TestGenerateStreamModel(t *testing.T) {
	good := goodChart(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			model := providertest.OpenAI(t, providertest.Step{Text: good})
			srv := newModelServer(t, model, nil)
			client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL, p.opts...)
			stream, err := client.GenerateStream(context.Background(), connect.NewRequest(&aidenv1.GenerateStreamRequest{
				Request: &aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"},
			}))
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			var result *aidenv1.GenerateResponse
			for stream.Receive() {
				ev := stream.Msg()
				if ev.GetDelta() != "" {
					if ev.GetAttempt() != 1 || ev.GetStage() != aidenv1.Stage_STAGE_PLAN {
						t.Errorf("delta event attempt %d stage %v", ev.GetAttempt(), ev.GetStage())
					}
					text.WriteString(ev.GetDelta())
				}
				if ev.GetResult() != nil {
					result = ev.GetResult()
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if text.String() != good {
				t.Errorf("streamed %d bytes of the model's %d", text.Len(), len(good))
			}
			prov := result.GetProvenance()
			if !result.GetValid() || prov.GetGenerator() != "model" || prov.GetModel() != "scripted-1" ||
				len(prov.GetAttempts()) != 1 || prov.GetUsage().GetCompletionTokens() == 0 {
				t.Errorf("result valid %v, provenance %v", result.GetValid(), prov)
			}
		})
	}
}

func TestModelErrorCodes(t *testing.T) {
	tests := []struct {
		name  string
		steps []providertest.Step
		tune  func(*generator.ModelOptions)
		code  connect.Code
	}{
		{"timeout", []providertest.Step{{Delay: 5 * time.Second}}, func(m *generator.ModelOptions) { m.Timeout = 100 * time.Millisecond }, connect.CodeDeadlineExceeded},
		{"rate limited", []providertest.Step{{Status: 429, RetryAfter: "600"}}, nil, connect.CodeResourceExhausted},
		{"unavailable", []providertest.Step{{Status: 503}, {Status: 503}, {Status: 503}, {Status: 503}}, nil, connect.CodeUnavailable},
		{"garbage", []providertest.Step{{Text: "no"}, {Text: "no"}, {Text: "no"}}, nil, connect.CodeUnavailable},
		{"truncated", []providertest.Step{{Text: "{", Truncated: true}, {Text: "{", Truncated: true}, {Text: "{", Truncated: true}}, nil, connect.CodeResourceExhausted},
		{"rejected", []providertest.Step{{Status: 401}}, nil, connect.CodeFailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := providertest.OpenAI(t, tt.steps...)
			srv := newModelServer(t, model, tt.tune)
			client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
			_, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}))
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != tt.code {
				t.Fatalf("err = %v, want code %v", err, tt.code)
			}
			var attempts int
			for _, d := range ce.Details() {
				v, err := d.Value()
				if err != nil {
					t.Fatal(err)
				}
				a, ok := v.(*aidenv1.ModelAttempt)
				if !ok {
					continue
				}
				attempts++
				if a.GetProblem() == "" {
					t.Errorf("attempt %d has no problem", a.GetNumber())
				}
				if tt.name == "garbage" && a.GetReceived() != "no" {
					t.Errorf("received = %q, want what the model said", a.GetReceived())
				}
			}
			if attempts == 0 {
				t.Errorf("no attempts in the error's details")
			}
		})
	}
}

func TestModelNotAllowed(t *testing.T) {
	model := providertest.OpenAI(t)
	srv := newModelServer(t, model, func(m *generator.ModelOptions) { m.Allowed = []string{"big-1"} })
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	_, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{
		Intent: shopIntent, TargetPath: "apps/shop", Model: "gpt-unlisted"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("err = %v, want InvalidArgument", err)
	}
}
