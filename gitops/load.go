package gitops

import (
	"fmt"
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
func Load(lim workspace.Limits, root, target string) ([]workspace.File, error) {
	files, err := lim.Load(root, target)
	if err != nil {
		return nil, err
	}
	overlays, err := lim.More(root, files, kustomize.IsKustomization, ClustersDir)
	if err != nil {
		return nil, err
	}
	files = append(files, overlays...)
	components, err := lim.More(root, files, nil, ComponentsDir)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	files = append(files, more...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}
