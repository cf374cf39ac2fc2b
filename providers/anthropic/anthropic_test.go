package anthropic_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/anthropic"
	"github.com/stackgen/aiden/providers/providertest"
)

func engine(t *testing.T, srv *providertest.Server) *generator.Engine {
	t.Helper()
	c, err := anthropic.New(anthropic.Options{BaseURL: srv.URL + "/v1", APIKey: "test-key"})
	if err != nil {
		t.Fatal(err)
	}
	return generator.New(generator.Options{Model: generator.ModelOptions{Provider: c, Name: "claude-scripted", Backoff: time.Millisecond}})
}

func request() generator.Request {
	return generator.Request{Intent: "Deploy the shop web API ghcr.io/acme/shop:2.3.1 with 2 replicas", TargetPath: "apps/shop"}
}

func chart(t *testing.T, name string) string {
	return providertest.JSON(providertest.Files(t, "../../generator/testdata/model/charts/"+name))
}

// The Anthropic path through langchaingo: a bad chart, the repair request
// with its findings, a good chart; both streamed and not.
func TestRepairOverMessagesAPI(t *testing.T) {
	for _, streaming := range []bool{false, true} {
		t.Run(map[bool]string{false: "whole", true: "streamed"}[streaming], func(t *testing.T) {
			srv := providertest.Anthropic(t, providertest.Step{Text: chart(t, "bad")}, providertest.Step{Text: chart(t, "good")})
			var progress func(generator.Event)
			var streamed strings.Builder
			if streaming {
				progress = func(ev generator.Event) { streamed.WriteString(ev.Delta) }
			}
			res, err := engine(t, srv).Generate(context.Background(), request(), progress)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Valid() || len(res.Provenance.Attempts) != 2 {
				t.Fatalf("valid %v after %d attempts: %v", res.Valid(), len(res.Provenance.Attempts), res.Report.Findings)
			}
			reqs := srv.Requests()
			if reqs[0].Path != "/v1/messages" || reqs[0].Body["model"] != "claude-scripted" {
				t.Errorf("request to %s for %v", reqs[0].Path, reqs[0].Body["model"])
			}
			if sys, _ := reqs[0].Body["system"].(string); !strings.Contains(sys, "Output contract") {
				t.Errorf("system prompt not sent as Anthropic's system field")
			}
			first := res.Provenance.Attempts[0]
			for _, f := range first.Findings {
				if f.Severity == 3 && !strings.Contains(reqs[1].Last(), f.Message) {
					t.Errorf("repair request lacks %q", f.Message)
				}
			}
			u := res.Provenance.Usage
			if u.InputTokens == 0 || u.OutputTokens == 0 {
				t.Errorf("usage = %+v", u)
			}
			if streaming && streamed.Len() == 0 {
				t.Error("no text streamed")
			}
		})
	}
}

func TestFaultsOverMessagesAPI(t *testing.T) {
	srv := providertest.Anthropic(t, providertest.Step{Status: 429, RetryAfter: "0"}, providertest.Step{Status: 529}, providertest.Step{Text: chart(t, "good")})
	res, err := engine(t, srv).Generate(context.Background(), request(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Provenance.Attempts[0].Retries != 2 {
		t.Errorf("retries = %d, want 2", res.Provenance.Attempts[0].Retries)
	}

	srv = providertest.Anthropic(t, providertest.Step{Text: "partial", Truncated: true}, providertest.Step{Text: "partial", Truncated: true}, providertest.Step{Text: "partial", Truncated: true})
	if _, err := engine(t, srv).Generate(context.Background(), request(), nil); !errors.Is(err, generator.ErrTruncated) {
		t.Errorf("err = %v, want truncated", err)
	}
}
