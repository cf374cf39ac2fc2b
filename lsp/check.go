package lsp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/validators/policy"
	"github.com/stackgen/aiden/workspace"
)

// unit is what one document's check covers, addressed from the root of
// the repository that holds it, as `aiden validate` addresses it.
type unit struct {
	root       string           // absolute, resolved
	dir        string           // the unit's folder relative to root
	files      []workspace.File // checked, open documents' texts in place of the disk's
	named      []string         // the file checked alone, when the unit is one file
	repository []workspace.File // read, not checked: what kustomizations refer to, the config, policies
	config     []byte           // the generation config, when root holds one
	skipped    error            // why the repository was not read, when it was not
}

// locate finds what to check for the document at p: the chart folder it
// lies in (a Chart.yaml at or above it, below the root), the kustomization
// folder or Terraform module it belongs to, or else the file alone. The
// root is the folder holding the generation config at or above it, else
// the repository root (workspace.FindRoot). open holds the open documents'
// texts by absolute path.
func locate(p string, open map[string]string) (*unit, error) {
	dir := filepath.Dir(p)
	root, config, err := findRoot(dir)
	if err != nil {
		return nil, err
	}
	absDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("find the repository of %s: %w", p, err)
	}
	u := &unit{root: root, config: config}
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
		unitDir = absDir
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
	rel, err := filepath.Rel(root, unitDir)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", p, err)
	}
	u.dir = filepath.ToSlash(rel)
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
		u.files = append(u.files, f)
	}
	// An open document not yet saved in the unit's folder is checked too.
	if r, err := filepath.Rel(root, resolved); err == nil && !seen[filepath.ToSlash(r)] {
		if text, ok := open[resolved]; ok {
			u.files = append(u.files, workspace.File{Path: filepath.ToSlash(r), Content: []byte(text)})
		}
	}
	if single {
		u.named = []string{u.files[0].Path}
	}
	if err := u.readRepository(); err != nil {
		return nil, err
	}
	return u, nil
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

// readRepository reads, within the workspace limits and never above the
// root, what the unit's kustomizations refer to outside it, the
// generation config and the policies folder: cmd/aiden's locate, for one
// unit.
func (u *unit) readRepository() error {
	lim := workspace.DefaultLimits()
	lim.MaxFiles += len(u.files)
	for _, f := range u.files {
		lim.MaxTotalBytes += int64(len(f.Content))
	}
	more, err := lim.Follow(u.root, u.files, kustomize.Refs(u.files), kustomize.Refs)
	switch {
	case errors.Is(err, workspace.ErrLimit):
		u.skipped = err
	case err != nil:
		return fmt.Errorf("read the repository: %w", err)
	}
	u.repository = more
	var configFile []workspace.File
	if u.config != nil {
		configFile = []workspace.File{{Path: workspace.ConfigPath, Content: u.config}}
		u.repository = append(u.repository, configFile...)
	}
	cfg, err := policy.ReadConfig(configFile)
	if err != nil {
		return err
	}
	folder := path.Clean(strings.Trim(cmp.Or(cfg.Folder, workspace.PoliciesDir), "/"))
	dir := filepath.Join(u.root, filepath.FromSlash(folder))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil
	}
	given := map[string]bool{}
	for _, f := range u.files {
		given[f.Path] = true
	}
	files, err := validators.LoadPaths(dir)
	if err != nil {
		return fmt.Errorf("read the policies: %w", err)
	}
	for _, f := range files {
		rel, err := filepath.Rel(u.root, filepath.FromSlash(f.Path))
		if err != nil {
			return fmt.Errorf("read the policies: %w", err)
		}
		if rel = filepath.ToSlash(rel); !given[rel] {
			u.repository = append(u.repository, workspace.File{Path: rel, Content: f.Content})
		}
	}
	return nil
}

// findRoot returns the folder holding the generation config at or above
// dir, with the config, or else the repository root workspace.FindRoot
// finds, resolved.
func findRoot(dir string) (root string, config []byte, err error) {
	croot, found, err := workspace.FindConfig(dir)
	if err != nil {
		return "", nil, err
	}
	if found {
		b, err := os.ReadFile(filepath.Join(croot, filepath.FromSlash(workspace.ConfigPath)))
		if err != nil {
			return "", nil, fmt.Errorf("read the generation config: %w", err)
		}
		return croot, b, nil
	}
	root, _, err = workspace.FindRoot(dir)
	if err != nil {
		return "", nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	return root, nil, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// validate runs the checks of `aiden validate` on the unit: the one call
// into the engine, so that it can become the CLI's shared validate action.
func (s *Server) validate(ctx context.Context, u *unit) (validators.Report, error) {
	rep, err := s.engine.Validate(ctx, u.files, generator.Check{
		PolicyCheck: s.opts.PolicyCheck,
		Repository:  u.repository,
		Named:       u.named,
	})
	if err != nil {
		return validators.Report{}, err
	}
	if u.skipped != nil {
		rep.Findings = append(rep.Findings, validators.Finding{Rule: "kustomize", Severity: validators.SeverityWarning,
			Message: fmt.Sprintf("the repository files the kustomizations refer to were not read, so they were built from the files given alone: %v", u.skipped)})
	}
	return rep, nil
}
