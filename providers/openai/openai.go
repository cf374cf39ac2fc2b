// Package openai is aiden's provider for OpenAI, Azure OpenAI and every
// OpenAI-compatible server (Ollama, vLLM, llama.cpp server, LM Studio),
// through github.com/sashabaranov/go-openai.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/internal/upstream"
)

// Options configure a Client.
type Options struct {
	// BaseURL is the API's base URL, for example http://localhost:11434/v1
	// for Ollama; empty means OpenAI's.
	BaseURL string
	// APIKey is sent as a bearer token (or api-key for Azure); local
	// servers accept any value, including none.
	APIKey string
	// Azure selects Azure OpenAI: BaseURL is the resource endpoint and
	// model names are deployment names.
	Azure bool
	// APIVersion is Azure's api-version; empty means 2024-10-21.
	APIVersion string
	// HTTPClient is the client to use; nil means a new one.
	HTTPClient *http.Client
}

// Client is a generator.Model.
type Client struct {
	c *goopenai.Client
}

// New returns a Client.
func New(opts Options) *Client {
	var cfg goopenai.ClientConfig
	if opts.Azure {
		cfg = goopenai.DefaultAzureConfig(opts.APIKey, opts.BaseURL)
		cfg.APIVersion = opts.APIVersion
		if cfg.APIVersion == "" {
			cfg.APIVersion = "2024-10-21"
		}
		cfg.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		cfg = goopenai.DefaultConfig(opts.APIKey)
		if opts.BaseURL != "" {
			cfg.BaseURL = strings.TrimRight(opts.BaseURL, "/")
		}
	}
	cfg.HTTPClient = upstream.Client(opts.HTTPClient)
	return &Client{c: goopenai.NewClientWithConfig(cfg)}
}

// Complete implements generator.Model.
func (c *Client) Complete(ctx context.Context, comp generator.Completion, onDelta func(string)) (generator.Answer, error) {
	req := goopenai.ChatCompletionRequest{Model: comp.Model, MaxCompletionTokens: comp.MaxTokens}
	if comp.Temperature != nil {
		req.Temperature = float32(*comp.Temperature)
	}
	for _, m := range comp.Messages {
		req.Messages = append(req.Messages, goopenai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content})
	}
	if comp.Schema != nil {
		req.ResponseFormat = &goopenai.ChatCompletionResponseFormat{
			Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{
				Name: "files", Schema: rawSchema(comp.Schema), Strict: true,
			},
		}
	}
	ctx, last := upstream.Watch(ctx)
	if onDelta == nil {
		resp, err := c.c.CreateChatCompletion(ctx, req)
		if err != nil {
			return generator.Answer{}, last.Error(ctx, err)
		}
		ans := generator.Answer{Model: resp.Model, Usage: generator.Usage{
			InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens}}
		if len(resp.Choices) > 0 {
			ans.Content = resp.Choices[0].Message.Content
			ans.Truncated = resp.Choices[0].FinishReason == goopenai.FinishReasonLength
		}
		return ans, nil
	}

	req.Stream = true
	req.StreamOptions = &goopenai.StreamOptions{IncludeUsage: true}
	stream, err := c.c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return generator.Answer{}, last.Error(ctx, err)
	}
	defer stream.Close()
	var ans generator.Answer
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return generator.Answer{}, last.Error(ctx, err)
		}
		if chunk.Model != "" {
			ans.Model = chunk.Model
		}
		if chunk.Usage != nil {
			ans.Usage = generator.Usage{InputTokens: chunk.Usage.PromptTokens, OutputTokens: chunk.Usage.CompletionTokens}
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if d := ch.Delta.Content; d != "" {
				text.WriteString(d)
				onDelta(d)
			}
			if ch.FinishReason == goopenai.FinishReasonLength {
				ans.Truncated = true
			}
		}
	}
	ans.Content = text.String()
	return ans, nil
}

// rawSchema passes a JSON schema through go-openai unchanged.
type rawSchema json.RawMessage

func (r rawSchema) MarshalJSON() ([]byte, error) { return r, nil }
