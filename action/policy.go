package action

import (
	"context"
	"fmt"

	"github.com/stackgen/aiden/validators/policy"
)

// PolicyTest is the policy test verb: it runs kyverno-test.yaml files
// offline, as kyverno test does.
type PolicyTest struct{}

// PolicyTestFile is one kyverno-test.yaml and its expectations.
type PolicyTestFile struct {
	// Path is the test file as found under the paths given.
	Path string `json:"path"`
	// Expectations are its expected results, each with aiden's.
	Expectations []policy.Expectation `json:"expectations"`
}

// PolicyReport is what a policy test run found.
type PolicyReport struct {
	// Files are the test files run, in the order found.
	Files []PolicyTestFile `json:"files"`
	// Met and Total count the expectations met and all of them.
	Met   int `json:"met"`
	Total int `json:"total"`
}

// Failed is the exit rule of policy test: an unmet expectation, or none at
// all, fails the run.
func (r PolicyReport) Failed() bool { return r.Met < r.Total || r.Total == 0 }

// FindPolicyTests returns the kyverno-test.yaml files at or under paths;
// a path that cannot be read is an error naming it.
func FindPolicyTests(paths ...string) ([]string, error) {
	return policy.FindKyvernoTests(paths...)
}

// Run runs the test files FindPolicyTests found, stopping at ctx's end.
func (PolicyTest) Run(ctx context.Context, files []string) (PolicyReport, error) {
	var r PolicyReport
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return PolicyReport{}, err
		}
		exps, err := policy.RunKyvernoTest(f)
		if err != nil {
			return PolicyReport{}, err
		}
		r.Files = append(r.Files, PolicyTestFile{Path: f, Expectations: exps})
		for _, e := range exps {
			r.Total++
			if e.Met() {
				r.Met++
			}
		}
	}
	return r, nil
}

// UnmetLine is the text form of an unmet expectation of the test file.
func UnmetLine(file string, e policy.Expectation) string {
	return fmt.Sprintf("UNMET %s: policy %s, rule %s, %s %s: want %s, got %s: %s",
		file, e.Policy, e.Rule, e.Kind, e.Resource, e.Want, e.Got, e.Message)
}
