package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/validators/policy"
	"github.com/stackgen/aiden/workspace"
)

type validateFlags struct {
	output      string
	failOn      string
	policyCheck bool
	allKyverno  bool
	conventions bool
	server      string
	k8sVersion  string
	schemaLocs  []string
	// requireSchemas is --fail-on-missing-schema (schemas.go).
	requireSchemas bool
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Render and schema-validate chart folders, Kustomize folders and manifest files",
		Long: `Validate runs the checks that generate runs on existing files: Helm chart
folders are rendered and linted, Kustomize overlays are built, Terraform modules
are checked, and every Kubernetes object is validated in strict mode against the
schemas embedded in aiden. An overlay is built over the repository that holds it:
the bases and Components it refers to outside the paths given are read from
there, never from above its root. When a .stackgen/generation-config.yaml lies
at or above the paths, the folder that holds .stackgen/ is the repository's
root, and the files are also checked against the config's conventions (names,
labels, annotations, namespaces), app folder by app folder. It is meant as a
pre-merge gate: the exit code is 1 when findings at or above --fail-on remain.`,
		Example: `  aiden validate clusters/production/apps/redis
  aiden validate deploy/ manifests/service.yaml --output json
  aiden validate --conventions=false clusters/production/infrastructure`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd.Context(), f, args, stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, json, sarif (2.1.0) or junit")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when findings at or above this severity remain: info, warning, error, or none")
	fl.BoolVar(&f.policyCheck, "policy-check", true, "run policy checks (--policy-check=false to skip them)")
	fl.BoolVar(&f.conventions, "conventions", true, "check the files against the conventions of the .stackgen/generation-config.yaml at or above them")
	fl.BoolVar(&f.allKyverno, "all-kyverno", false, "with --policy-check, apply every Kyverno policy in policies/, not only those annotated stackgen.io/ai-enforce: \"true\"")
	fl.StringVar(&f.server, "server", "", "URL of an aiden server to call instead of running in-process")
	fl.StringVar(&f.k8sVersion, "kubernetes-version", "", "Kubernetes version to validate against (default: the embedded schemas' version)")
	fl.StringSliceVar(&f.schemaLocs, "schema-location", nil, "extra kubeconform schema location for CRDs (repeatable)")
	fl.BoolVar(&f.requireSchemas, "fail-on-missing-schema", false, "make an object whose kind has no schema (built-in, shipped CRD catalogue, repository CRDs, schema locations) an error; also the generation config's failOnMissingSchema: true")
	return cmd
}

func runValidate(ctx context.Context, f validateFlags, paths []string, stdout io.Writer) error {
	switch f.output {
	case "text", "json", "sarif", "junit":
	default:
		return usageErr("--output %q: want text, json, sarif or junit", f.output)
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return err
	}
	var resp *aidenv1.ValidateResponse
	checked := 0 // files
	if f.server != "" {
		// The server gets the files as given: it cannot read the
		// repository around them. Under one generation config, they are
		// sent relative to its folder, with the config, so that the server
		// checks the conventions too.
		files, display, err := serverFiles(paths, f.conventions)
		if err != nil {
			return usageErr("%w", err)
		}
		checked = len(files)
		if display != nil {
			files = append(files, display.config)
		}
		client := aidenv1connect.NewValidateServiceClient(apiClient(), strings.TrimRight(f.server, "/"))
		r, err := client.Validate(ctx, connect.NewRequest(&aidenv1.ValidateRequest{
			Files: server.FilesToProto(files),
			Options: &aidenv1.Options{
				//lint:ignore SA1019 a server older than skip_policy_check reads only this field
				PolicyCheck:       f.policyCheck,
				SkipPolicyCheck:   !f.policyCheck,
				KubernetesVersion: f.k8sVersion,
				SchemaLocations:   f.schemaLocs,
				AllKyverno:        f.allKyverno,
			},
		}))
		if err != nil {
			return fmt.Errorf("call %s: %w", f.server, err)
		}
		resp = r.Msg
		if display != nil {
			for _, fi := range resp.GetFindings() {
				fi.File = display.display(fi.GetFile())
			}
		}
	} else {
		groups, err := locate(paths, f.conventions, f.policyCheck)
		if err != nil {
			return usageErr("%w", err)
		}
		engine := generator.New(generator.Options{})
		var reports []validators.Report
		for _, g := range groups {
			checked += len(g.files)
			f.requireSchemas = f.requireSchemas || configRequiresSchemas(g)
			rep, err := engine.Validate(ctx, g.files, generator.Check{
				PolicyCheck:       f.policyCheck,
				KubernetesVersion: f.k8sVersion,
				SchemaLocations:   f.schemaLocs,
				AllKyverno:        f.allKyverno,
				Repository:        g.repository,
				SkipConventions:   !f.conventions,
				Named:             g.named,
			})
			if err != nil {
				return err
			}
			for i := range rep.Findings {
				rep.Findings[i].File = g.display(rep.Findings[i].File)
			}
			if g.skipped != nil {
				rep.Findings = append(rep.Findings, validators.Finding{Rule: "kustomize", Severity: validators.SeverityWarning,
					Message: fmt.Sprintf("the repository files the kustomizations refer to were not read, so they were built from the files given alone: %v", g.skipped)})
			}
			reports = append(reports, rep)
		}
		resp = server.ValidateResponse(merge(reports))
	}
	if f.requireSchemas {
		requireSchemas(resp)
	}
	switch f.output {
	case "json":
		if err := printJSON(stdout, resp); err != nil {
			return err
		}
	case "sarif":
		if err := writeSARIF(stdout, resp.GetFindings()); err != nil {
			return err
		}
	case "junit":
		if err := writeJUnit(stdout, resp.GetChecks(), resp.GetFindings(), failOn); err != nil {
			return err
		}
	default:
		printChecks(stdout, resp.GetChecks(), resp.GetFindings())
		if resp.GetValid() {
			fmt.Fprintf(stdout, "\n%d files checked: valid\n", checked)
		} else {
			fmt.Fprintf(stdout, "\n%d files checked: NOT valid\n", checked)
		}
	}
	return findingsExit(resp.GetFindings(), failOn)
}

