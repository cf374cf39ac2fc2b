package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/action"
)

func newPolicyCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with policies: run Kyverno policy tests offline",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "test PATH...",
		Short: "Run kyverno-test.yaml files offline, as kyverno test does",
		Long: `Test finds every kyverno-test.yaml under the paths, applies the policies it
names to the resources it names with aiden's offline Kyverno evaluation, and
compares each expected result (pass, fail, skip per policy, rule and
resource). It prints every unmet expectation and ends with "N/M expectations
met"; the exit code is 1 when any is unmet.`,
		Example: `  aiden policy test policies/
  aiden policy test ../shared/corpora/kyverno-policies`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyTest(cmd.Context(), stdout, args)
		},
	})
	return cmd
}

func runPolicyTest(ctx context.Context, w io.Writer, paths []string) error {
	files, err := action.FindPolicyTests(paths...)
	if err != nil {
		return usageErr("%w", err)
	}
	rep, err := action.PolicyTest{}.Run(ctx, files)
	if err != nil {
		return err
	}
	for _, f := range rep.Files {
		if f.Error != "" {
			fmt.Fprintln(w, action.BrokenLine(f.Path, f.Error))
		}
		for _, e := range f.Expectations {
			if !e.Met() {
				fmt.Fprintln(w, action.UnmetLine(f.Path, e))
			}
		}
	}
	fmt.Fprintf(w, "%d/%d expectations met", rep.Met, rep.Total)
	if rep.Broken > 0 {
		fmt.Fprintf(w, "; %d of %d test files could not be run", rep.Broken, len(rep.Files))
	}
	fmt.Fprintln(w)
	if rep.Failed() {
		return &exitError{code: exitFindings}
	}
	return nil
}
