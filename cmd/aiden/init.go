package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/infer"
	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/workspace"
)

type initFlags struct {
	write, patch bool
}

func newInitCmd(stdout, stderr io.Writer) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init [PATH]",
		Short: "Propose a generation config from what the repository already does",
		Long: `Init reads the folder PATH as a repository (default: the repository that holds the
current folder; a GitOps repository kept in a folder of a larger one gets its own
config, which aiden finds walking up from an output folder) and proposes the
generation config that describes what it already does: how objects
are named, the labels and annotations (nearly) every object carries, the
namespace rule, how apps are delivered (Flux HelmRelease, Argo CD Application,
charts, Kustomize bases), where app folders, per-environment overlays and
cluster entry points live, the chart sources it defines, and two or three of
its apps as few-shot examples. Each line comes with its evidence: how many of
the things counted agree, and example files.

Without flags init prints the proposal and writes nothing; --write writes
.stackgen/generation-config.yaml and .stackgen/examples/ (never over an
existing config); --patch prints them as a patch for git apply. Until a config
is committed, aiden generate infers the same on every run. See docs/init.md.`,
		Example: `  aiden init
  aiden init --patch | git apply
  aiden init path/to/repo --write`,
		Args: argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.write && f.patch {
				return usageErr("--write and --patch: choose one")
			}
			if len(args) == 1 {
				return runInit(args[0], f, stdout, stderr)
			}
			root, _, err := workspace.FindRoot(".")
			if err != nil {
				return usageErr("%w", err)
			}
			return runInit(root, f, stdout, stderr)
		},
	}
	cmd.Flags().BoolVar(&f.write, "write", false, "write .stackgen/generation-config.yaml and .stackgen/examples/")
	cmd.Flags().BoolVar(&f.patch, "patch", false, "print the config and examples as a patch instead of writing them")
	return cmd
}

func runInit(p string, f initFlags, stdout, stderr io.Writer) error {
	info, err := os.Stat(p)
	if err != nil {
		return usageErr("%s: %w", p, err)
	}
	if !info.IsDir() {
		return usageErr("%s is not a folder: name the repository's folder", p)
	}
	root, err := filepath.Abs(p)
	if err != nil {
		return usageErr("%s: %w", p, err)
	}
	files, err := gitops.LoadRepository(workspace.DefaultLimits(), root)
	if err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("read %s: %w", root, err)}
	}
	prop := infer.Infer(files)
	configFile := filepath.Join(root, filepath.FromSlash(genconfig.Path))
	_, statErr := os.Stat(configFile)
	hasConfig := statErr == nil
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return &exitError{code: exitFailure, err: fmt.Errorf("read %s: %w", configFile, statErr)}
	}
	out := prop.Files()
	switch {
	case f.patch:
		if hasConfig {
			return usageErr("%s already exists: aiden init proposes a first config; compare with 'aiden init' and edit it by hand", configFile)
		}
		fmt.Fprint(stdout, string(patch.Unified(nil, out)))
		printInit(stderr, root, prop, false)
		return nil
	case f.write:
		if hasConfig {
			return usageErr("%s already exists: not overwritten (see 'aiden init' without --write for the proposal)", configFile)
		}
		if err := workspace.WriteAll(root, workspace.Change{Dir: ".stackgen", Files: out}); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("write %s: %w (nothing was written)", filepath.Join(root, ".stackgen"), err)}
		}
		printInit(stdout, root, prop, false)
		fmt.Fprintf(stdout, "\nWrote %s and %d example files; check it with: aiden config validate %s\n", genconfig.Path, len(out)-1, root)
		return nil
	}
	fmt.Fprintf(stdout, "# %s\n%s", genconfig.Path, prop.YAML())
	printInit(stdout, root, prop, true)
	if hasConfig {
		fmt.Fprintf(stdout, "\n%s already exists; this proposal is for comparison.\n", configFile)
	}
	return nil
}

// printInit says what was read and found.
func printInit(w io.Writer, root string, p *infer.Proposal, hint bool) {
	fmt.Fprintf(w, "\nRead %d files of %s.\n", p.Read, root)
	if !p.Found() {
		fmt.Fprintln(w, "Found no app folder, layout or convention to propose: the config holds defaults only.")
	}
	if len(p.Evidence) > 0 {
		fmt.Fprintf(w, "\nEvidence (%d lines):\n", len(p.Evidence))
		for _, e := range p.Evidence {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if len(p.Apps) > 0 {
		fmt.Fprintf(w, "\nApps (%d):\n", len(p.Apps))
		for _, a := range p.Apps {
			line := fmt.Sprintf("  %-20s %s", a.Name, a.Dir)
			if a.Main != "" {
				line += "  " + a.Main
			}
			if len(a.Environments) > 0 {
				line += "  in " + strings.Join(a.Environments, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(p.Listed) > 0 {
		fmt.Fprintln(w, "\nListed by:")
		for _, dir := range slices.Sorted(maps.Keys(p.Listed)) {
			fmt.Fprintf(w, "  %-28s %s\n", dir, strings.Join(p.Listed[dir], ", "))
		}
	}
	if len(p.Sources) > 0 {
		fmt.Fprintf(w, "\nChart sources (%d):\n", len(p.Sources))
		for _, s := range p.Sources {
			fmt.Fprintf(w, "  %s %s/%s %s (%s:%d)\n", s.Kind, s.Namespace, s.Name, s.URL, s.File, s.Line)
		}
	}
	if len(p.Examples) > 0 {
		var names []string
		for _, e := range p.Examples {
			names = append(names, e.Dir)
		}
		fmt.Fprintf(w, "\nFew-shot examples: %s\n", strings.Join(names, ", "))
	}
	if hint {
		fmt.Fprintln(w, "\nWrite it with 'aiden init --write', or 'aiden init --patch | git apply'.")
	}
}
