package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/action"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/wire"
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
(and registers a new app in its parent folder's kustomization.yaml, or in the
environment overlay the repository's layout names, with the app's values patch
there). In a repository without a generation config, the conventions and layout
are inferred from the repository first (as aiden init proposes them).

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
			if !cmd.Flags().Changed("format") {
				f.format = "" // the config, written or inferred (aiden init), picks it by path; else helm
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
	if f.format == "" {
		format = "" // not given: the engine reads it from the config, else helm
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return err
	}
	if f.force && !f.replace {
		return usageErr("--force works with --replace: it lets a replacement overwrite files changed by hand")
	}
	place, err := action.FindPlace(f.output)
	if err != nil {
		return usageErr("--output %s: %w", f.output, err)
	}
	if err := place.Load(format); err != nil {
		return usageErr("read workspace: %w", err)
	}
	req := generator.Request{
		Intent:            f.intent,
		Format:            format,
		TargetPath:        place.Target,
		Environment:       cmp.Or(f.env, place.Environment),
		Workspace:         place.Files,
		SkipValidation:    !f.validate,
		PolicyCheck:       f.policyCheck,
		KubernetesVersion: f.k8sVersion,
		SchemaLocations:   f.schemaLocs,
		Mode:              generator.ModeAuto,
		Force:             f.force,
	}
	if f.replace {
		req.Mode = generator.ModeReplace
	}

	var progress io.Writer = stderr
	if f.quiet {
		progress = io.Discard
	}
	var res *generator.Result
	if f.server != "" {
		req.Model = f.model.model // the server checks it against its allowed list
		res, err = generateRemote(ctx, f.server, req, progress)
	} else {
		res, err = generateLocal(ctx, req, progress, f.setup.opts)
	}
	if err != nil {
		return err
	}

	patchOnly := f.patch || f.dryRun
	switch {
	case f.json:
		if err := printJSON(stdout, wire.GenerateResponse(res)); err != nil {
			return err
		}
	case patchOnly:
		fmt.Fprint(stdout, string(res.Patch))
	}
	if !patchOnly {
		if err := place.Write(res.Files, res.Deleted); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("write %s: %w (nothing was written)", f.output, err)}
		}
	}
	if !f.json {
		out := stdout
		if patchOnly {
			out = stderr // keep stdout a clean patch for git apply
		}
		printGenerate(out, res, displayTarget(place.Root, place.Target, f.output), place.Target, !patchOnly)
		printLeftAlone(out, res)
		printModel(out, res.Provenance)
	}
	return findingsExit(res.Report.Findings, failOn)
}

// displayTarget names the output folder as the user typed it.
func displayTarget(root, target, typed string) string {
	if typed != "" {
		return filepath.Clean(typed)
	}
	return filepath.Join(root, target)
}

func generateLocal(ctx context.Context, req generator.Request, progress io.Writer, model generator.ModelOptions) (*generator.Result, error) {
	gen := action.Generate{Engine: generator.New(generator.Options{Model: model})}
	p := newProgress(progress)
	t := newTyping(progress)
	res, err := gen.Run(ctx, req, func(ev generator.Event) {
		if ev.Delta != "" {
			t.delta(ev.Attempt, ev.Delta)
			return
		}
		t.clear()
		p.stage(ev.Stage, ev.Message, ev.Elapsed.Seconds()*1000)
	})
	t.clear()
	return res, err
}

// generateRemote runs req on the server at url and converts its answer to
// the domain once.
func generateRemote(ctx context.Context, url string, req generator.Request, progress io.Writer) (*generator.Result, error) {
	client := aidenv1connect.NewGenerateServiceClient(apiClient(), strings.TrimRight(url, "/"))
	call := connect.NewRequest(&aidenv1.GenerateStreamRequest{Request: wire.GenerateRequestToProto(req)})
	call.Header().Set(wire.HeaderClient, "cli")
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
		p.stage(wire.StageFromProto(ev.GetStage()), ev.GetMessage(), ev.GetMillis())
	}
	t.clear()
	if err := stream.Err(); err != nil {
		return nil, fmt.Errorf("call %s: %w", url, err)
	}
	if result == nil {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("call %s: the stream ended without a result", url)}
	}
	return wire.GenerateResult(result), nil
}

func parseFailOn(s string) (validators.Severity, error) {
	sev, err := action.ParseFailOn(s)
	if err != nil {
		return 0, usageErr("--fail-on %w", err)
	}
	return sev, nil
}

// findingsExit returns exit 1 when the findings fail the run
// (action.Failed); the summary has already said which.
func findingsExit(findings []validators.Finding, failOn validators.Severity) error {
	if action.Failed(findings, failOn) {
		return &exitError{code: exitFindings}
	}
	return nil
}

// printLeftAlone says what the generation did to the folder and lists the
// files it left alone, with the reason.
func printLeftAlone(w io.Writer, r *generator.Result) {
	if m := r.Mode; m == generator.ModeChange || m == generator.ModeReplace {
		fmt.Fprintf(w, "Mode: %s\n", m)
	}
	if len(r.LeftAlone) == 0 {
		return
	}
	fmt.Fprintf(w, "Left alone (%d):\n", len(r.LeftAlone))
	for _, l := range r.LeftAlone {
		fmt.Fprintf(w, "  %s: %s\n", l.Path, l.Reason)
	}
}
