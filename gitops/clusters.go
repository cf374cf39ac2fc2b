package gitops

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// Cluster is a folder of the repository that holds what Flux applies to
// one cluster, with what that applies.
type Cluster struct {
	// Folder is the cluster's folder, from the repository's top.
	Folder string
	// folders and files are what Flux applies from Folder: the folders
	// the walk entered and the files it applied (FindHelmRepository's
	// walk).
	folders, files []string
}

// Deploys reports whether Flux applies the folder dir (a repository path)
// to the cluster: the walk from the cluster's folder enters dir or a
// folder above it, or applies a file directly in dir.
func (c Cluster) Deploys(dir string) bool {
	for _, p := range c.folders {
		if workspace.Within(p, dir) {
			return true
		}
	}
	for _, f := range c.files {
		if path.Dir(f) == dir {
			return true
		}
	}
	return false
}

// Clusters returns the cluster folders among files (repository paths, as
// LoadSources reads them) and what Flux applies from each, sorted by
// folder. A cluster folder is one that holds a Flux Kustomization
// (kustomize.toolkit.fluxcd.io) applying this repository (its source a
// GitRepository, unnamed, or an ExternalArtifact): the folder of its
// file, or, below clusters/<name>, environments/<name> or envs/<name>,
// that folder (flux bootstrap keeps clusters/<name>/flux-system). A folder
// below another cluster folder is part of it; a Kustomization at the
// repository's top names no cluster. What a cluster applies is what Flux
// applies from its folder, as FindHelmRepository walks it: through
// kustomization.yaml resources and components, the spec.path of the Flux
// Kustomizations met (an ExternalArtifact's through the ArtifactGenerator
// among files that makes it), every manifest below a folder without a
// kustomization.yaml.
func Clusters(files []workspace.File) []Cluster {
	idx := newIndex(files, "")
	var folders []string
	for _, f := range idx.files {
		for _, o := range idx.objects[f] {
			if !o.isFluxKustomization() && !(o.isFlux("Kustomization") && o.Spec.SourceRef.Kind == "ExternalArtifact") {
				continue
			}
			if d := clusterFolder(path.Dir(f)); d != "." {
				folders = append(folders, d)
			}
			break
		}
	}
	sort.Strings(folders)
	var out []Cluster
	for _, d := range folders {
		if slices.ContainsFunc(out, func(c Cluster) bool { return workspace.Within(c.Folder, d) }) {
			continue // the same folder, or one below it
		}
		out = append(out, Cluster{Folder: d})
	}
	for i := range out {
		applied, entered := idx.reach(out[i].Folder)
		isFile := map[string]bool{}
		for _, a := range applied {
			isFile[a.file] = true
		}
		for _, p := range entered {
			if isFile[p] {
				out[i].files = append(out[i].files, p)
			} else {
				out[i].folders = append(out[i].folders, p)
			}
		}
	}
	return out
}

// clusterFolder returns the cluster folder of a folder holding a Flux
// Kustomization: clusters/<name> (environments/<name>, envs/<name>) on
// its way, else the folder itself.
func clusterFolder(dir string) string {
	parts := strings.Split(dir, "/")
	for i := 0; i+1 < len(parts); i++ {
		switch parts[i] {
		case ClustersDir, "environments", "envs":
			return strings.Join(parts[:i+2], "/")
		}
	}
	return dir
}

// LoadClusters reads the Flux files of the repository at root (those
// LoadSources searches for: kustomization files, Flux Kustomizations,
// HelmRepositories, ArtifactGenerators; best effort within half of lim)
// and returns its Clusters. It searches only a real repository
// (workspace.IsRepository); none outside one.
func LoadClusters(lim workspace.Limits, root string) ([]Cluster, error) {
	files, err := withSources(lim, root, nil)
	if err != nil {
		return nil, err
	}
	return Clusters(files), nil
}
