package action

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/validators/policy"
	"github.com/stackgen/aiden/workspace"
)

// Validate is the validate verb: the checks generate runs, on existing
// files.
type Validate struct {
	// Engine runs the checks.
	Engine Validator
	// Check says which checks run and how; Repository and Named are
	// filled per group by Run.
	Check generator.Check
}

// Files validates files sent by a caller, with paths relative to one
// repository root; a path that is not clean or leaves the root is an error
// naming the file.
func (a Validate) Files(ctx context.Context, files []workspace.File) (validators.Report, error) {
	files = slices.Clone(files)
	for i := range files {
		p, err := workspace.Clean(files[i].Path)
		if err != nil {
			return validators.Report{}, fmt.Errorf("file %d: %w", i, err)
		}
		files[i].Path = p
	}
	return a.Engine.Validate(ctx, files, a.Check)
}

// Run validates the groups ReadPaths read, each against its repository,
// and returns one report, with the findings' files named as the user
// typed them, and the number of files checked.
func (a Validate) Run(ctx context.Context, groups []*Group) (validators.Report, int, error) {
	var reports []validators.Report
	checked := 0
	for _, g := range groups {
		checked += len(g.files)
		c := a.Check
		c.Repository, c.Named = g.repository, g.named
		rep, err := a.Engine.Validate(ctx, g.files, c)
		if err != nil {
			return validators.Report{}, 0, err
		}
		for i := range rep.Findings {
			rep.Findings[i].File = g.Display(rep.Findings[i].File)
		}
		rep.Findings = append(rep.Findings, g.Warnings()...)
		reports = append(reports, rep)
	}
	return merge(reports), checked, nil
}

// Files returns the group's files, paths relative to its root.
func (g *Group) Files() []workspace.File { return g.files }

// Config returns the generation config the group's root holds (Path empty
// when none).
func (g *Group) Config() workspace.File { return g.config }

// Root returns the group's repository root.
func (g *Group) Root() string { return g.root }

// Repository returns what the group's kustomizations read besides its
// files, the generation config and the policies: Check.Repository for it.
func (g *Group) Repository() []workspace.File { return g.repository }

// Named returns the files named one by one: Check.Named for it.
func (g *Group) Named() []string { return g.named }

// Warnings returns what a report of the group's check says besides the
// checks' findings: that the repository files its kustomizations refer to
// were not read (over the workspace limits), when they were not.
func (g *Group) Warnings() []validators.Finding {
	if g.skipped == nil {
		return nil
	}
	return []validators.Finding{{Rule: "kustomize", Severity: validators.SeverityWarning,
		Message: fmt.Sprintf("the repository files the kustomizations refer to were not read, so they were built from the files given alone: %v", g.skipped)}}
}

// Group is what validate checks in one repository, addressed from its
// root.
type Group struct {
	root       string           // resolved
	args       []typedPath      // the paths given in it
	files      []workspace.File // the files given, paths relative to root
	named      []string         // those named one by one, not found in a folder
	repository []workspace.File // what their kustomizations read besides them, and the generation config
	config     workspace.File   // the generation config, when root is the folder that holds one
	skipped    error            // why the repository was not read, if it was not
}

// typedPath is one path as typed and relative to its repository's root.
type typedPath struct{ typed, rel string }

