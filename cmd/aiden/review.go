package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/review"
	"github.com/stackgen/aiden/validators"
)

type reviewFlags struct {
	base        string
	format      string
	failOn      string
	policyCheck bool
	allKyverno  bool
	conventions bool
	k8sVersion  string
	schemaLocs  []string
	writes      []string
}

func newReviewCmd(stdout io.Writer) *cobra.Command {
	var f reviewFlags
	cmd := &cobra.Command{
		Use:   "review [PATH...]",
		Short: "Review what a change to a GitOps repository does: rendered diff, new findings, cost, risks",
		Long: `Review compares the git work tree with a base commit (--base; default the merge
base of HEAD with the default branch) the way a platform engineer reviews a pull
request. Every chart, Kustomize overlay and manifest folder under the paths
(default: the whole work tree) is rendered at the base and at the head, and the
review shows what the clusters would receive — objects added, removed and
changed, field by field, Secrets' values hidden — per environment folder. All
checks of aiden validate run on both sides: the review lists the findings the
change adds and fixes and only counts those already there. It estimates the
change in requested CPU, memory, storage, replicas and monthly cost per app and
environment (prices and budgets from the generation config's review: key), and
flags changes that commonly break production: immutable fields, a removed
PodDisruptionBudget, replicas set to 0, an unpinned image, a deleted Namespace
or CRD, a chart's major version bump. The exit code is 1 when new findings,
risks or exceeded budgets at or above --fail-on remain.`,
		Example: `  aiden review --base origin/main
  aiden review --base main examples/gitops --format comment > comment.md
  aiden review --format sarif --fail-on warning > review.sarif
  aiden review --write comment=comment.md --write sarif=review.sarif`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReview(cmd.Context(), f, args, stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.base, "base", "", "git revision to compare with (default: the merge base of HEAD with the default branch)")
	fl.StringVar(&f.format, "format", "markdown", "output format: markdown, comment (a pull-request comment), sarif, junit or json")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when new findings, risks or exceeded budgets at or above this severity remain: info, warning, error, or none")
	fl.BoolVar(&f.policyCheck, "policy-check", true, "run policy checks (--policy-check=false to skip them)")
	fl.BoolVar(&f.conventions, "conventions", true, "check against the conventions of the .stackgen/generation-config.yaml at or above the paths")
	fl.BoolVar(&f.allKyverno, "all-kyverno", false, "with --policy-check, apply every Kyverno policy in policies/, not only those annotated stackgen.io/ai-enforce: \"true\"")
	fl.StringVar(&f.k8sVersion, "kubernetes-version", "", "Kubernetes version to validate against (default: the embedded schemas' version)")
	fl.StringArrayVar(&f.writes, "write", nil, "also write the review in FORMAT to FILE, as FORMAT=FILE (repeatable): one run for the CI's comment, SARIF and summary")
	fl.StringSliceVar(&f.schemaLocs, "schema-location", nil, "extra kubeconform schema location for CRDs (repeatable)")
	return cmd
}

func runReview(ctx context.Context, f reviewFlags, paths []string, stdout io.Writer) error {
	if !reviewFormat(f.format) {
		return usageErr("--format %q: want markdown, comment, sarif, junit or json", f.format)
	}
	writes, err := parseWrites(f.writes)
	if err != nil {
		return err
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return err
	}
	r, err := review.Run(ctx, review.Options{
		Engine: generator.New(generator.Options{}),
		Base:   f.base,
		Paths:  paths,
		Check: generator.Check{
			PolicyCheck:       f.policyCheck,
			KubernetesVersion: f.k8sVersion,
			SchemaLocations:   f.schemaLocs,
			AllKyverno:        f.allKyverno,
			SkipConventions:   !f.conventions,
		},
	})
	if err != nil {
		return usageErr("review: %w", err)
	}
	for _, w := range writes {
		if err := writeReviewFile(w.path, w.format, r, failOn); err != nil {
			return err
		}
	}
	if err := writeReview(stdout, f.format, r, failOn); err != nil {
		return err
	}
	return findingsExit(r.Gate(), failOn)
}

// reviewWrite is one --write FORMAT=FILE.
type reviewWrite struct{ format, path string }

func parseWrites(ws []string) ([]reviewWrite, error) {
	var out []reviewWrite
	for _, w := range ws {
		format, file, ok := strings.Cut(w, "=")
		if !ok || file == "" || !reviewFormat(format) {
			return nil, usageErr("--write %q: want FORMAT=FILE, FORMAT one of markdown, comment, sarif, junit, json", w)
		}
		out = append(out, reviewWrite{format, file})
	}
	return out, nil
}

func reviewFormat(f string) bool {
	switch f {
	case "markdown", "comment", "sarif", "junit", "json":
		return true
	}
	return false
}

func writeReviewFile(path, format string, r *review.Review, failOn validators.Severity) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--write %s: %w", format, err)
	}
	err = writeReview(out, format, r, failOn)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--write %s=%s: %w", format, path, err)
	}
	return nil
}

// writeReview writes the review in one format. SARIF holds what the gate
// reads (new findings, risks, budgets); JUnit has a suite for the new
// findings and one for risks and budgets.
func writeReview(w io.Writer, format string, r *review.Review, failOn validators.Severity) error {
	gate := r.Gate()
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("encode the review: %w", err)
		}
		return nil
	case "sarif":
		return writeSARIF(w, gate)
	case "junit":
		checks := []validators.Check{
			reviewCheck("findings", len(r.Findings.New), fmt.Sprintf("%d new, %d fixed, %d already there", len(r.Findings.New), len(r.Findings.Fixed), r.Findings.Existing)),
			reviewCheck("review", len(r.Risks)+len(r.Budgets), fmt.Sprintf("%s, %s exceeded", validators.Count(len(r.Risks), "risk"), validators.Count(len(r.Budgets), "budget"))),
		}
		// New findings are the "findings" suite, risks and budgets (rules
		// review/...) the "review" suite.
		var tagged []validators.Finding
		for _, f := range r.Findings.New {
			f.Rule = "findings/" + f.Rule
			tagged = append(tagged, f)
		}
		tagged = append(tagged, r.Risks...)
		tagged = append(tagged, r.Budgets...)
		return writeJUnit(w, checks, tagged, failOn)
	}
	return review.Markdown(w, r, review.MarkdownOptions{Comment: format == "comment"})
}

func reviewCheck(name string, n int, detail string) validators.Check {
	c := validators.Check{Name: name, Status: validators.CheckPassed, Checked: 1, Detail: detail}
	if n > 0 {
		c.Status = validators.CheckFailed
	}
	return c
}
