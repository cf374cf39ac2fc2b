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
	"path"
	"sort"
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
	// KindHelmRelease is a Flux HelmRelease folder (helmrelease.yaml with
	// a kustomization.yaml): the values live in the HelmRelease.
	KindHelmRelease Kind = "helmrelease"
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

// Detect reports the app that the folder target holds in ws, if any: a
// Helm chart (Chart.yaml), a Flux HelmRelease folder (helmrelease.yaml
// beside a kustomization.yaml), a Kustomize app (kustomization.yaml, or a
// base/ with overlays/), or a Terraform module (*.tf, *.tf.json).
func Detect(target string, ws []workspace.File) (*App, bool) {
	target, err := workspace.Clean(target)
	if err != nil || target == "." {
		return nil, false
	}
	app := &App{Root: target}
	has := map[string]bool{}
	tf := false
	for _, f := range ws {
		p, err := workspace.Clean(f.Path)
		if err != nil || !workspace.Within(target, p) || p == target {
			continue
		}
		app.Files = append(app.Files, workspace.File{Path: p, Content: f.Content})
		rel := strings.TrimPrefix(p, target+"/")
		has[rel] = true
		if !strings.Contains(rel, "/") && (strings.HasSuffix(rel, ".tf") || strings.HasSuffix(rel, ".tf.json")) {
			tf = true
		}
	}
	sort.Slice(app.Files, func(i, j int) bool { return app.Files[i].Path < app.Files[j].Path })
	overlays := false
	for rel := range has {
		if d, f := path.Split(rel); strings.HasPrefix(d, "overlays/") && strings.Count(d, "/") == 2 && isKustomization(f) {
			overlays = true
		}
	}
	switch {
	case has["Chart.yaml"]:
		app.Kind = KindHelm
	case (has["helmrelease.yaml"] || has["helmrelease.yml"]) && (has["kustomization.yaml"] || has["kustomization.yml"]):
		app.Kind = KindHelmRelease
	case has["kustomization.yaml"] || has["kustomization.yml"] || has["Kustomization"] ||
		has["base/kustomization.yaml"] || has["base/kustomization.yml"] || overlays:
		app.Kind = KindKustomize
	case tf:
		app.Kind = KindTerraform
	default:
		return nil, false
	}
	return app, true
}

func isKustomization(name string) bool {
	return name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization"
}

// catalogue says what the built-in author can change, per kind of app.
var catalogue = map[Kind][]string{
	KindHelm: {"replicas (overall, or per environment with values-<env>.yaml)", "image or tag", "requests and limits",
		"environment variables (literal, from a Secret or ConfigMap key, or removed)", "an HPA (added or removed)",
		"an Ingress with host and TLS", "a PodDisruptionBudget", "a NetworkPolicy allowing traffic from a label or namespace",
		"storage size", "schedule"},
	KindKustomize: {"replicas (in the base, or in one environment's overlay)", "image or tag", "requests and limits",
		"environment variables (literal, from a Secret or ConfigMap key, or removed)", "an HPA (added or removed)",
		"an Ingress with host and TLS", "a PodDisruptionBudget", "a NetworkPolicy allowing traffic from a label or namespace",
		"storage size", "schedule"},
	KindHelmRelease: {"replicas", "image or tag", "requests and limits", "chart version", "environment variables",
		"storage size"},
	KindTerraform: {"lifecycle rules (expire or move objects after N days)", "versioning", "tags",
		"variable defaults (region and any variable named in the intent)"},
}

// Catalogue lists what the built-in author can change in an app of kind k.
func Catalogue(k Kind) []string { return append([]string{}, catalogue[k]...) }

func unsupported(k Kind, what string, args ...any) *UnsupportedError {
	return &UnsupportedError{What: fmt.Sprintf(what, args...), CanChange: Catalogue(k)}
}

// Apply carries out req on app with the built-in author: it reads the
// app, turns the intent into operations of the catalogue and edits the
// files in place. An intent it cannot carry out in full is an
// *UnsupportedError; nothing is regenerated.
func Apply(ctx context.Context, app *App, req Request) (*Result, error) {
	res, _, err := apply(ctx, app, req)
	return res, err
}

// apply is Apply that also returns, per edited file, the lines (1-based)
// of the original content that the edits replaced.
func apply(ctx context.Context, app *App, req Request) (*Result, map[string][]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	a := newAuthor(app, req.Workspace)
	in := parseIntent(req.Intent, a.environments(), a.names())
	if req.Environment != "" && in.env == "" {
		in.env = planner.NormalEnvironment(strings.ToLower(req.Environment))
	}
	if len(in.unknown) > 0 {
		return nil, nil, unsupported(app.Kind, "%q (the words %s)", req.Intent, quoteList(in.unknown))
	}
	if len(in.ops) == 0 {
		return nil, nil, unsupported(app.Kind, "%q", req.Intent)
	}
	var err error
	switch app.Kind {
	case KindHelm:
		err = a.helm(in)
	case KindKustomize:
		err = a.kustomize(in)
	case KindHelmRelease:
		err = a.helmRelease(in)
	case KindTerraform:
		err = a.terraform(in)
	default:
		err = fmt.Errorf("unknown kind of app %q", app.Kind)
	}
	if err != nil {
		return nil, nil, err
	}
	files, touched, err := a.result()
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 && len(a.deleted) == 0 {
		return nil, nil, &UnsupportedError{What: fmt.Sprintf("%q: %s already is as asked; nothing to change", req.Intent, app.Root), CanChange: Catalogue(app.Kind)}
	}
	return &Result{
		Files:      files,
		Deleted:    a.deleted,
		Summary:    fmt.Sprintf("Changed %s %s: %s.", app.Kind, app.Root, strings.Join(a.done, "; ")),
		Understood: append(in.understood, a.read...),
	}, touched, nil
}

func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}
