// Package review judges a change to a GitOps repository as a platform
// engineer would before it merges: it renders every chart, Kustomize
// overlay and manifest folder at a base commit and at the work tree,
// and reports what the clusters would receive (object by object, field
// by field), the findings the change adds and fixes, its effect on
// requested capacity and estimated cost, and the changes that commonly
// break production. It drives git through its CLI and aiden's checks
// through the engine; it knows nothing of CI systems or output formats
// beyond Markdown.
package review

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/schema"
	"github.com/stackgen/aiden/workspace"
)

// Engine is what Run needs of aiden's engine: the validate checks with
// the render they read. *generator.Engine is one.
type Engine interface {
	ValidateRendered(ctx context.Context, files []workspace.File, c generator.Check) (validators.Rendered, validators.Report, error)
}

// Options say what Run reviews.
type Options struct {
	// Engine runs the checks.
	Engine Engine
	// Dir is a folder in the repository's git work tree; default the
	// folder of the first path, else the current folder.
	Dir string
	// Base is the git revision to compare with; empty means the merge
	// base of HEAD with the default branch.
	Base string
	// Paths limit the review to these files or folders (relative to the
	// current folder, or absolute), as aiden validate reads them; none
	// means the whole work tree.
	Paths []string
	// Check says which checks run (policy, conventions, Kubernetes
	// version, schema locations); Repository and Named are filled by Run.
	Check generator.Check

	releases *releaseRenderer // set by Run
}

// Review is the outcome of a review.
type Review struct {
	// Base is the base as given (or "merge base with origin/main").
	Base string `json:"base"`
	// BaseCommit is the commit the base resolved to.
	BaseCommit string `json:"baseCommit"`
	// ChangedFiles are the files under the paths reviewed that differ
	// between the base and the work tree, relative to the repository's
	// top.
	ChangedFiles []string `json:"changedFiles"`
	// Units are the units whose rendered objects differ, sorted by
	// environment and path.
	Units []UnitDiff `json:"units"`
	// Findings compares the checks' findings at base and head.
	Findings FindingsDiff `json:"findings"`
	// Risks are the changes that commonly break production.
	Risks []validators.Finding `json:"risks"`
	// Capacity is the change in requested capacity and estimated cost,
	// per environment and app.
	Capacity []CapacityChange `json:"capacity"`
	// Budgets are the budgets the head's estimate exceeds.
	Budgets []validators.Finding `json:"budgets"`
	// Currency is the symbol amounts are in.
	Currency string `json:"currency"`
	// Prices are the unit prices the estimate used.
	Prices genconfig.Prices `json:"prices"`
	// Checks are the checks that ran at the head.
	Checks []validators.Check `json:"checks"`
}

// Gate returns the findings a --fail-on gate reads: the new ones, the
// risks and the budgets exceeded; findings already at the base do not
// fail a change.
func (r *Review) Gate() []validators.Finding {
	out := append([]validators.Finding{}, r.Findings.New...)
	out = append(out, r.Risks...)
	return append(out, r.Budgets...)
}

// side is one tree rendered and checked.
type side struct {
	units    map[unitKey]map[string]*object
	findings []validators.Finding
	checks   []validators.Check
	config   *genconfig.Config
	// configFile is the generation config's path relative to the top.
	configFile string
	charts     map[string][]byte // Chart.yaml by chart folder (top-relative)
	chains     chains            // the kustomizations' graph
}