// located is what validate checks in one repository, addressed from its
// root.
type located struct {
	root       string           // resolved
	args       []located1       // the paths given in it
	files      []workspace.File // the files given, paths relative to root
	named      []string         // those named one by one, not found in a folder
	repository []workspace.File // what their kustomizations read besides them, and the generation config
	config     workspace.File   // the generation config, when root is the folder that holds one
	skipped    error            // why the repository was not read, if it was not
}

// located1 is one path as typed and relative to its repository's root.
type located1 struct{ typed, rel string }

// locate reads the files at paths and, for each repository that holds
// some (workspace.FindRoot), addresses them from its root and reads,
// within the workspace limits and never above the root, what their
// kustomizations refer to outside them: a shared base, a Component. So an
// overlay builds as it does in the repository. With conventions, the root
// is the folder holding the generation config at or above a path, when
// there is one (workspace.FindConfig), and the config is read into the
// group's repository files. With policies, the repository's policies
// folder (the config's policy.folder, else policies/) is read too.
func locate(paths []string, conventions, policies bool) ([]*located, error) {
	groups, err := locateFiles(paths, conventions)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		// The limits bound what is read besides the files given.
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
			return nil, fmt.Errorf("read the repository: %w", err)
		}
		g.repository = more
		if g.config.Path != "" {
			g.repository = append(g.repository, g.config)
		}
		if policies {
			pf, err := g.policyFiles()
			if err != nil {
				return nil, err
			}
			g.repository = append(g.repository, pf...)
		}
	}
	return groups, nil
}

// policyFiles reads the repository's policies folder, the generation
// config's policy.folder or policies/, when it exists and the files given
// do not already hold it.
func (g *located) policyFiles() ([]workspace.File, error) {
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
func locateFiles(paths []string, conventions bool) ([]*located, error) {
	var groups []*located
	byRoot := map[string]*located{}
	for _, p := range paths {
		files, err := validators.LoadPaths(p)
		if err != nil {
			return nil, err
		}
		dir, name := p, ""
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			dir, name = filepath.Dir(p), filepath.Base(p)
		}
		root, rel, config, err := findRoot(dir, conventions)
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
			g = &located{root: root, config: config}
			byRoot[root] = g
			groups = append(groups, g)
		}
		g.args = append(g.args, located1{typed: typed, rel: rel})
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

// findRoot is workspace.FindRoot for the folder dir, except that with
// conventions the folder holding a generation config at or above dir is
// the root, and the config is returned (Path empty when there is none).
func findRoot(dir string, conventions bool) (root, rel string, config workspace.File, err error) {
	if conventions {
		croot, found, err := workspace.FindConfig(dir)
		if err != nil {
			return "", "", workspace.File{}, err
		}
		if found {
			b, err := os.ReadFile(filepath.Join(croot, filepath.FromSlash(workspace.ConfigPath)))
			if err != nil {
				return "", "", workspace.File{}, err
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

// serverFiles reads the files at paths for a server. When conventions are
// on and every path lies under the same generation config, the files are
// addressed from the folder holding it and the returned group carries the
// config and maps the findings' files back as typed; otherwise the files
// keep their paths as typed and the group is nil.
func serverFiles(paths []string, conventions bool) ([]workspace.File, *located, error) {
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

// display names a path relative to the root the way the user would type
// it: under a path given, as that path was typed; elsewhere in the
// repository, absolute when the paths were typed so, else relative to the
// current folder.
func (g *located) display(p string) string {
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
	if filepath.IsAbs(g.args[0].typed) {
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
