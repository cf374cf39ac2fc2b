package main

import (
	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/lsp"
)

func newLSPCmd() *cobra.Command {
	var policyCheck bool
	cmd := &cobra.Command{
		Use:   "lsp",
		Short: "Serve the Language Server Protocol on standard input and output",
		Long: `lsp is aiden's language server for editors. It checks the Kubernetes YAML,
chart folders (rendered), kustomizations (built over the repository) and
Terraform modules an editor opens, with the checks of aiden validate, on open,
on change (debounced) and on save; offers code actions that add the requests,
limits and probes the built-in policy asks for and apply the repository's
conventions; describes a field on hover from the embedded Kubernetes schemas;
and runs the command aiden.generate, which returns the files generated from a
sentence of intent as a workspace edit. It speaks on stdin and stdout.`,
		Example: `  nvim: vim.lsp.start({ name = "aiden", cmd = { "aiden", "lsp" }, root_dir = vim.fs.root(0, { ".stackgen", ".git" }) })`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := lsp.New(lsp.Options{Engine: generator.New(generator.Options{}), PolicyCheck: policyCheck, Version: versionString()})
			return s.ServeStdio()
		},
	}
	cmd.Flags().BoolVar(&policyCheck, "policy-check", true, "run policy checks (--policy-check=false to skip them)")
	return cmd
}
