package generator

import (
	"fmt"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Where an attempt's files land, in the order the attempt loop lands them:
// place (under the target), conventions (in their sources), fit into the
// repository (settle); then, after the guard, register.

// place moves generated files (relative to the target) under target,
// refusing any that would land outside it.
func place(target string, files []workspace.File) ([]workspace.File, error) {
	out := make([]workspace.File, 0, len(files))
	for _, f := range files {
		rel, err := workspace.Clean(f.Path)
		if err != nil {
			return nil, fmt.Errorf("generated file: %w", err)
		}
		p := target + "/" + rel
		if !workspace.Within(target, p) {
			return nil, fmt.Errorf("generated file %q lands outside %s", f.Path, target)
		}
		out = append(out, workspace.File{Path: p, Content: f.Content})
	}
	return out, nil
}

// conform makes placed files follow the repository's conventions in
// their sources (the conventions stage): when the target's parent folder
// is a kustomization, the files are first wrapped so that the parent can
// build them (a HelmRelease for a chart, a kustomization.yaml for
// manifests); then names, labels, annotations and namespaces are fixed
// where that can be done mechanically (conventions.Fix), and chart sources
// the cluster already has are pointed out. Nothing is rendered here: what
// charts render and overlays build is checked on the one render (check).
func conform(cfg *genconfig.Config, vars genconfig.Vars, ws []workspace.File, target string, files []workspace.File) ([]workspace.File, []validators.Finding, error) {
	files = shapeApp(cfg, vars, target, files) // as the layout keeps its apps (inferred.go)
	if _, ok := gitops.Parent(ws, target); ok {
		files = append(files, gitops.Wrap(target, files, gitops.Source{}, gitops.Release{Environment: vars.Env})...)
	}
	files, findings, err := conventions.Fix(cfg, vars, files)
	if err != nil {
		return nil, nil, fmt.Errorf("conventions: %w", err)
	}
	return files, append(findings, duplicateSources(ws, target, files)...), nil
}

// ruleSources is the rule of findings about chart sources.
const ruleSources = "conventions/sources"

// duplicateSources warns about each generated Flux HelmRepository that the
// cluster already has (see gitops.FindHelmRepository): the HelmRelease
// should name that one. A model may write one; the planner does not.
func duplicateSources(ws []workspace.File, target string, files []workspace.File) []validators.Finding {
	var out []validators.Finding
	for _, r := range gitops.HelmRepositories(files) {
		have, ok := gitops.FindHelmRepository(ws, target, r.URL)
		if !ok {
			continue
		}
		res := "HelmRepository/" + r.Name
		if r.Namespace != "" {
			res = "HelmRepository/" + r.Namespace + "/" + r.Name
		}
		out = append(out, validators.Finding{File: r.File, Line: r.Line, Resource: res, Rule: ruleSources, Severity: validators.SeverityWarning,
			Message: fmt.Sprintf("the cluster already has HelmRepository %s/%s for %s (%s:%d): point the HelmRelease's sourceRef at it (name %s, namespace %s) rather than adding another",
				have.Namespace, have.Name, have.URL, have.File, have.Line, have.Name, have.Namespace)})
	}
	return out
}

// conventionsReport is the conventions check of a generation with its
// findings: reported when the config states conventions, or when the
// files broke Kubernetes' own naming rules.
func conventionsReport(cfg *genconfig.Config, conv []validators.Finding) validators.Report {
	if len(conv) == 0 && !hasConventions(cfg) {
		return validators.Report{}
	}
	return validators.Report{Checks: []validators.Check{conventions.Summary(conv)}, Findings: conv}
}

// hasConventions reports whether cfg states a rule for names, labels,
// annotations or namespaces.
func hasConventions(cfg *genconfig.Config) bool {
	return cfg != nil && (cfg.Naming.Pattern != "" || len(cfg.Labels) > 0 || len(cfg.Annotations) > 0 || cfg.Namespace.Pattern != "")
}

// settle works out what the target folder holds once the generated files
// land: templates aiden wrote that the new chart lacks are deleted (they
// would otherwise be rendered with it); any other file already in the
// target is kept, and is checked with the new files, since it will sit
// beside them. A file aiden did not write keeps its place over a generated
// one (see guard).
func settle(format Format, own owner, ws, generated []workspace.File) (final []workspace.File, deleted []string) {
	target := own.target
	made := make(map[string]bool, len(generated))
	for _, f := range generated {
		if !own.foreign(f.Path, f.Content) {
			made[f.Path] = true
			final = append(final, f)
		}
	}
	for _, f := range ws {
		p, err := workspace.Clean(f.Path)
		if err != nil || made[p] || !workspace.Within(target, p) {
			continue
		}
		if format == FormatHelm && workspace.Within(target+"/templates", p) && own.wrote(p) {
			deleted = append(deleted, p)
			continue
		}
		final = append(final, workspace.File{Path: p, Content: f.Content})
	}
	return final, deleted
}

// requestEnvironment is the environment a request names, or the one its
// target path names (clusters/<env>/...).
func requestEnvironment(req Request, target string) string {
	if req.Environment != "" {
		return req.Environment
	}
	return planner.PathEnvironment(target, "clusters")
}
