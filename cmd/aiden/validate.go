package main

import (
	"context"
	"fmt"
	"io"
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
	noResultCache  bool
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
	fl.BoolVar(&f.noResultCache, "no-result-cache", false, "validate every object against its schema, even one an earlier run found valid (the results cache in $XDG_CACHE_HOME/aiden/schemas)")
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
	if f.server != "" && f.noResultCache {
		return usageErr("--no-result-cache is for in-process validation: an aiden server keeps no results cache")
	}
	var rep validators.Report
	checked := 0 // files
	if f.server != "" {
		rep, checked, err = validateRemote(ctx, f, paths)
	} else {
		var groups []*action.Group
		if groups, err = action.ReadPaths(paths, f.conventions, f.policyCheck); err != nil {
			return usageErr("%w", err)
		}
		for _, g := range groups {
			f.requireSchemas = f.requireSchemas || configRequiresSchemas(g)
		}
		engine := generator.New(generator.Options{RememberValid: !f.noResultCache})
		rep, checked, err = action.Validate{Engine: engine, Check: generator.Check{
			PolicyCheck:       f.policyCheck,
			KubernetesVersion: f.k8sVersion,
			SchemaLocations:   f.schemaLocs,
			AllKyverno:        f.allKyverno,
			SkipConventions:   !f.conventions,
		}}.Run(ctx, groups)
	}
	if err != nil {
		return err
	}
	if f.requireSchemas {
		rep.RequireSchemas()
	}
	switch f.output {
	case "json":
		if err := printJSON(stdout, wire.ValidateResponse(rep)); err != nil {
			return err
		}
	case "sarif":
		if err := writeSARIF(stdout, rep.Findings); err != nil {
			return err
		}
	case "junit":
		if err := writeJUnit(stdout, rep.Checks, rep.Findings, failOn); err != nil {
			return err
		}
	default:
		printChecks(stdout, rep.Checks, rep.Findings)
		if rep.Count(validators.SeverityError) == 0 {
			fmt.Fprintf(stdout, "\n%d files checked: valid\n", checked)
		} else {
			fmt.Fprintf(stdout, "\n%d files checked: NOT valid\n", checked)
		}
	}
	return findingsExit(rep.Findings, failOn)
}

// validateRemote sends the files at paths to the server: it cannot read
// the repository around them. Under one generation config, they are sent
// relative to its folder, with the config, so that the server checks the
// conventions too. The answer is converted to the domain once.
func validateRemote(ctx context.Context, f validateFlags, paths []string) (validators.Report, int, error) {
	files, display, err := action.ReadForRemote(paths, f.conventions)
	if err != nil {
		return validators.Report{}, 0, usageErr("%w", err)
	}
	checked := len(files)
	if display != nil {
		files = append(files, display.Config())
	}
	client := aidenv1connect.NewValidateServiceClient(apiClient(), strings.TrimRight(f.server, "/"))
	r, err := client.Validate(ctx, connect.NewRequest(&aidenv1.ValidateRequest{
		Files: wire.FilesToProto(files),
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
		return validators.Report{}, 0, fmt.Errorf("call %s: %w", f.server, err)
	}
	rep := wire.ValidateReport(r.Msg)
	if display != nil {
		for i := range rep.Findings {
			rep.Findings[i].File = display.Display(rep.Findings[i].File)
		}
	}
	return rep, checked, nil
}
