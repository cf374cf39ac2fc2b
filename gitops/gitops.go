// Package gitops fits generated folders into a GitOps repository laid out
// for Flux or Argo CD, where a folder of apps is a kustomization that lists
// one folder per app: Register adds the new folder to the parent's
// kustomization.yaml, keeping the file's order, layout and comments, and
// Wrap gives a new folder the kustomization.yaml (and, for a Helm chart, the
// Flux HelmRelease) that the parent needs to build it.
package gitops

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// Parent returns the kustomization file of target's parent folder among
// files, if there is one.
func Parent(files []workspace.File, target string) (workspace.File, bool) {
	dir := path.Dir(strings.TrimSuffix(target, "/"))
	for _, name := range kustomize.FileNames {
		p := path.Join(dir, name)
		for _, f := range files {
			if f.Path == p {
				return f, true
			}
		}
	}
	return workspace.File{}, false
}

// Register returns the kustomization of target's parent folder (found
// among ws, the workspace) with target's folder added at the end of its
// resources, and true. It returns false, and no file, when the parent has
// no kustomization or already lists the folder. Only the lines of the
// resources list change: the rest of the file keeps its order, layout and
// comments.
func Register(ws []workspace.File, target string) (workspace.File, bool, error) {
	parent, ok := Parent(ws, target)
	if !ok {
		return workspace.File{}, false, nil
	}
	entry := path.Base(strings.TrimSuffix(target, "/"))
	out, changed, err := addResource(parent.Content, entry)
	if err != nil {
		return workspace.File{}, false, fmt.Errorf("register %s in %s: %w", entry, parent.Path, err)
	}
	if !changed {
		return workspace.File{}, false, nil
	}
	return workspace.File{Path: parent.Path, Content: out}, true, nil
}

// addResource adds entry to the resources of a kustomization file.
func addResource(content []byte, entry string) ([]byte, bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, false, fmt.Errorf("parse: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("not a kustomization: the file is not a mapping")
	}
	root := doc.Content[0]
	var key, list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "resources" {
			key, list = root.Content[i], root.Content[i+1]
		}
	}
	lines := strings.SplitAfter(string(content), "\n")
	if last := lines[len(lines)-1]; last == "" {
		lines = lines[:len(lines)-1]
	} else if !strings.HasSuffix(last, "\n") {
		lines[len(lines)-1] += "\n"
	}
	switch {
	case key == nil:
		// No resources yet: add the list at the end.
		return []byte(strings.Join(lines, "") + "resources:\n  - " + entry + "\n"), true, nil
	case list.Kind == yaml.ScalarNode && list.Tag == "!!null":
		lines[key.Line-1] = strings.Repeat(" ", key.Column-1) + "resources:\n" + strings.Repeat(" ", key.Column+1) + "- " + entry + "\n"
		return []byte(strings.Join(lines, "")), true, nil
	case list.Kind != yaml.SequenceNode:
		return nil, false, fmt.Errorf("resources is not a list (line %d)", list.Line)
	}
	for _, item := range list.Content {
		if same(item.Value, entry) {
			return content, false, nil
		}
	}
	if list.Style&yaml.FlowStyle != 0 || len(list.Content) == 0 {
		// A flow list ([a, b]) is rewritten as a block list in its place.
		if list.Line != key.Line {
			return nil, false, fmt.Errorf("resources list at line %d: rewrite it as a block list", list.Line)
		}
		var b strings.Builder
		indent := strings.Repeat(" ", key.Column-1)
		b.WriteString(indent + "resources:\n")
		for _, item := range list.Content {
			fmt.Fprintf(&b, "%s  - %s\n", indent, item.Value)
		}
		fmt.Fprintf(&b, "%s  - %s\n", indent, entry)
		lines[key.Line-1] = b.String()
		return []byte(strings.Join(lines, "")), true, nil
	}
	// A block list: the new line goes right after the last item, written
	// with the same indentation and dash.
	last := list.Content[len(list.Content)-1]
	if last.Kind != yaml.ScalarNode {
		return nil, false, fmt.Errorf("resources item at line %d is not a path", last.Line)
	}
	line := lines[last.Line-1]
	prefix := line[:min(last.Column-1, len(line))]
	if strings.TrimSpace(prefix) != "-" || last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil, false, fmt.Errorf("resources item at line %d: write one path per line as '- path'", last.Line)
	}
	newLine := prefix + entry + "\n"
	out := append(append(append([]string{}, lines[:last.Line]...), newLine), lines[last.Line:]...)
	return []byte(strings.Join(out, "")), true, nil
}

