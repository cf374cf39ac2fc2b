package review

import (
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/workspace"
)

// chains is the Kustomize graph of a tree: by folder (relative to the
// top), the folders its kustomization reads: its resources, components
// and bases, and the folders of its patch files.
type chains map[string]map[string]bool

// add reads the kustomizations among files (paths relative to root, a
// folder relative to the top).
func (c chains) add(root string, files []workspace.File) {
	have := map[string]bool{}
	for _, f := range files {
		have[join(root, f.Path)] = true
	}
	for _, f := range files {
		switch path.Base(f.Path) {
		case "kustomization.yaml", "kustomization.yml", "Kustomization":
		default:
			continue
		}
		var k struct {
			Resources  []string `yaml:"resources"`
			Components []string `yaml:"components"`
			Bases      []string `yaml:"bases"`
			Patches    []struct {
				Path string `yaml:"path"`
			} `yaml:"patches"`
			PatchesJSON6902 []struct {
				Path string `yaml:"path"`
			} `yaml:"patchesJson6902"`
			PatchesStrategicMerge []string `yaml:"patchesStrategicMerge"`
		}
		if yaml.Unmarshal(f.Content, &k) != nil {
			continue // the kustomize check reports it
		}
		entries := append(append(append([]string{}, k.Resources...), k.Components...), k.Bases...)
		for _, p := range k.Patches {
			entries = append(entries, p.Path)
		}
		for _, p := range k.PatchesJSON6902 {
			entries = append(entries, p.Path)
		}
		for _, p := range k.PatchesStrategicMerge {
			if !strings.ContainsAny(p, "\n:") { // else an inline patch
				entries = append(entries, p)
			}
		}
		dir := path.Dir(join(root, f.Path))
		for _, e := range entries {
			if e == "" || strings.Contains(e, "://") || path.IsAbs(e) {
				continue
			}
			to := path.Join(dir, e)
			if have[to] {
				to = path.Dir(to) // a file: its folder
			}
			if c[dir] == nil {
				c[dir] = map[string]bool{}
			}
			c[dir][to] = true
		}
	}
}

// related reports whether the files a and b are in one overlay chain of
// the graphs gs: in one folder, or one's folder holds the other's (a
// chart's values.yaml and its templates), or reads it, directly or
// through others.
func related(a, b string, gs ...chains) bool {
	da, db := path.Dir(a), path.Dir(b)
	return da == db || within(da, db) || within(db, da) || reaches(da, db, gs) || reaches(db, da, gs)
}

// within reports whether folder d is below folder top; nothing is
// counted below the repository's top itself, which holds every folder.
func within(top, d string) bool {
	return top != "." && strings.HasPrefix(d, top+"/")
}

// reaches reports whether folder from reads folder to in the graphs gs.
func reaches(from, to string, gs []chains) bool {
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, g := range gs {
			for next := range g[d] {
				if next == to {
					return true
				}
				if !seen[next] {
					seen[next] = true
					queue = append(queue, next)
				}
			}
		}
	}
	return false
}
