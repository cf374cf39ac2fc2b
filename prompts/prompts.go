// Package prompts builds what aiden sends to a model: the system part (role,
// output contract, the repository's conventions, the policies that will be
// enforced, the Kubernetes version), few-shot examples chosen within a
// token budget, the intent, and the repair requests of the validate-and-
// repair loop. It also reads the model's answer back into files.
//
// Templates are embedded and versioned: Version names the folder they come
// from, and it is recorded with every generation so that an answer can be
// traced to the prompt that produced it.
package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/stackgen/aiden/workspace"
)

// Version names the template set in use.
const Version = "v1"

//go:embed v1/*.tmpl
var templateFS embed.FS

var templates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"exampleJSON": exampleJSON,
	}).ParseFS(templateFS, Version+"/*.tmpl"))
})

// Input is everything the first request to a model is built from.
type Input struct {
	// Intent is the user's sentence.
	Intent string
	// Format is helm, kustomize or terraform.
	Format string
	// TargetPath is the folder every file lands in, relative to the
	// repository root.
	TargetPath string
	// Environment is the target environment, when known.
	Environment string
	// KubernetesVersion is the release the files are validated against.
	KubernetesVersion string
	// Conventions is the text of the repository's generation config
	// (already redacted), or empty.
	Conventions string
	// Policies are one-line summaries of the policies that will be checked.
	Policies []string
	// Examples are the few-shot examples chosen by Select.
	Examples []Example
	// Existing lists the files already in the target folder, by path.
	Existing []string
	// Components describes, one line each, the repository's Kustomize
	// Components and the environments whose overlays use them (Kustomize
	// only).
	Components []string
}

// Prompt is the two parts of the first request.
type Prompt struct {
	System string
	User   string
}

// Build renders the first request.
func Build(in Input) (Prompt, error) {
	var sys, user bytes.Buffer
	if err := templates().ExecuteTemplate(&sys, "system.tmpl", in); err != nil {
		return Prompt{}, fmt.Errorf("render system prompt: %w", err)
	}
	if err := templates().ExecuteTemplate(&user, "user.tmpl", in); err != nil {
		return Prompt{}, fmt.Errorf("render user prompt: %w", err)
	}
	return Prompt{System: strings.TrimSpace(sys.String()) + "\n", User: strings.TrimSpace(user.String()) + "\n"}, nil
}

// RepairInput is what a repair request tells the model.
type RepairInput struct {
	// Problem says why the last answer could not be used at all (not
	// parseable, empty, cut off); when set, Findings are not listed.
	Problem string
	// Findings are the error-level findings, one line each.
	Findings []string
	// Files are the model's files as validated, paths relative to the
	// target folder.
	Files []workspace.File
}

// Repair renders a repair request.
func Repair(in RepairInput) (string, error) {
	var b bytes.Buffer
	if err := templates().ExecuteTemplate(&b, "repair.tmpl", in); err != nil {
		return "", fmt.Errorf("render repair prompt: %w", err)
	}
	return strings.TrimSpace(b.String()) + "\n", nil
}

// Schema is the JSON schema of the output contract, for providers that
// support structured output.
var Schema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "files": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "path": {"type": "string", "description": "path relative to the target folder"},
          "content": {"type": "string", "description": "the whole file"}
        },
        "required": ["path", "content"],
        "additionalProperties": false
      }
    }
  },
  "required": ["files"],
  "additionalProperties": false
}`)

// Tokens estimates the tokens of a text the way budgets are counted here:
// about four bytes per token, which is close for English and YAML with
// common BPE tokenizers and needs no model-specific vocabulary.
func Tokens(s string) int { return (len(s) + 3) / 4 }
