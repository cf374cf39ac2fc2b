// Package anthropic is aiden's provider for Anthropic's Messages API,
// through github.com/tmc/langchaingo.
package anthropic

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/tmc/langchaingo/llms"
	lcanthropic "github.com/tmc/langchaingo/llms/anthropic"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/internal/upstream"
)

// Options configure a Client.
type Options struct {
	// BaseURL is the API's base URL; empty means https://api.anthropic.com/v1.
	BaseURL string
	// APIKey is Anthropic's key (required).
	APIKey string
	// HTTPClient is the client to use; nil means a new one.
	HTTPClient *http.Client
}

// Client is a generator.Model.
type Client struct {
	llm *lcanthropic.LLM
}

// New returns a Client.
func New(opts Options) (*Client, error) {
	o := []lcanthropic.Option{lcanthropic.WithToken(opts.APIKey), lcanthropic.WithHTTPClient(upstream.Client(opts.HTTPClient))}
	if opts.BaseURL != "" {
		o = append(o, lcanthropic.WithBaseURL(strings.TrimRight(opts.BaseURL, "/")))
	}
	llm, err := lcanthropic.New(o...)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	return &Client{llm: llm}, nil
}

// Complete implements generator.Model. Anthropic has no JSON-schema
// output mode here; the prompt states the contract and the engine parses.
func (c *Client) Complete(ctx context.Context, comp generator.Completion, onDelta func(string)) (generator.Answer, error) {
	var msgs []llms.MessageContent
	for _, m := range comp.Messages {
		role := llms.ChatMessageTypeHuman
		switch m.Role {
		case generator.RoleSystem:
			role = llms.ChatMessageTypeSystem
		case generator.RoleAssistant:
			role = llms.ChatMessageTypeAI
		}
		msgs = append(msgs, llms.TextParts(role, m.Content))
	}
	maxTokens := comp.MaxTokens
	if maxTokens == 0 {
		maxTokens = 8192 // the Messages API requires max_tokens
	}
	opts := []llms.CallOption{llms.WithModel(comp.Model), llms.WithMaxTokens(maxTokens)}
	if comp.Temperature != nil {
		opts = append(opts, llms.WithTemperature(*comp.Temperature))
	}
	if onDelta != nil {
		opts = append(opts, llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error {
			onDelta(string(chunk))
			return nil
		}))
	}
	ctx, last := upstream.Watch(ctx)
	resp, err := c.llm.GenerateContent(ctx, msgs, opts...)
	if err != nil {
		return generator.Answer{}, last.Error(ctx, err)
	}
	ans := generator.Answer{Model: comp.Model}
	var text strings.Builder
	for _, ch := range resp.Choices {
		text.WriteString(ch.Content)
		if ch.StopReason == "max_tokens" {
			ans.Truncated = true
		}
		ans.Usage = generator.Usage{InputTokens: intInfo(ch.GenerationInfo, "InputTokens"), OutputTokens: intInfo(ch.GenerationInfo, "OutputTokens")}
	}
	ans.Content = text.String()
	return ans, nil
}

func intInfo(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}