// ReadPaths reads the files at paths and, for each repository that holds
// some (workspace.FindRoot), addresses them from its root and reads,
// within the workspace limits and never above the root, what their
// kustomizations refer to outside them: a shared base, a Component. So an
// overlay builds as it does in the repository. With conventions, the root
// is the folder holding the generation config at or above a path, when
// there is one (workspace.FindConfig), and the config is read into the
// group's repository files. With policies, the repository's policies
// folder (the config's policy.folder, else policies/) is read too.
func ReadPaths(paths []string, conventions, policies bool) ([]*Group, error) {
	groups, err := locateFiles(paths, conventions)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if err := g.readRepository(policies); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// ReadGroup is ReadPaths for files already read (an editor's open
// documents in place of the disk's): files and named are paths relative
// to root and config the generation config root holds (Path empty when
// none), as FindRoot returns them; the repository files are read as
// ReadPaths reads them. The group's Display is not for such a group: no
// path was typed.
func ReadGroup(root string, files []workspace.File, named []string, config workspace.File, policies bool) (*Group, error) {
	g := &Group{root: root, files: files, named: named, config: config}
	if err := g.readRepository(policies); err != nil {
		return nil, err
	}
	return g, nil
}

// readRepository reads the group's repository files: within the
// workspace limits (raised by what the files themselves hold) and never
// above the root, what their kustomizations refer to outside them, then
// the generation config and, with policies, the policies folder.
func (g *Group) readRepository(policies bool) error {
	lim := workspace.DefaultLimits()
	lim.MaxFiles += len(g.files)
	for _, f := range g.files {
		lim.MaxTotalBytes += int64(len(f.Content))
	}
	more, err := lim.Follow(g.root, g.files, kustomize.Refs(g.files), kustomize.Refs)
	switch {
	case errors.Is(err, workspace.ErrLimit):
		// Check the files alone; overlays that need more fail to build.
		g.skipped = err
	case err != nil:
		return fmt.Errorf("read the repository: %w", err)
	}
	g.repository = more
	if g.config.Path != "" {
		g.repository = append(g.repository, g.config)
	}
	if policies {
		pf, err := g.policyFiles()
		if err != nil {
			return err
		}
		g.repository = append(g.repository, pf...)
	}
	return nil
}

// policyFiles reads the repository's policies folder, the generation
// config's policy.folder or policies/, when it exists and the files given
// do not already hold it.
func (g *Group) policyFiles() ([]workspace.File, error) {
	cfg, err := policy.ReadConfig([]workspace.File{g.config})
	if err != nil {
		return nil, err
	}
	folder := path.Clean(strings.Trim(cmp.Or(cfg.Folder, workspace.PoliciesDir), "/"))
	dir := filepath.Join(g.root, filepath.FromSlash(folder))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil
	}
	given := map[string]bool{}
	for _, f := range g.files {
		given[f.Path] = true
	}
	files, err := validators.LoadPaths(dir)
	if err != nil {
		return nil, fmt.Errorf("read the policies: %w", err)
	}
	var out []workspace.File
	for _, f := range files {
		rel, err := filepath.Rel(g.root, filepath.FromSlash(f.Path))
		if err != nil {
			return nil, fmt.Errorf("read the policies: %w", err)
		}
		if rel = filepath.ToSlash(rel); !given[rel] {
			out = append(out, workspace.File{Path: rel, Content: f.Content})
		}
	}
	return out, nil
}

// locateFiles reads the files at paths, grouped by the root locate
// describes and addressed from it.
func locateFiles(paths []string, conventions bool) ([]*Group, error) {
	var groups []*Group
	byRoot := map[string]*Group{}
	for _, p := range paths {
		files, err := validators.LoadPaths(p)
		if err != nil {
			return nil, err
		}
		dir, name := p, ""
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			dir, name = filepath.Dir(p), filepath.Base(p)
		}
		root, rel, config, err := FindRoot(dir, conventions)
		if err != nil {
			return nil, fmt.Errorf("load paths: %w", err)
		}
		typed := filepath.ToSlash(filepath.Clean(p))
		if name != "" {
			rel = path.Join(rel, name)
		}
		named := name != ""
		g := byRoot[root]
		if g == nil {
			g = &Group{root: root, config: config}
			byRoot[root] = g
			groups = append(groups, g)
		}
		g.args = append(g.args, typedPath{typed: typed, rel: rel})
		if named {
			g.named = append(g.named, rel)
		}
		for _, f := range files {
			sub := strings.TrimPrefix(strings.TrimPrefix(f.Path, typed), "/")
			if typed == "." {
				sub = f.Path
			}
			g.files = append(g.files, workspace.File{Path: path.Join(rel, sub), Content: f.Content})
		}
	}
	return groups, nil
}

