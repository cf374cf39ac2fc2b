package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/validators"
)

type validateFlags struct {
	output      string
	failOn      string
	policyCheck bool
	allKyverno  bool
	server      string
	k8sVersion  string
	schemaLocs  []string
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Render and schema-validate chart folders, Kustomize folders and manifest files",
		Long: `Validate runs the checks that generate runs on existing files: Helm chart
folders are rendered and linted, and every Kubernetes object is validated in
strict mode against the schemas embedded in aiden. It is meant as a pre-merge
gate: the exit code is 1 when findings at or above --fail-on remain.`,
		Example: `  aiden validate clusters/production/apps/redis
  aiden validate deploy/ manifests/service.yaml --output json`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd.Context(), f, args, stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, json, sarif (2.1.0) or junit")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when findings at or above this severity remain: info, warning, error, or none")
	fl.BoolVar(&f.policyCheck, "policy-check", false, "run policy checks")
	fl.BoolVar(&f.allKyverno, "all-kyverno", false, "with --policy-check, apply every Kyverno policy in policies/, not only those annotated stackgen.io/ai-enforce: \"true\"")
	fl.StringVar(&f.server, "server", "", "URL of an aiden server to call instead of running in-process")
	fl.StringVar(&f.k8sVersion, "kubernetes-version", "", "Kubernetes version to validate against (default: the embedded schemas' version)")
	fl.StringSliceVar(&f.schemaLocs, "schema-location", nil, "extra kubeconform schema location for CRDs (repeatable)")
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
	files, err := validators.LoadPaths(paths...)
	if err != nil {
		return usageErr("%w", err)
	}
	var resp *aidenv1.ValidateResponse
	if f.server != "" {
		client := aidenv1connect.NewValidateServiceClient(http.DefaultClient, strings.TrimRight(f.server, "/"))
		r, err := client.Validate(ctx, connect.NewRequest(&aidenv1.ValidateRequest{
			Files: server.FilesToProto(files),
			Options: &aidenv1.Options{
				PolicyCheck:       f.policyCheck,
				KubernetesVersion: f.k8sVersion,
				SchemaLocations:   f.schemaLocs,
				AllKyverno:        f.allKyverno,
			},
		}))
		if err != nil {
			return fmt.Errorf("call %s: %w", f.server, err)
		}
		resp = r.Msg
	} else {
		rep, err := generator.New(generator.Options{}).Validate(ctx, files, generator.Check{
			PolicyCheck:       f.policyCheck,
			KubernetesVersion: f.k8sVersion,
			SchemaLocations:   f.schemaLocs,
			AllKyverno:        f.allKyverno,
		})
		if err != nil {
			return err
		}
		resp = server.ValidateResponse(rep)
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
			fmt.Fprintf(stdout, "\n%d files checked: valid\n", len(files))
		} else {
			fmt.Fprintf(stdout, "\n%d files checked: NOT valid\n", len(files))
		}
	}
	return findingsExit(resp.GetFindings(), failOn)
}
