package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
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
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Render and schema-validate chart folders, Kustomize folders and manifest files",
		Long: `Validate runs the checks that generate runs on existing files: Helm chart
folders are rendered and linted, and every Kubernetes object is validated in
strict mode against the schemas embedded in aiden. When a
.stackgen/generation-config.yaml lies at or above the paths (up to the
repository root), the files are also checked against its conventions (names,
labels, annotations, namespaces), app folder by app folder, and findings name
files relative to the folder that holds .stackgen/. It is meant as a
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
	fl.BoolVar(&f.policyCheck, "policy-check", false, "run policy checks")
	fl.BoolVar(&f.conventions, "conventions", true, "check the files against the conventions of the .stackgen/generation-config.yaml at or above them")
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
	files, n, err := validateFiles(paths, f.conventions)
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
			SkipConventions:   !f.conventions,
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
			fmt.Fprintf(stdout, "\n%d files checked: valid\n", n)
		} else {
			fmt.Fprintf(stdout, "\n%d files checked: NOT valid\n", n)
		}
	}
	return findingsExit(resp.GetFindings(), failOn)
}

// validateFiles reads the files at paths and returns them with n, how many
// were read. With conventions, when a generation config lies at or above
// the paths (workspace.FindConfig), file paths are made relative to the
// folder that holds it and the config is added to the files, which is how
// the engine (in-process or on a server) knows to check the conventions.
// Paths under different configs are refused: validate them one by one.
func validateFiles(paths []string, conventions bool) (files []workspace.File, n int, err error) {
	if !conventions {
		files, err = validators.LoadPaths(paths...)
		return files, len(files), err
	}
	root := ""
	for i, p := range paths {
		r, found, err := workspace.FindConfig(p)
		if err != nil {
			return nil, 0, err
		}
		if !found {
			r = ""
		}
		if i > 0 && r != root {
			return nil, 0, fmt.Errorf("%s and %s lie under different generation configs (or only one under one): validate them separately", paths[0], p)
		}
		root = r
	}
	if root == "" {
		files, err = validators.LoadPaths(paths...)
		return files, len(files), err
	}
	for _, p := range paths {
		loaded, err := validators.LoadPaths(p)
		if err != nil {
			return nil, 0, err
		}
		abs, err := filepath.Abs(p)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("load paths: %w", err)
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil {
			return nil, 0, fmt.Errorf("load paths: %w", err)
		}
		typed := filepath.ToSlash(filepath.Clean(p))
		for _, f := range loaded {
			sub := f.Path
			if typed != "." {
				sub = strings.TrimPrefix(strings.TrimPrefix(f.Path, typed), "/")
			}
			f.Path = path.Join(filepath.ToSlash(rel), sub)
			files = append(files, f)
		}
	}
	n = len(files)
	for _, f := range files {
		if f.Path == workspace.ConfigPath {
			return files, n, nil // validating the root: the config is there
		}
	}
	cfg, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(workspace.ConfigPath)))
	if err != nil {
		return nil, 0, fmt.Errorf("read generation config: %w", err)
	}
	return append(files, workspace.File{Path: workspace.ConfigPath, Content: cfg}), n, nil
}
