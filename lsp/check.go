package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// unit is what one document's check covers, addressed from the root of
// the repository that holds it, as `aiden validate` addresses it: its
// files (open documents' texts in place of the disk's), the file checked
// alone when the unit is one file, and the repository files read besides
// them (action.ReadGroup).
type unit struct {
	*action.Group
}

// locate finds what to check for the document at p: the chart folder it
// lies in (a Chart.yaml at or above it, below the root), the kustomization
// folder or Terraform module it belongs to, or else the file alone. The
// root is the folder holding the generation config at or above it, else
// the repository root (action.FindRoot, as `aiden validate` finds it),
// and the repository files are read as `aiden validate` reads them. open
// holds the open documents' texts by absolute path.
func locate(p string, open map[string]string) (*unit, error) {
	dir := filepath.Dir(p)
	root, _, config, err := action.FindRoot(dir, true)
	if err != nil {
		return nil, err
	}
	absDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("find the repository of %s: %w", p, err)
	}
	base := filepath.Base(p)
	unitDir := unitFolder(root, absDir, base)
	resolved := filepath.Join(absDir, base)
	var files []workspace.File
	single := unitDir == ""
	if !single {
		if files, err = validators.LoadPaths(unitDir); err != nil {
			return nil, err
		}
	} else {
		text, ok := open[resolved]
		if !ok {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			text = string(b)
		}
		files = []workspace.File{{Path: filepath.ToSlash(resolved), Content: []byte(text)}}
	}
	var checked []workspace.File
	seen := map[string]bool{}
	for _, f := range files {
		abs := filepath.FromSlash(f.Path)
		r, err := filepath.Rel(root, abs)
		if err != nil {
			return nil, fmt.Errorf("locate %s: %w", f.Path, err)
		}
		if text, ok := open[abs]; ok {
			f.Content = []byte(text)
		}
		f.Path = filepath.ToSlash(r)
		seen[f.Path] = true
		checked = append(checked, f)
	}
	// An open document not yet saved in the unit's folder is checked too.
	if r, err := filepath.Rel(root, resolved); err == nil && !seen[filepath.ToSlash(r)] {
		if text, ok := open[resolved]; ok {
			checked = append(checked, workspace.File{Path: filepath.ToSlash(r), Content: []byte(text)})
		}
	}
	var named []string
	if single {
		named = []string{checked[0].Path}
	}
	g, err := action.ReadGroup(root, checked, named, config, true)
	if err != nil {
		return nil, err
	}
	return &unit{Group: g}, nil
}

// unitFolder returns the folder checked as one unit with the file base in
// dir: the chart it is part of (up to the repository root), dir for a
// kustomization, a Terraform file or a file beside a kustomization, and
// "" for a file checked alone.
func unitFolder(root, dir, base string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if exists(filepath.Join(d, "Chart.yaml")) {
			return d
		}
		if d == root || filepath.Dir(d) == d {
			break
		}
	}
	if strings.HasSuffix(base, ".tf") || kustomize.IsKustomization(base) {
		return dir
	}
	for _, k := range kustomize.FileNames {
		if exists(filepath.Join(dir, k)) {
			return dir
		}
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// validate runs the checks of `aiden validate` on the unit: the one call
// into the engine, so that it can become the CLI's shared validate action.
func (s *Server) validate(ctx context.Context, u *unit) (validators.Report, error) {
	rep, err := s.engine.Validate(ctx, u.Files(), generator.Check{
		PolicyCheck: s.opts.PolicyCheck,
		Repository:  u.Repository(),
		Named:       u.Named(),
	})
	if err != nil {
		return validators.Report{}, err
	}
	rep.Findings = append(rep.Findings, u.Warnings()...)
	return rep, nil
}
