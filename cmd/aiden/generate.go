package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

type generateFlags struct {
	intent      string
	format      string
	output      string
	env         string
	validate    bool
	policyCheck bool
	server      string
	json        bool
	patch       bool
	failOn      string
	k8sVersion  string
	schemaLocs  []string
	quiet       bool
	replace     bool
	force       bool
	dryRun      bool
	model       modelFlags
	setup       modelSetup // resolved from model, in-process runs only
}

func newGenerateCmd(stdout, stderr io.Writer) *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate --intent TEXT --output DIR",
		Short: "Generate validated files from a sentence of intent",
		Long: `Generate writes files for the intent into DIR, a folder of the repository that
contains it. It reads the workspace (generation config, examples, policies, files
already in DIR) from that repository, runs the engine in-process (or on the
server named by --server), validates the result and prints what it understood,
what it ignored, which checks ran and what they found. It writes only inside DIR
(and registers a new app in its parent folder's kustomization.yaml).

When DIR already holds an app, the intent changes it; --replace regenerates it
from scratch instead. aiden keeps a record of the files it wrote
(DIR/.aiden/record.yaml) and never overwrites or deletes a file it did not
write or that was changed by hand since: --replace refuses those by name
unless --force, and files it never wrote are left alone even then. The
summary lists every file left alone and why. Writes are all or nothing.`,
		Example: `  aiden generate --intent "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production" --format helm --output clusters/production/apps/redis
  aiden generate --intent "web API image ghcr.io/acme/api:1.4.2 on port 8080" --output apps/api --patch | git apply
  aiden generate --intent "worker image ghcr.io/acme/worker:2.0" --output apps/worker --replace --dry-run`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.server == "" {
				setup, err := f.model.resolve(cmd.Flags(), os.Getenv)
				if err != nil {
					return err
				}
				f.setup = setup
			}
			return runGenerate(cmd.Context(), f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	addModelFlags(fl, &f.model, false)
	fl.StringVarP(&f.intent, "intent", "i", "", "what to deploy, in a sentence (required)")
	fl.StringVarP(&f.format, "format", "f", "helm", "output format: helm (a chart), kustomize (a base and an overlay per environment) or terraform (a module folder)")
	fl.StringVarP(&f.output, "output", "o", "", "folder to generate into, inside a repository (required)")
	fl.StringVar(&f.env, "env", "", "environment (production, staging, ...); read from the intent or the path when unset")
	fl.BoolVar(&f.validate, "validate", true, "render and schema-validate the result")
	fl.BoolVar(&f.policyCheck, "policy-check", true, "run policy checks (--policy-check=false to skip them)")
	fl.StringVar(&f.server, "server", "", "URL of an aiden server to call instead of running in-process")
	fl.BoolVar(&f.json, "json", false, "print the whole response as JSON")
	fl.BoolVar(&f.patch, "patch", false, "print the patch instead of writing files")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the patch and the summary, and write nothing (as --patch)")
	fl.BoolVar(&f.replace, "replace", false, "regenerate the app in DIR from scratch instead of changing it; files changed by hand are refused by name, files aiden did not write are left alone")
	fl.BoolVar(&f.force, "force", false, "with --replace, also overwrite and delete files changed by hand since aiden wrote them")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when findings at or above this severity remain: info, warning, error, or none")
	fl.StringVar(&f.k8sVersion, "kubernetes-version", "", "Kubernetes version to validate against (default: the embedded schemas' version)")
	fl.StringSliceVar(&f.schemaLocs, "schema-location", nil, "extra kubeconform schema location for CRDs (repeatable)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func runGenerate(ctx context.Context, f generateFlags, stdout, stderr io.Writer) error {
	if strings.TrimSpace(f.intent) == "" {
		return usageErr("--intent is required: say what to deploy")
	}
	if strings.TrimSpace(f.output) == "" {
		return usageErr("--output is required: name the folder to generate into")
	}
	format, err := generator.ParseFormat(f.format)
	if err != nil {
		return usageErr("--format: %w", err)
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return err
	}
	if f.force && !f.replace {
		return usageErr("--force works with --replace: it lets a replacement overwrite files changed by hand")
	}
	root, target, err := workspace.FindRoot(f.output)
	if err != nil {
		return usageErr("--output %s: %w", f.output, err)
	}
	env := f.env
	if env == "" && !workspace.IsRepository(root) {
		// Outside a repository the root is close to DIR: read the
		// environment from the whole path, as it would be read from a
		// repository path (clusters/<env>/...).
		env = planner.PathEnvironment(filepath.ToSlash(filepath.Join(root, target)), "clusters")
	}
	// What the format needs: the overlays and Components for kustomize,
	// the cluster's chart sources for helm.
	// Outside a repository the root (DIR's parent) may not exist yet:
	// then there is nothing to read.
	var files []workspace.File
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		if files, err = gitops.LoadFor(workspace.DefaultLimits(), root, target, string(format)); err != nil {
			return usageErr("read workspace: %w", err)
		}
	}

	validate := f.validate
	req := &aidenv1.GenerateRequest{
		Intent:      f.intent,
		Format:      server.FormatToProto(format),
		TargetPath:  target,
		Environment: env,
		Workspace:   server.FilesToProto(files),
		Mode:        aidenv1.Mode_MODE_AUTO,
		Force:       f.force,
		Options: &aidenv1.Options{
			Validate: &validate,
			//lint:ignore SA1019 a server older than skip_policy_check reads only this field
			PolicyCheck:       f.policyCheck,
			SkipPolicyCheck:   !f.policyCheck,
			KubernetesVersion: f.k8sVersion,
			SchemaLocations:   f.schemaLocs,
		},
	}
	if f.replace {
		req.Mode = aidenv1.Mode_MODE_REPLACE
	}
	if f.server != "" {
		req.Model = f.model.model // the server checks it against its allowed list
	}

	var progress io.Writer = stderr
	if f.quiet {
		progress = io.Discard
	}
	var resp *aidenv1.GenerateResponse
	if f.server != "" {
		resp, err = generateRemote(ctx, f.server, req, progress)
	} else {
		resp, err = generateLocal(ctx, req, progress, f.setup.opts)
	}
	if err != nil {
		return err
	}

	patchOnly := f.patch || f.dryRun
	switch {
	case f.json:
		if err := printJSON(stdout, resp); err != nil {
			return err
		}
	case patchOnly:
		fmt.Fprint(stdout, resp.GetPatch())
	}
	if !patchOnly {
		if err := write(root, target, server.FilesFromProto(resp.GetFiles()), resp.GetDeleted()); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("write %s: %w (nothing was written)", f.output, err)}
		}
	}
	if !f.json {
		out := stdout
		if patchOnly {
			out = stderr // keep stdout a clean patch for git apply
		}
		printGenerate(out, resp, displayTarget(root, target, f.output), !patchOnly)
		printLeftAlone(out, resp)
		printModel(out, resp.GetProvenance())
	}
	return findingsExit(resp.GetFindings(), failOn)
}