// Run reviews the work tree against the base.
func Run(ctx context.Context, opts Options) (*Review, error) {
	r, err := openRepo(ctx, repoDir(opts))
	if err != nil {
		return nil, err
	}
	commit, name, err := r.resolve(ctx, opts.Base)
	if err != nil {
		return nil, err
	}
	headFiles, untracked, sparse, err := r.workTree(ctx)
	if err != nil {
		return nil, err
	}
	changed, err := r.changed(ctx, commit, untracked)
	if err != nil {
		return nil, err
	}
	rels, err := scope(r.top, opts.Paths)
	if err != nil {
		return nil, err
	}
	for _, rel := range rels {
		if rel == "." {
			continue
		}
		_, statErr := os.Stat(filepath.Join(r.top, filepath.FromSlash(rel)))
		listed := slices.ContainsFunc(headFiles, func(f string) bool { return workspace.Within(rel, f) })
		if statErr == nil && listed {
			continue
		}
		if _, gerr := git(ctx, r.top, "cat-file", "-e", commit+":"+rel); gerr == nil {
			continue // at the base: the change deletes it, or stops tracking it
		}
		if statErr != nil {
			return nil, fmt.Errorf("path %s is neither in the work tree nor at the base", rel)
		}
		if empty, _ := emptyDir(filepath.Join(r.top, filepath.FromSlash(rel))); empty {
			return nil, fmt.Errorf("path %s is an empty folder: git lists no file in it", rel)
		}
		return nil, fmt.Errorf("path %s is ignored by git or is a symbolic link: review reads only the files git lists", rel)
	}
	// Both sides are read from trees of the files git lists, written at
	// once: the base's commit, and the work tree's tracked and not
	// ignored files.
	var tmp string
	var tmpErr error
	written := make(chan struct{})
	go func() {
		defer close(written)
		tmp, tmpErr = tree("the base", func(dir string) error { return r.materialize(ctx, commit, dir) })
	}()
	headTree, headTreeErr := tree("the work tree", func(dir string) error { return r.materializeWorkTree(ctx, headFiles, sparse, dir) })
	<-written
	for _, d := range []string{tmp, headTree} {
		if d != "" {
			defer os.RemoveAll(d)
		}
	}
	if tmpErr != nil {
		return nil, tmpErr
	}
	if headTreeErr != nil {
		return nil, headTreeErr
	}
	kube := opts.Check.KubernetesVersion
	if kube == "" {
		if kube, err = schema.Version(); err != nil {
			return nil, err
		}
	}
	helm, err := helmchart.New(helmchart.Options{KubeVersion: kube})
	if err != nil {
		return nil, fmt.Errorf("create chart renderer: %w", err)
	}
	opts.releases = &releaseRenderer{helm: helm}
	// Both sides render and check at once: the engine is safe for
	// concurrent use, and the trees are apart.
	var base *side
	var baseErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		base, baseErr = load(ctx, opts, tmp, rels)
	}()
	head, headErr := load(ctx, opts, headTree, rels)
	<-done
	if baseErr != nil {
		return nil, fmt.Errorf("review the base %s: %w", name, baseErr)
	}
	if headErr != nil {
		return nil, fmt.Errorf("review the work tree: %w", headErr)
	}
	out := &Review{Base: name, BaseCommit: commit, ChangedFiles: inScope(changed, rels), Checks: head.checks}
	all := map[unitKey]bool{}
	for k := range base.units {
		all[k] = true
	}
	for k := range head.units {
		all[k] = true
	}
	out.Units = []UnitDiff{}
	for _, k := range sortedUnits(all) {
		if objs := diffUnit(base.units[k], head.units[k]); len(objs) > 0 {
			out.Units = append(out.Units, UnitDiff{Environment: environment(k.path), Kind: k.kind, Path: k.path, Release: k.release, Chart: k.chart, Objects: objs})
		}
	}
	sort.SliceStable(out.Units, func(i, j int) bool { return out.Units[i].Environment < out.Units[j].Environment })
	out.Findings = diffFindings(base.findings, head.findings, func(a, b string) bool { return related(a, b, base.chains, head.chains) })
	out.Risks = withoutRepeats(risks(base, head), out.Findings.New)
	prices := genconfig.DefaultPrices
	var budgets []genconfig.Budget
	if head.config != nil {
		prices, budgets = head.config.ReviewPrices(), head.config.Review.Budgets
	}
	out.Currency, out.Prices = prices.Currency, prices
	out.Capacity = capacityChanges(base, head, prices)
	out.Budgets = overBudget(base, head, prices, budgets)
	return out, nil
}

// tree makes a temporary folder for one side (what, in errors), fills it
// with write (whose errors say what failed) and marks it as a repository
// of its own to the path resolution validate uses (workspace.FindRoot),
// which then never reads the folders above it. The caller removes the
// folder.
func tree(what string, write func(dir string) error) (string, error) {
	dir, err := os.MkdirTemp("", "aiden-review-")
	if err != nil {
		return "", fmt.Errorf("materialize %s: %w", what, err)
	}
	if err := write(dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ".git"), nil, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("materialize %s: %w", what, err)
	}
	return dir, nil
}

