package generator

import (
	"fmt"
	"strings"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/infer"
	"github.com/stackgen/aiden/workspace"
)

// The repository's layout: a workspace without a generation config gets
// the one inferred from the repository (infer.Cached), and a new app in
// an app folder of the config's layout (written or inferred) is shaped
// like the repository's apps and registered in the environment overlays
// the request names.

// inferConfig returns the config inferred from ws when ws holds no
// generation config and the repository says something (a layout, a
// convention), with the proposal; nil otherwise. An explicit config
// always wins.
func inferConfig(ws []workspace.File) (*genconfig.Config, *infer.Proposal) {
	for _, f := range ws {
		if f.Path == genconfig.Path {
			return nil, nil
		}
	}
	p := infer.Cached(ws)
	if !p.Found() {
		return nil, nil
	}
	return p.Config, p
}

// withInferred returns ws with the proposal's config and examples at
// their places (.stackgen/), so that a model's prompt holds the
// repository's conventions and apps as if they were written. Nothing is
// written there: the result only ever holds the generated files.
func withInferred(ws []workspace.File, p *infer.Proposal) []workspace.File {
	out := make([]workspace.File, 0, len(ws)+len(p.Examples)*4+1)
	out = append(out, ws...)
	for _, f := range p.Files() {
		if !exists(ws, f.Path) {
			out = append(out, f)
		}
	}
	return out
}

// shapeApp lays the files of a new app in target out as the layout keeps
// its apps (gitops.Shape), when target is one of its app folders.
func shapeApp(cfg *genconfig.Config, vars genconfig.Vars, target string, files []workspace.File) []workspace.File {
	if cfg == nil {
		return files
	}
	if _, _, ok := cfg.Layout.MatchApplication(target); ok {
		return placeApplication(cfg.Layout, target, files) // argocd.go
	}
	if _, _, ok := cfg.Layout.MatchApp(target); !ok {
		return files
	}
	ns := ""
	if cfg.Namespace.Pattern != "" && len(cfg.Unset(cfg.Namespace.Pattern, vars)) == 0 {
		ns = cfg.Expand(cfg.Namespace.Pattern, vars)
	}
	switch cfg.Layout.Delivery {
	case genconfig.DeliveryFluxHelmRelease, genconfig.DeliveryKustomize:
		// The overlays list app folders: a chart of its own (no catalogue
		// chart for the component) is installed by a HelmRelease beside
		// it, a base and overlays through a kustomization.yaml.
		files = append(files, gitops.Wrap(target, files, gitops.Source{}, gitops.Release{Namespace: ns, Environment: vars.Env})...)
	}
	return gitops.Shape(cfg.Layout, target, ns, files)
}

// registerLayout registers a new app of the layout in the overlay of the
// environment the request names: the overlay lists the app folder, and
// the HelmRelease's values move to the environment's patch file when the
// layout keeps values there. It returns the files to add to the result
// (replacing any with the same path) and what it did, for the summary.
func (r *run) registerLayout() ([]workspace.File, []planner.Fact, error) {
	l := r.cfg.Layout
	if more, facts, ok, err := registerApplication(r.req.Workspace, l, r.target, r.res.Files); ok { // argocd.go
		return more, facts, err
	}
	app, _, ok := l.MatchApp(r.target)
	if !ok || l.Overlays == "" {
		return nil, nil, nil
	}
	env := requestEnvironment(r.req, r.target)
	for _, f := range r.res.Provenance.Understood {
		if env == "" && f.Key == "environment" {
			env = f.Value
		}
	}
	if env == "" {
		return nil, []planner.Fact{{Key: "registered", Value: "nowhere: the request names no environment", From: "(" + l.Overlays + ")"}}, nil
	}
	overlay := l.OverlayDir(env)
	var out []workspace.File
	var patch *gitops.Patch
	if pf := l.PatchFile(app, env); pf != "" && !exists(r.req.Workspace, pf) {
		if rel, ok := gitops.AppFile(r.res.Files, r.target, "HelmRelease"); ok {
			newRel, values, name, split, err := gitops.SplitValues(rel, pf)
			if err != nil {
				return nil, nil, err
			}
			if split {
				out = append(out, newRel, values)
				patch = &gitops.Patch{Path: pf, Kind: "HelmRelease", Name: name}
			}
		}
	}
	reg, changed, err := gitops.RegisterOverlay(r.req.Workspace, overlay, r.target, patch)
	if err != nil {
		return nil, nil, err
	}
	if !changed {
		return nil, []planner.Fact{{Key: "registered", Value: "nowhere: " + overlay + " has no kustomization, or lists the app already", From: "(" + l.Overlays + ")"}}, nil
	}
	out = append(out, reg)
	facts := []planner.Fact{{Key: "registered", Value: "in " + reg.Path, From: "(environment " + env + ")"}}
	if patch != nil {
		facts = append(facts, planner.Fact{Key: "values", Value: patch.Path, From: "(" + l.Patches + ")"})
	}
	return out, facts, nil
}

func exists(ws []workspace.File, p string) bool {
	for _, f := range ws {
		if f.Path == p {
			return true
		}
	}
	return false
}

// replaceFiles returns files with each of more replacing the file of the
// same path, or added.
func replaceFiles(files, more []workspace.File) []workspace.File {
	idx := map[string]int{}
	for i, f := range files {
		idx[f.Path] = i
	}
	for _, f := range more {
		if i, ok := idx[f.Path]; ok {
			files[i] = f
			continue
		}
		idx[f.Path] = len(files)
		files = append(files, f)
	}
	return files
}

// inferredFacts say what was inferred and from which files.
func inferredFacts(p *infer.Proposal) []planner.Fact {
	var out []planner.Fact
	for _, e := range p.Evidence {
		if strings.HasPrefix(e.Key, "charts.") || e.Key == "examples" || strings.HasPrefix(e.Key, "layout.files.") {
			continue
		}
		out = append(out, planner.Fact{Key: "inferred", Value: e.Key + ": " + e.Value,
			From: fmt.Sprintf("(%d of %d %s: %s)", e.Count, e.Total, e.What, strings.Join(e.Files, ", "))})
	}
	return out
}