// displayTarget names the output folder as the user typed it.
func displayTarget(root, target, typed string) string {
	if typed != "" {
		return filepath.Clean(typed)
	}
	return filepath.Join(root, target)
}

func generateLocal(ctx context.Context, req *aidenv1.GenerateRequest, progress io.Writer, model generator.ModelOptions) (*aidenv1.GenerateResponse, error) {
	engine := generator.New(generator.Options{Model: model})
	p := newProgress(progress)
	t := newTyping(progress)
	greq := server.GenerateRequest(req)
	res, err := engine.Generate(ctx, greq, func(ev generator.Event) {
		if ev.Delta != "" {
			t.delta(ev.Attempt, ev.Delta)
			return
		}
		t.clear()
		p.stage(server.StageToProto(ev.Stage), ev.Message, ev.Elapsed.Seconds()*1000)
	})
	t.clear()
	if err != nil {
		return nil, err
	}
	return server.GenerateResponse(server.Redacted(greq, res)), nil
}

func generateRemote(ctx context.Context, url string, req *aidenv1.GenerateRequest, progress io.Writer) (*aidenv1.GenerateResponse, error) {
	client := aidenv1connect.NewGenerateServiceClient(apiClient(), strings.TrimRight(url, "/"))
	call := connect.NewRequest(&aidenv1.GenerateStreamRequest{Request: req})
	call.Header().Set(server.HeaderClient, "cli")
	stream, err := client.GenerateStream(ctx, call)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", url, err)
	}
	defer stream.Close()
	p := newProgress(progress)
	t := newTyping(progress)
	var result *aidenv1.GenerateResponse
	for stream.Receive() {
		ev := stream.Msg()
		if ev.GetDelta() != "" {
			t.delta(int(ev.GetAttempt()), ev.GetDelta())
			continue
		}
		t.clear()
		if ev.GetResult() != nil {
			result = ev.GetResult()
		}
		p.stage(ev.GetStage(), ev.GetMessage(), ev.GetMillis())
	}
	t.clear()
	if err := stream.Err(); err != nil {
		return nil, fmt.Errorf("call %s: %w", url, err)
	}
	if result == nil {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("call %s: the stream ended without a result", url)}
	}
	return result, nil
}

