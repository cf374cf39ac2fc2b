// Package change turns an intent aimed at an app that already exists (a Helm
// chart, a Kustomize base with overlays, a Terraform module) into the
// smallest edit of its files: YAML edited as node trees that keep comments,
// key order and quoting; HCL edited with hclwrite. It never regenerates an
// app; an intent it cannot carry out is an *UnsupportedError naming what it
// can change.
//
// The package is the built-in (offline) author of changes; a model-backed
// change goes through the generator's model path instead.
package change

import (
	"context"
	"fmt"
	"strings"

	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/workspace"
)

// Kind is the kind of app found in a folder.
type Kind string

// Kinds of app.
const (
	KindHelm      Kind = "helm"
	KindKustomize Kind = "kustomize"
	KindTerraform Kind = "terraform"
)

// App is an app that exists: the files of one folder of the repository.
type App struct {
	// Root is the app folder, relative to the repository root.
	Root string
	// Kind says what the folder holds.
	Kind Kind
	// Files are the app's files, paths relative to the repository root.
	Files []workspace.File
}

// Request asks for a change.
type Request struct {
	// Intent is the sentence, for example "bump the api image to 1.5.0".
	Intent string
	// Environment is optional; the intent or the path may name it.
	Environment string
	// Workspace is the rest of the repository as the caller sent it.
	Workspace []workspace.File
}

// Result is a change: only the files it edits, with their whole new
// content, and what it read from the intent.
type Result struct {
	// Files are the edited files (repository paths).
	Files []workspace.File
	// Deleted lists app files the change removes (an HPA removed).
	Deleted []string
	// Summary says in one line what changed.
	Summary string
	// Understood lists what was read from the intent and from the app.
	Understood []planner.Fact
	// Ignored lists the words of the intent that were not used.
	Ignored []string
}

// UnsupportedError says that an intent asks for a change the built-in
// author cannot make, and what it can change.
type UnsupportedError struct {
	// What names the part of the intent that could not be carried out.
	What string
	// CanChange lists the changes that are supported for this kind of app.
	CanChange []string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("cannot change %s; the built-in author can change: %s", e.What, strings.Join(e.CanChange, ", "))
}

// Detect reports the app that the folder target holds in ws, if any.
func Detect(target string, ws []workspace.File) (*App, bool) {
	// Filled in by the change work (issue 11).
	return nil, false
}

// Apply carries out req on app.
func Apply(ctx context.Context, app *App, req Request) (*Result, error) {
	return nil, &UnsupportedError{What: fmt.Sprintf("%q", req.Intent)}
}