// repoDir is the folder whose repository Run reviews: Dir, else the
// nearest existing folder of the first path (a path may be a file, or a
// folder the change deletes), else the current folder.
func repoDir(opts Options) string {
	if opts.Dir != "" {
		return opts.Dir
	}
	if len(opts.Paths) == 0 {
		return "."
	}
	dir := opts.Paths[0]
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

// scope turns the paths given into paths relative to the top; none is
// the top itself.
func scope(top string, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return []string{"."}, nil
	}
	var out []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("path %s: %w", p, err)
		}
		if resolved, err := filepath.EvalSymlinks(abs); err == nil {
			abs = resolved
		} else if resolved, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
			abs = filepath.Join(resolved, filepath.Base(abs)) // deleted by the change
		}
		rel, err := filepath.Rel(top, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("path %s is outside the git work tree %s", p, top)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}

// load renders and checks the paths rels in the tree at dir; a path the
// tree does not hold is left out (the change adds or deletes it).
func load(ctx context.Context, opts Options, dir string, rels []string) (*side, error) {
	s := &side{units: map[unitKey]map[string]*object{}, charts: map[string][]byte{}, chains: chains{}}
	var paths []string
	for _, rel := range rels {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue // added or deleted by the change: absent on this side
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return s, nil
	}
	groups, err := action.ReadPaths(paths, !opts.Check.SkipConventions, opts.Check.PolicyCheck)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		root, err := filepath.Rel(dir, g.Root())
		if err != nil {
			return nil, err
		}
		root = filepath.ToSlash(root)
		files := g.Files()
		if len(files) == 0 {
			continue
		}
		s.chains.add(root, append(append([]workspace.File{}, files...), g.Repository()...))
		c := opts.Check
		c.Repository, c.Named = g.Repository(), g.Named()
		rendered, rep, err := opts.Engine.ValidateRendered(ctx, files, c)
		if err != nil {
			return nil, err
		}
		for _, f := range rep.Findings {
			if f.File != "" {
				f.File = join(root, f.File)
			}
			s.findings = append(s.findings, f)
		}
		s.checks = append(s.checks, rep.Checks...)
		us := units(rendered, root)
		releases, installed, err := opts.releases.helmReleases(ctx, us, append(append([]workspace.File{}, files...), g.Repository()...), root)
		if err != nil {
			return nil, err
		}
		for k, v := range us {
			if k.kind == UnitChart && installed[k.path] {
				continue // what clusters receive is the releases' render
			}
			s.units[k] = v
		}
		for k, v := range releases {
			s.units[k] = v
		}
		for _, f := range files {
			if path.Base(f.Path) == "Chart.yaml" {
				s.charts[join(root, path.Dir(f.Path))] = f.Content
			}
		}
		if s.config == nil && g.Config().Path != "" {
			cfg, err := genconfig.Parse(g.Config().Path, g.Config().Content)
			if err != nil {
				return nil, err
			}
			s.config, s.configFile = cfg, join(root, g.Config().Path)
		}
	}
	return s, nil
}

// withoutRepeats drops the unpinned-image risks the policy check's
// image-tag rule already reports as new, so one problem is said once.
func withoutRepeats(risks, found []validators.Finding) []validators.Finding {
	said := map[[2]string]bool{}
	for _, f := range found {
		if f.Rule == "image-tag" {
			said[[2]string{f.Resource, f.Path}] = true
		}
	}
	out := []validators.Finding{}
	for _, r := range risks {
		if r.Rule == RuleUnpinned && said[[2]string{r.Resource, r.Path}] {
			continue
		}
		out = append(out, r)
	}
	return out
}

// inScope keeps the files under the paths reviewed.
func inScope(files, rels []string) []string {
	out := []string{}
	for _, f := range files {
		for _, rel := range rels {
			if workspace.Within(rel, f) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// emptyDir reports whether p is a folder holding nothing.
func emptyDir(p string) (bool, error) {
	fi, err := os.Lstat(p)
	if err != nil || !fi.IsDir() {
		return false, err
	}
	entries, err := os.ReadDir(p)
	return err == nil && len(entries) == 0, err
}