func parseFailOn(s string) (aidenv1.Severity, error) {
	switch strings.ToLower(s) {
	case "none", "never":
		return aidenv1.Severity_SEVERITY_UNSPECIFIED, nil
	case "info":
		return aidenv1.Severity_SEVERITY_INFO, nil
	case "warning", "warn":
		return aidenv1.Severity_SEVERITY_WARNING, nil
	case "error":
		return aidenv1.Severity_SEVERITY_ERROR, nil
	}
	return 0, usageErr("--fail-on %q: want info, warning, error or none", s)
}

// findingsExit returns exit 1 when unfixed findings at or above failOn
// remain; the summary has already said which.
func findingsExit(findings []*aidenv1.Finding, failOn aidenv1.Severity) error {
	if failOn == aidenv1.Severity_SEVERITY_UNSPECIFIED {
		return nil
	}
	for _, f := range findings {
		if !f.GetFixed() && f.GetSeverity() >= failOn {
			return &exitError{code: exitFindings}
		}
	}
	return nil
}

// printLeftAlone says what the generation did to the folder and lists the
// files it left alone, with the reason.
func printLeftAlone(w io.Writer, r *aidenv1.GenerateResponse) {
	if m := r.GetMode(); m == aidenv1.Mode_MODE_CHANGE || m == aidenv1.Mode_MODE_REPLACE {
		fmt.Fprintf(w, "Mode: %s\n", strings.ToLower(strings.TrimPrefix(m.String(), "MODE_")))
	}
	if len(r.GetLeftAlone()) == 0 {
		return
	}
	fmt.Fprintf(w, "Left alone (%d):\n", len(r.GetLeftAlone()))
	for _, l := range r.GetLeftAlone() {
		fmt.Fprintf(w, "  %s: %s\n", l.GetPath(), l.GetReason())
	}
}

// write puts the generated files in place, in one transaction: everything
// inside the target folder, and nothing outside it but the registration of
// the new folder in its parent's kustomization.yaml.
func write(root, target string, files []workspace.File, deleted []string) error {
	parent := path.Dir(target)
	var inside, registration []workspace.File
	for _, f := range files {
		switch {
		case workspace.Within(target, f.Path):
			inside = append(inside, f)
		case kustomize.IsKustomization(f.Path) && path.Dir(f.Path) == parent:
			registration = append(registration, f)
		default:
			return fmt.Errorf("%s lies outside %s", f.Path, target)
		}
	}
	// A root that does not exist yet (outside a repository) is created in
	// the same transaction, from its nearest existing folder.
	base, prefix, err := existing(root)
	if err != nil {
		return err
	}
	if prefix != "" {
		target, parent = path.Join(prefix, target), path.Join(prefix, parent)
		inside, registration = under(prefix, inside), under(prefix, registration)
		for i, d := range deleted {
			deleted[i] = path.Join(prefix, d)
		}
	}
	return workspace.WriteAll(base,
		workspace.Change{Dir: target, Files: inside, Remove: deleted},
		workspace.Change{Dir: parent, Files: registration})
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
