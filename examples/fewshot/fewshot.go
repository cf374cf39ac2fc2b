// Package fewshot holds aiden's own few-shot examples: small Helm charts
// that follow every rule aiden's checks enforce. The prompts package offers
// them to a model next to the repository's .stackgen/examples; a test keeps
// them valid.
package fewshot

import "embed"

// FS holds one folder per example.
//
//go:embed all:web-service all:cronjob
var FS embed.FS
