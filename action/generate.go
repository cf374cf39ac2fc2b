package action

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// Generate is the generate verb: a new app, a change to an app, or its
// replacement (generator.Request.Mode).
type Generate struct {
	// Engine runs the pipeline.
	Engine Generator
}

// Run generates req. What it returns may leave the process: the result is
// Redacted, the model's answers quoted by an error are redacted, and
// progress sees model answers stream redacted, line by line. progress may
// be nil.
func (a Generate) Run(ctx context.Context, req generator.Request, progress func(generator.Event)) (*generator.Result, error) {
	res, err := a.Engine.Generate(ctx, req, redactedProgress(progress))
	return Redacted(req, res), redactedErr(err)
}

// Place is where a generation lands on disk, read from the repository that
// holds the output folder.
type Place struct {
	// Root is the repository root (workspace.FindRoot); outside a
	// repository it may not exist yet.
	Root string
	// Target is the output folder, a slash path relative to Root.
	Target string
	// Environment is the one read from the output folder's path outside a
	// repository (clusters/<env>/...), else "".
	Environment string
	// Files is the workspace the format needs: the overlays and
	// Components for kustomize, the cluster's chart sources for helm.
	Files []workspace.File
}

// FindPlace finds the repository holding the folder output
// (workspace.FindRoot); an error says why no repository can hold it.
func FindPlace(output string) (Place, error) {
	root, target, err := workspace.FindRoot(output)
	if err != nil {
		return Place{}, err
	}
	p := Place{Root: root, Target: target}
	if !workspace.IsRepository(root) {
		// Outside a repository the root is close to the folder: read the
		// environment from the whole path, as it would be read from a
		// repository path (clusters/<env>/...).
		p.Environment = planner.PathEnvironment(filepath.ToSlash(filepath.Join(root, target)), "clusters")
	}
	return p, nil
}

// Load reads into p.Files what a generation of format needs from the
// repository, within the workspace limits, and in a repository without a
// generation config the manifests its conventions are inferred from.
func (p *Place) Load(format generator.Format) error {
	// Outside a repository the root (the folder's parent) may not exist
	// yet: then there is nothing to read.
	if _, err := os.Stat(p.Root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	files, err := gitops.LoadFor(workspace.DefaultLimits(), p.Root, p.Target, string(format))
	if err != nil {
		return err
	}
	// Without a generation config, what the repository does is inferred
	// from its manifests (package infer).
	if files, err = gitops.WithManifests(workspace.DefaultLimits(), p.Root, files); err != nil {
		return err
	}
	p.Files = files
	return nil
}

// Write puts a generation's files in place at p, in one transaction:
// everything inside the target folder, and nothing outside it but the
// registrations of the new folder: a kustomization file that lists it
// in its resources (its parent's, or an environment overlay's), and a
// file beside such a kustomization that it names as a patch (the app's
// values for that environment); and the app as one file, <target>.yaml
// (an Argo CD Application in an app-of-apps folder). deleted are repository paths the
// generation removes.
func (p Place) Write(files []workspace.File, deleted []string) error {
	root, target := p.Root, p.Target
	parent := path.Dir(target)
	registering := map[string]registration{}
	for _, f := range files {
		if workspace.Within(target, f.Path) || !kustomize.IsKustomization(f.Path) {
			continue
		}
		reg, ok := registers(f, target)
		if !ok {
			return fmt.Errorf("%s lies outside %s and does not list it", f.Path, target)
		}
		registering[path.Dir(f.Path)] = reg
	}
	var inside []workspace.File
	registered := map[string][]workspace.File{}
	for _, f := range files {
		dir := path.Dir(f.Path)
		reg, ok := registering[dir]
		switch {
		case workspace.Within(target, f.Path):
			inside = append(inside, f)
		case ok && (kustomize.IsKustomization(f.Path) || reg.patches[path.Base(f.Path)]):
			registered[dir] = append(registered[dir], f)
		case f.Path == target+".yaml":
			// The app as one file beside its folder's name: an Argo CD
			// Application in the folder an app-of-apps root syncs.
			registered[dir] = append(registered[dir], f)
		default:
			return fmt.Errorf("%s lies outside %s", f.Path, target)
		}
	}
	deleted = append([]string(nil), deleted...)
	// A root that does not exist yet (outside a repository) is created in
	// the same transaction, from its nearest existing folder.
	base, prefix, err := existing(root)
	if err != nil {
		return err
	}
	if prefix != "" {
		target = path.Join(prefix, target)
		inside = under(prefix, inside)
		for i, d := range deleted {
			deleted[i] = path.Join(prefix, d)
		}
	}
	changes := []workspace.Change{{Dir: target, Files: inside, Remove: deleted}}
	if len(registered) == 0 {
		registered[parent] = nil
	}
	for _, dir := range slices.Sorted(maps.Keys(registered)) {
		changes = append(changes, workspace.Change{Dir: path.Join(prefix, dir), Files: under(prefix, registered[dir])})
	}
	return workspace.WriteAll(base, changes...)
}

// registration is what a kustomization outside the target that lists it
// may bring beside it: the patch files it names.
type registration struct {
	patches map[string]bool
}

// registers reports whether the kustomization f lists the folder target
// among its resources, and returns the files of its folder it names as
// patches.
func registers(f workspace.File, target string) (registration, bool) {
	var k struct {
		Resources []string `yaml:"resources"`
		Patches   []struct {
			Path string `yaml:"path"`
		} `yaml:"patches"`
	}
	if yaml.Unmarshal(f.Content, &k) != nil {
		return registration{}, false
	}
	dir := path.Dir(f.Path)
	reg := registration{patches: map[string]bool{}}
	for _, p := range k.Patches {
		if p.Path != "" && !strings.Contains(p.Path, "/") {
			reg.patches[p.Path] = true
		}
	}
	for _, r := range k.Resources {
		if p := path.Join(dir, r); p == target || p == target+".yaml" {
			return reg, true
		}
	}
	return registration{}, false
}

// existing returns the nearest existing folder at or above dir, and dir's
// slash path relative to it ("" when dir exists).
func existing(dir string) (base, rel string, err error) {
	base = dir
	for {
		_, err := os.Stat(base)
		if err == nil {
			r, err := filepath.Rel(base, dir)
			if err != nil || r == "." {
				return base, "", err
			}
			return base, filepath.ToSlash(r), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(base) == base {
			return "", "", err
		}
		base = filepath.Dir(base)
	}
}

func under(prefix string, files []workspace.File) []workspace.File {
	out := make([]workspace.File, len(files))
	for i, f := range files {
		out[i] = workspace.File{Path: path.Join(prefix, f.Path), Content: f.Content}
	}
	return out
}
