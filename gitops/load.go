package gitops

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// Folders of a GitOps repository that Load reads Kustomize files from.
const (
	// ClustersDir holds one folder per cluster (environment) and the
	// overlays applied there.
	ClustersDir = "clusters"
	// ComponentsDir holds the repository's opt-in Kustomize Components.
	ComponentsDir = "components"
)

// Load reads what a generation of target in the repository at root needs:
// the files workspace.Limits.Load reads, and the Kustomize files that let
// generated overlays follow the repository and build in it. Those are the
// kustomization files under clusters/ (the environments' overlays, which
// say which Components each environment uses), the components/ folder,
// the Components the overlays list wherever they are, and what those
// Components and the files already at target refer to, transitively.
// Everything is read within lim and confined to root; a reference leading
// above the root is not followed (the kustomize check reports it).
//
// Only what workspace.Limits.Load reads must fit in lim. The rest is
// context: when a repository's overlays and Components do not fit beside
// it, Load keeps what it has and stops reading them, so a generation in a
// very large repository still runs (an overlay that refers to a file not
// read then gets a kustomize finding naming it).
func Load(lim workspace.Limits, root, target string) ([]workspace.File, error) {
	files, err := lim.Load(root, target)
	if err != nil {
		return nil, err
	}
	return withOverlays(lim, root, target, files)
}

// withOverlays adds to base, what workspace.Limits.Load read, the
// Kustomize context Load describes.
func withOverlays(lim workspace.Limits, root, target string, base []workspace.File) ([]workspace.File, error) {
	if !workspace.IsRepository(root) {
		return base, nil // outside a repository there is no context to read
	}
	files := slices.Clone(base)
	overlays, err := lim.More(root, files, kustomize.IsKustomization, ClustersDir)
	if err != nil {
		return withoutContext(base, err)
	}
	files = append(files, overlays...)
	components, err := lim.More(root, files, nil, ComponentsDir)
	if err != nil {
		return withoutContext(base, err)
	}
	files = append(files, components...)

	t, err := workspace.Clean(target)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var start []workspace.File
	for _, f := range files {
		if workspace.Within(t, f.Path) || workspace.Within(ComponentsDir, f.Path) {
			start = append(start, f)
		}
	}
	entries := append(kustomize.ComponentRefs(files), kustomize.Refs(start)...)
	more, err := lim.Follow(root, files, entries, kustomize.Refs)
	if err != nil {
		return withoutContext(base, err)
	}
	files = append(files, more...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// withoutContext returns base when err says only that the context read
// beside it went over the limits, and err otherwise.
func withoutContext(base []workspace.File, err error) ([]workspace.File, error) {
	if errors.Is(err, workspace.ErrLimit) {
		return base, nil
	}
	return nil, err
}

// LoadFor reads what a generation of target in format needs: Load for
// kustomize, LoadSources for helm, workspace.Limits.Load for terraform, and
// both Load and LoadSources when the format is not known yet (the
// generation config may choose it from the path).
func LoadFor(lim workspace.Limits, root, target, format string) ([]workspace.File, error) {
	switch format {
	case "kustomize":
		return Load(lim, root, target)
	case "helm":
		return LoadSources(lim, root, target)
	case "terraform":
		return lim.Load(root, target)
	}
	base, err := lim.Load(root, target)
	if err != nil {
		return nil, err
	}
	files, err := withOverlays(lim, root, target, base)
	if err != nil {
		return nil, err
	}
	sources, err := withSources(lim, root, base)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.Path] = true
	}
	for _, f := range sources {
		if !seen[f.Path] {
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}
