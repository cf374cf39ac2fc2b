// Package providers builds a generator.Model from configuration: OpenAI
// and every OpenAI-compatible server (providers/openai), Azure OpenAI, and
// Anthropic (providers/anthropic). Flags and environment variables are read
// by cmd/aiden; this package only takes the values.
package providers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/anthropic"
	"github.com/stackgen/aiden/providers/openai"
)

// Provider names.
const (
	OpenAI    = "openai"    // OpenAI or any OpenAI-compatible base URL
	Azure     = "azure"     // Azure OpenAI
	Anthropic = "anthropic" // Anthropic's Messages API
)

// Config says which provider to use and how to reach it.
type Config struct {
	// Provider is openai, azure or anthropic.
	Provider string
	// BaseURL is the API's base URL (for Azure, the resource endpoint).
	BaseURL string
	// APIKey authenticates; local OpenAI-compatible servers need none.
	APIKey string
	// APIVersion is Azure's api-version.
	APIVersion string
	// HTTPClient is the client to use; nil means a new one.
	HTTPClient *http.Client
}

// New returns the model client for cfg.
func New(cfg Config) (generator.Model, error) {
	switch strings.ToLower(cfg.Provider) {
	case OpenAI, "":
		return openai.New(openai.Options{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, HTTPClient: cfg.HTTPClient}), nil
	case Azure:
		if cfg.BaseURL == "" {
			return nil, fmt.Errorf("azure: the base URL (the resource endpoint, https://NAME.openai.azure.com) is required")
		}
		return openai.New(openai.Options{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, Azure: true,
			APIVersion: cfg.APIVersion, HTTPClient: cfg.HTTPClient}), nil
	case Anthropic:
		if cfg.APIKey == "" {
			return nil, fmt.Errorf("anthropic: an API key is required (ANTHROPIC_API_KEY)")
		}
		return anthropic.New(anthropic.Options{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, HTTPClient: cfg.HTTPClient})
	}
	return nil, fmt.Errorf("unknown provider %q (want openai, azure or anthropic)", cfg.Provider)
}

// Structured reports whether the provider enforces a JSON schema on the
// answer. OpenAI and Azure do; for other OpenAI-compatible servers support
// varies, so aiden relies on the prompt and its parser unless told.
func Structured(cfg Config) bool {
	switch strings.ToLower(cfg.Provider) {
	case Azure:
		return true
	case OpenAI, "":
		return cfg.BaseURL == "" || strings.Contains(cfg.BaseURL, "api.openai.com")
	}
	return false
}
