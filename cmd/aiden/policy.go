package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/validators/policy"
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
			return runPolicyTest(stdout, args)
		},
	})
	return cmd
}

func runPolicyTest(w io.Writer, paths []string) error {
	files, err := policy.FindKyvernoTests(paths...)
	if err != nil {
		return usageErr("%w", err)
	}
	met, total := 0, 0
	for _, f := range files {
		exps, err := policy.RunKyvernoTest(f)
		if err != nil {
			return err
		}
		for _, e := range exps {
			total++
			if e.Met() {
				met++
				continue
			}
			fmt.Fprintf(w, "UNMET %s: policy %s, rule %s, %s %s: want %s, got %s: %s\n",
				f, e.Policy, e.Rule, e.Kind, e.Resource, e.Want, e.Got, e.Message)
		}
	}
	fmt.Fprintf(w, "%d/%d expectations met\n", met, total)
	if met < total || total == 0 {
		return &exitError{code: exitFindings}
	}
	return nil
}