// FindRoot is workspace.FindRoot for the folder dir, except that with
// conventions the folder holding a generation config at or above dir is
// the root, and the config is returned (Path empty when there is none).
// The root is resolved; rel is dir relative to it.
func FindRoot(dir string, conventions bool) (root, rel string, config workspace.File, err error) {
	if conventions {
		croot, found, err := workspace.FindConfig(dir)
		if err != nil {
			return "", "", workspace.File{}, err
		}
		if found {
			b, err := os.ReadFile(filepath.Join(croot, filepath.FromSlash(workspace.ConfigPath)))
			if err != nil {
				return "", "", workspace.File{}, fmt.Errorf("read the generation config: %w", err)
			}
			abs, err := filepath.Abs(dir)
			if err == nil {
				abs, err = filepath.EvalSymlinks(abs)
			}
			if err != nil {
				return "", "", workspace.File{}, err
			}
			r, err := filepath.Rel(croot, abs)
			if err != nil {
				return "", "", workspace.File{}, err
			}
			return croot, filepath.ToSlash(r), workspace.File{Path: workspace.ConfigPath, Content: b}, nil
		}
	}
	root, rel, err = workspace.FindRoot(dir)
	return root, rel, workspace.File{}, err
}

// ReadForRemote reads the files at paths for a server, which cannot read
// the repository around them. When conventions are
// on and every path lies under the same generation config, the files are
// addressed from the folder holding it and the returned group carries the
// config and maps the findings' files back as typed; otherwise the files
// keep their paths as typed and the group is nil.
func ReadForRemote(paths []string, conventions bool) ([]workspace.File, *Group, error) {
	if conventions {
		groups, err := locateFiles(paths, true)
		if err != nil {
			return nil, nil, err
		}
		if len(groups) == 1 && groups[0].config.Path != "" {
			return groups[0].files, groups[0], nil
		}
	}
	files, err := validators.LoadPaths(paths...)
	return files, nil, err
}

// Display names a path relative to the root the way the user would type
// it: under a path given, as that path was typed; elsewhere in the
// repository, absolute when the paths were typed so, else relative to the
// current folder.
func (g *Group) Display(p string) string {
	if p == "" {
		return p
	}
	for _, a := range g.args {
		if workspace.Within(a.rel, p) {
			if a.rel == "." {
				return path.Join(a.typed, p)
			}
			return a.typed + strings.TrimPrefix(p, a.rel)
		}
	}
	full := filepath.Join(g.root, filepath.FromSlash(p))
	if len(g.args) > 0 && filepath.IsAbs(g.args[0].typed) {
		return filepath.ToSlash(full)
	}
	if wd, err := os.Getwd(); err == nil {
		if wd, err = filepath.EvalSymlinks(wd); err == nil {
			if r, err := filepath.Rel(wd, full); err == nil {
				return filepath.ToSlash(r)
			}
		}
	}
	return filepath.ToSlash(full)
}

// merge joins the reports of several repositories, one check per name.
func merge(reports []validators.Report) validators.Report {
	if len(reports) == 1 {
		return reports[0]
	}
	var out validators.Report
	index := map[string]int{}
	for _, r := range reports {
		out.Findings = append(out.Findings, r.Findings...)
		for _, c := range r.Checks {
			i, ok := index[c.Name]
			if !ok {
				index[c.Name] = len(out.Checks)
				out.Checks = append(out.Checks, c)
				continue
			}
			m := &out.Checks[i]
			m.Checked += c.Checked
			m.Skipped += c.Skipped
			m.Detail += "; " + c.Detail
			switch {
			case c.Status == validators.CheckFailed || m.Status == validators.CheckFailed:
				m.Status = validators.CheckFailed
			case c.Status == validators.CheckPassed || m.Status == validators.CheckPassed:
				m.Status = validators.CheckPassed
			}
		}
	}
	return out
}
