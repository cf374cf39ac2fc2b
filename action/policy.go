package action

import (
	"context"
	"fmt"
	"strings"

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
	// Error says why the file could not be run (it does not parse, names
	// a policy or resource file that is missing...); the other files run.
	Error string `json:"error,omitempty"`
}

// PolicyReport is what a policy test run found.
type PolicyReport struct {
	// Files are the test files run, in the order found.
	Files []PolicyTestFile `json:"files"`
	// Met and Total count the expectations met and all of them.
	Met   int `json:"met"`
	Total int `json:"total"`
	// Broken counts the files that could not be run.
	Broken int `json:"broken,omitempty"`
}

// Failed is the exit rule of policy test: an unmet expectation, a test
// file that could not be run, or no expectation at all fails the run.
func (r PolicyReport) Failed() bool { return r.Met < r.Total || r.Broken > 0 || r.Total == 0 }

// FindPolicyTests returns the kyverno-test.yaml files at or under paths;
// a path that cannot be read is an error naming it.
func FindPolicyTests(paths ...string) ([]string, error) {
	return policy.FindKyvernoTests(paths...)
}

// Run runs the test files FindPolicyTests found, stopping at ctx's end. A
// file that cannot be run is reported with its error, and the others run.
func (PolicyTest) Run(ctx context.Context, files []string) (PolicyReport, error) {
	var r PolicyReport
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return PolicyReport{}, err
		}
		exps, err := policy.RunKyvernoTest(f)
		if err != nil {
			// The error names the file first; the report names it anyway.
			msg := strings.TrimPrefix(err.Error(), "run kyverno test "+f+": ")
			r.Files = append(r.Files, PolicyTestFile{Path: f, Error: msg})
			r.Broken++
			continue
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

// BrokenLine is the text form of a test file that could not be run.
func BrokenLine(file, err string) string {
	return fmt.Sprintf("ERROR %s: %s", file, err)
}

// UnmetLine is the text form of an unmet expectation of the test file.
func UnmetLine(file string, e policy.Expectation) string {
	return fmt.Sprintf("UNMET %s: policy %s, rule %s, %s %s: want %s, got %s: %s",
		file, e.Policy, e.Rule, e.Kind, e.Resource, e.Want, e.Got, e.Message)
}