// same reports whether two resources entries name the same folder.
func same(a, b string) bool {
	clean := func(s string) string { return strings.TrimSuffix(path.Clean(strings.TrimSpace(s)), "/") }
	return clean(a) == clean(b)
}

// Source is the Flux source the cluster reads this repository through.
type Source struct {
	// Kind is GitRepository (default) or OCIRepository.
	Kind string
	// Name and Namespace default to flux-system, as flux bootstrap writes.
	Name, Namespace string
}

func (s Source) withDefaults() Source {
	if s.Kind == "" {
		s.Kind = "GitRepository"
	}
	if s.Name == "" {
		s.Name = "flux-system"
	}
	if s.Namespace == "" {
		s.Namespace = "flux-system"
	}
	return s
}

// Release names the HelmRelease Wrap writes for a chart.
type Release struct {
	// Name is the HelmRelease's name (and so the release's); default: the
	// folder's name.
	Name string
	// Namespace is where the HelmRelease lives and installs the chart;
	// empty leaves it to the parent kustomization.
	Namespace string
	// Environment picks the overlay (overlays/<environment>) of a
	// Kustomize base and overlays.
	Environment string
}

// Wrap returns the files kustomize needs to build the generated folder
// target (files are repository paths) from its parent kustomization:
// nothing when the folder already has a kustomization; for a Helm chart, a
// Flux HelmRelease that installs the chart from this repository (through
// src) and a kustomization.yaml listing it; for a Kustomize base with
// overlays, a kustomization.yaml listing the environment's overlay (or the
// base when there is none); for plain manifests, a kustomization.yaml
// listing them.
func Wrap(target string, files []workspace.File, src Source, rel Release) []workspace.File {
	target = strings.TrimSuffix(target, "/")
	chart := false
	var manifests []string
	kdirs := map[string]bool{}
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, target+"/")
		if !ok {
			continue
		}
		for _, name := range kustomize.FileNames {
			if rel == name {
				return nil
			}
		}
		if rel == "Chart.yaml" {
			chart = true
		}
		if dir, name := path.Split(rel); name == "kustomization.yaml" {
			kdirs[strings.TrimSuffix(dir, "/")] = true
		}
		if !strings.Contains(rel, "/") && (strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".yml")) {
			manifests = append(manifests, rel)
		}
	}
	if chart {
		src = src.withDefaults()
		if rel.Name == "" {
			rel.Name = path.Base(target)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "# Installs the chart in this folder, read from the repository by Flux.\n")
		fmt.Fprintf(&b, "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: %s\n", rel.Name)
		if rel.Namespace != "" {
			fmt.Fprintf(&b, "  namespace: %s\n", rel.Namespace)
		}
		fmt.Fprintf(&b, "spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ./%s\n      # A new chart revision on every commit, not only on version bumps.\n      reconcileStrategy: Revision\n", target)
		fmt.Fprintf(&b, "      sourceRef:\n        kind: %s\n        name: %s\n        namespace: %s\n", src.Kind, src.Name, src.Namespace)
		fmt.Fprintf(&b, "  install:\n    remediation:\n      retries: 3\n  upgrade:\n    remediation:\n      retries: 3\n")
		return []workspace.File{
			{Path: target + "/helmrelease.yaml", Content: b.Bytes()},
			{Path: target + "/kustomization.yaml", Content: kustomization([]string{"helmrelease.yaml"})},
		}
	}
	for _, dir := range []string{"overlays/" + rel.Environment, "base"} {
		if kdirs[dir] && (dir == "base" || rel.Environment != "") {
			return []workspace.File{{Path: target + "/kustomization.yaml", Content: kustomization([]string{dir})}}
		}
	}
	if len(manifests) == 0 {
		return nil
	}
	sort.Strings(manifests)
	return []workspace.File{{Path: target + "/kustomization.yaml", Content: kustomization(manifests)}}
}

func kustomization(resources []string) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	return b.Bytes()
}
