package gitops

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// BootstrapSource is the name `flux bootstrap` gives the GitRepository of
// the repository it bootstraps from; a Flux Kustomization whose sourceRef
// names it applies this repository.
const BootstrapSource = "flux-system"

// Cluster is a folder of the repository that Flux applies to one cluster
// as a root, with what Flux applies from it.
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

// Clusters returns the clusters of the repository whose files (repository
// paths, as LoadClusters reads them) are given, sorted by folder, and
// what Flux applies from each.
//
// Only Flux Kustomizations (kustomize.toolkit.fluxcd.io) that apply this
// repository count: their sourceRef is the GitRepository named
// flux-system (BootstrapSource: the one `flux bootstrap` makes of the
// repository it bootstraps from), or an ExternalArtifact (followed into
// the repository folders an ArtifactGenerator copies). One without a
// sourceRef is a patch, not an object; one reading another GitRepository
// (even one with this repository's URL, which may name another branch)
// applies another tree's path and is not followed.
//
// Each such Kustomization names a candidate folder: the folder its file
// is in, or, for a Kustomization whose spec.path holds its own file (the
// bootstrap's flux-system Kustomization), the folder of its path; one in
// a file at the repository's top that is not such a bootstrap names none
// (what applies it is unknown, and its folder is the whole tree). A
// candidate applies another when the walk from it (what Flux applies from
// the folder, as FindHelmRepository walks it) applies one of the other's
// Kustomization files. A cluster is a candidate that no candidate it does
// not apply back applies; of candidates that apply each other the
// shallowest is the cluster. So clusters/production, holding
// apps.yaml (path ./apps/production), is a cluster, while
// apps/production, holding web.yaml (path ./apps/web/overlays/production)
// that clusters/production's walk applies, is not.
func Clusters(files []workspace.File) []Cluster {
	idx := newIndex(files, "")
	// The candidate folders and the Kustomization files that name each.
	byFile := map[string]string{}
	var candidates []string
	for _, f := range idx.files {
		for _, o := range idx.objects[f] {
			dir, bootstrap := path.Dir(f), false
			switch {
			case o.isFluxKustomization():
				if !ownSource(o, "") {
					continue
				}
				if p, ok := fluxPath(o.Spec.Path); ok && workspace.Within(p, f) {
					dir, bootstrap = p, true // it applies the folder that holds it
				}
			case o.isFlux("Kustomization") && o.Spec.SourceRef.Kind == "ExternalArtifact":
			default:
				continue
			}
			if dir == "." && !bootstrap {
				continue // what applies it is unknown; its folder is the whole tree
			}
			if _, ok := byFile[f]; !ok || len(dir) < len(byFile[f]) {
				byFile[f] = dir
			}
		}
	}
	for _, d := range byFile {
		if !slices.Contains(candidates, d) {
			candidates = append(candidates, d)
		}
	}
	sort.Slice(candidates, func(i, j int) bool {
		di, dj := depth(candidates[i]), depth(candidates[j])
		if di != dj {
			return di < dj
		}
		return candidates[i] < candidates[j]
	})
	// What each candidate's walk applies and enters.
	type reach struct {
		applies        map[string]bool // candidates whose Kustomization files it applies
		folders, files []string
	}
	reaches := map[string]*reach{}
	for _, d := range candidates {
		r := &reach{applies: map[string]bool{}}
		applied, entered := idx.reach(d)
		isFile := map[string]bool{}
		for _, a := range applied {
			isFile[a.file] = true
			if c, ok := byFile[a.file]; ok && c != d {
				r.applies[c] = true
			}
		}
		for _, p := range entered {
			if isFile[p] {
				r.files = append(r.files, p)
			} else {
				r.folders = append(r.folders, p)
			}
		}
		reaches[d] = r
	}
	var out []Cluster
	for _, d := range candidates {
		root := true
		for _, o := range candidates {
			if o != d && reaches[o].applies[d] && !reaches[d].applies[o] {
				root = false // applied by another it does not apply
				break
			}
		}
		// Of candidates applying each other, the first (shallowest) is
		// the cluster.
		if !root || slices.ContainsFunc(out, func(c Cluster) bool { return reaches[c.Folder].applies[d] }) {
			continue
		}
		out = append(out, Cluster{Folder: d, folders: reaches[d].folders, files: reaches[d].files})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Folder < out[j].Folder })
	return out
}

func depth(dir string) int {
	if dir == "." {
		return 0
	}
	return strings.Count(dir, "/") + 1
}

// ownSource reports whether the GitRepository a Flux Kustomization
// reads is this repository: the one named flux-system (BootstrapSource).
// A GitRepository is not matched by its URL: flux2-multi-tenancy's tenant
// GitRepository dev-team has this repository's URL but another branch,
// and applies what that branch holds, not this tree.
func ownSource(o object, _ string) bool {
	r := o.Spec.SourceRef
	return r.Kind == "GitRepository" && r.Name == BootstrapSource
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
