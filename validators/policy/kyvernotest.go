package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Expectation is one expected result of a kyverno-test.yaml file: a
// policy's rule on one resource, and what it got.
type Expectation struct {
	// Test is the kyverno-test.yaml file.
	Test     string
	Policy   string
	Rule     string
	Kind     string
	Resource string
	// Want is the expected result; Got is aiden's.
	Want, Got Status
	// Message is aiden's message for the rule on the resource.
	Message string
}

// Met reports whether aiden's result is the expected one.
func (e Expectation) Met() bool { return e.Want == e.Got }

// kyvernoTest is the subset of cli.kyverno.io/v1alpha1 Test that offline
// evaluation uses.
type kyvernoTest struct {
	Policies  []string `json:"policies"`
	Resources []string `json:"resources"`
	Results   []struct {
		Policy    string   `json:"policy"`
		Rule      string   `json:"rule"`
		Resource  string   `json:"resource"`
		Resources []string `json:"resources"`
		Kind      string   `json:"kind"`
		Namespace string   `json:"namespace"`
		Result    Status   `json:"result"`
		Status    Status   `json:"status"`
	} `json:"results"`
}

// FindKyvernoTests returns the kyverno-test.yaml files in paths (files or
// folders, searched recursively), sorted.
func FindKyvernoTests(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("find kyverno tests: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "kyverno-test.yaml" {
				out = append(out, q)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find kyverno tests: %w", err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// RunKyvernoTest runs one kyverno-test.yaml file offline, the way `kyverno
// test` does: it applies the named policies to the named resources and
// compares each expected result with aiden's. A rule that does not match
// a resource counts as skip.
func RunKyvernoTest(file string) ([]Expectation, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("run kyverno test: %w", err)
	}
	var t kyvernoTest
	if err := yaml.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	dir := filepath.Dir(file)
	var policies []*KyvernoPolicy
	for _, p := range t.Policies {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return nil, fmt.Errorf("run kyverno test: %w", err)
		}
		ps, err := ParseKyverno(p, b)
		if err != nil {
			return nil, err
		}
		policies = append(policies, ps...)
	}
	got := map[resultKey]RuleResult{}
	for _, r := range t.Resources {
		b, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			return nil, fmt.Errorf("run kyverno test: %w", err)
		}
		objs, err := DecodeObjects(r, b)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			kind, _ := o.Content["kind"].(string)
			name, ns := objectName(o.Content)
			for _, p := range policies {
				for _, rr := range p.Apply(o.Content) {
					got[resultKey{p.Name, rr.Rule, kind, name}] = rr
					if ns != "" {
						got[resultKey{p.Name, rr.Rule, kind, ns + "/" + name}] = rr
					}
				}
			}
		}
	}
	var out []Expectation
	for _, r := range t.Results {
		want := r.Result
		if want == "" {
			want = r.Status
		}
		names := r.Resources
		if r.Resource != "" {
			names = append(names, r.Resource)
		}
		for _, n := range names {
			e := Expectation{Test: file, Policy: r.Policy, Rule: r.Rule, Kind: r.Kind, Resource: n, Want: want, Got: StatusSkip, Message: "rule did not match the resource"}
			// As kyverno test does, a Pod rule's expectation on a controller
			// is looked up under the rule's autogen names too.
			for _, rule := range []string{r.Rule, "autogen-" + r.Rule, "autogen-cronjob-" + r.Rule} {
				if rr, ok := lookup(got, r.Policy, rule, r.Kind, n); ok {
					e.Got, e.Message = rr.Status, rr.Message
					break
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func objectName(obj map[string]any) (name, namespace string) {
	md, _ := obj["metadata"].(map[string]any)
	name, _ = md["name"].(string)
	namespace, _ = md["namespace"].(string)
	return strings.TrimSpace(name), namespace
}

type resultKey struct{ policy, rule, kind, name string }

func lookup(got map[resultKey]RuleResult, policy, rule, kind, name string) (RuleResult, bool) {
	if kind != "" {
		rr, ok := got[resultKey{policy, rule, kind, name}]
		return rr, ok
	}
	for k, rr := range got {
		if k.policy == policy && k.rule == rule && k.name == name {
			return rr, true
		}
	}
	return RuleResult{}, false
}
