package prompts

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// ChangeInput is what a request to change an existing app is built from.
type ChangeInput struct {
	// Intent is the change, for example "bump the api image to 1.5.0".
	Intent string
	// Kind is helm, kustomize, helmrelease or terraform.
	Kind string
	// TargetPath is the app folder, relative to the repository root.
	TargetPath string
	// Environment is the environment the change is for, when known.
	Environment string
	// KubernetesVersion is the release the files are validated against.
	KubernetesVersion string
	// Conventions is the text of the repository's generation config
	// (already redacted), or empty.
	Conventions string
	// Policies are one-line summaries of the policies that will be checked.
	Policies []string
	// Files are the app's current files (already redacted), paths relative
	// to the app folder.
	Files []workspace.File
}

// Change renders the first request of a change: the app's files go in
// the user part, and the model answers with the files it changes.
func Change(in ChangeInput) (Prompt, error) {
	var sys, user bytes.Buffer
	if err := templates().ExecuteTemplate(&sys, "change-system", in); err != nil {
		return Prompt{}, fmt.Errorf("render change system prompt: %w", err)
	}
	if err := templates().ExecuteTemplate(&user, "change-user", in); err != nil {
		return Prompt{}, fmt.Errorf("render change user prompt: %w", err)
	}
	return Prompt{System: strings.TrimSpace(sys.String()) + "\n", User: strings.TrimSpace(user.String()) + "\n"}, nil
}
