package openai_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
)

func TestAzure(t *testing.T) {
	srv := providertest.OpenAI(t, providertest.Step{Text: "hello"})
	c := openai.New(openai.Options{BaseURL: srv.URL, APIKey: "k", Azure: true})
	ans, err := c.Complete(context.Background(), generator.Completion{Model: "my-deployment",
		Messages: []generator.Message{{Role: generator.RoleUser, Content: "hi"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Content != "hello" {
		t.Errorf("content = %q", ans.Content)
	}
	if p := srv.Requests()[0].Path; p != "/openai/deployments/my-deployment/chat/completions" {
		t.Errorf("path = %s, want Azure's deployment path", p)
	}
}

func TestUpstreamError(t *testing.T) {
	for _, stream := range []bool{false, true} {
		srv := providertest.OpenAI(t, providertest.Step{Status: 429, RetryAfter: "7"})
		c := openai.New(openai.Options{BaseURL: srv.URL + "/v1"})
		var onDelta func(string)
		if stream {
			onDelta = func(string) {}
		}
		_, err := c.Complete(context.Background(), generator.Completion{Model: "m"}, onDelta)
		var ue *generator.UpstreamError
		if !errors.As(err, &ue) || ue.Status != 429 || ue.RetryAfter != 7*time.Second {
			t.Errorf("stream %v: err = %#v, want 429 with Retry-After 7s", stream, err)
		}
	}
}
