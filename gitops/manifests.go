package gitops

import (
	"errors"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/internal/lazyre"
	"github.com/stackgen/aiden/workspace"
)

// WithManifests adds to files, when they hold no generation config
// (workspace.ConfigPath), the repository's manifests that repository
// inference (package infer) reads to learn what the repository does:
// every YAML file with a top-level kind line and every Chart.yaml, found
// by workspace.Limits.Scan (best effort, within half of lim; what it
// misses is treated as absent). It searches only a real repository.
func WithManifests(lim workspace.Limits, root string, files []workspace.File) ([]workspace.File, error) {
	for _, f := range files {
		if f.Path == workspace.ConfigPath {
			return files, nil // the config says what the repository does
		}
	}
	if !workspace.IsRepository(root) {
		return files, nil
	}
	more, err := lim.Scan(root, files, manifestName, manifestContent)
	if err != nil {
		return nil, err
	}
	return withCharts(lim, root, append(slices.Clone(files), more...))
}

// withCharts adds to files the whole folder of each chart among them (its
// Chart.yaml read), so that the chart can be rendered: templates, helpers
// and values. Charts that do not fit in lim beside files are left as they
// are (inference then reads no objects of them).
func withCharts(lim workspace.Limits, root string, files []workspace.File) ([]workspace.File, error) {
	var charts []string
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			charts = append(charts, path.Dir(f.Path))
		}
	}
	if len(charts) > 0 {
		more, err := lim.More(root, files, nil, charts...)
		switch {
		case errors.Is(err, workspace.ErrLimit):
		case err != nil:
			return nil, err
		default:
			files = append(files, more...)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// topKind matches a top-level kind line.
var topKind = lazyre.New(`(?m)^kind:[ \t]*\S`)

func manifestName(rel string) bool {
	switch strings.ToLower(path.Ext(rel)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

func manifestContent(rel string, content []byte) bool {
	return path.Base(rel) == "Chart.yaml" || topKind.Match(content)
}

// LoadRepository reads, within lim, what repository inference reads of
// the repository at root: kustomization files, every YAML file with a
// top-level kind line, and every chart's folder (workspace.Limits.Scan
// and More: best effort; what does not fit is left out).
func LoadRepository(lim workspace.Limits, root string) ([]workspace.File, error) {
	files, err := lim.Scan(root, nil, manifestName, func(rel string, content []byte) bool {
		return isKustomizationName(path.Base(rel)) || manifestContent(rel, content)
	})
	if err != nil {
		return nil, err
	}
	return withCharts(lim, root, files)
}
