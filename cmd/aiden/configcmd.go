package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/genconfig"
)

func newConfigCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with .stackgen/generation-config.yaml",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate [PATH]",
		Short: "Check a generation config and say what is wrong, key by key",
		Long: `Validate reads a generation config (by default .stackgen/generation-config.yaml
under the current folder; PATH may be the file or the repository root) and
reports every problem with its line and key. The exit code is 1 when the
config is invalid. The format is described in docs/generation-config.md.`,
		Example: `  aiden config validate
  aiden config validate examples/gitops`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := "."
			if len(args) == 1 {
				p = args[0]
			}
			return runConfigValidate(p, stdout)
		},
	})
	return cmd
}

func runConfigValidate(p string, stdout io.Writer) error {
	if info, err := os.Stat(p); err == nil && info.IsDir() {
		p = filepath.Join(p, filepath.FromSlash(genconfig.Path))
	}
	cfg, err := genconfig.Load(p)
	var errs genconfig.Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(stdout, e)
		}
		fmt.Fprintf(stdout, "%s: %d problems\n", p, len(errs))
		return &exitError{code: exitFindings}
	case errors.Is(err, fs.ErrNotExist):
		return usageErr("no generation config at %s", p)
	case err != nil:
		return &exitError{code: exitFailure, err: err}
	}
	fmt.Fprintf(stdout, "%s: valid (version %d; %d labels, %d annotations, %d preferred charts)\n",
		p, cfg.Version, len(cfg.Labels), len(cfg.Annotations), len(cfg.Charts))
	return nil
}
