package terraform

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// corpus returns ../shared/corpora/iac-eval relative to the repository
// root, or skips the test when it is not there.
func corpus(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpora", "iac-eval")
	if _, err := os.Stat(c); errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus %s not present", c)
	}
	return c
}

func readCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func checkMain(src string) *Module {
	return Parse([]workspace.File{{Path: "main.tf", Content: []byte(src)}})
}

func errorsOf(m *Module) []Problem {
	var out []Problem
	for _, p := range m.Problems {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

// TestIaCEvalReferences holds the checks to the 458 reference answers of
// IaC-Eval, all valid Terraform: no error may be reported on any of them.
func TestIaCEvalReferences(t *testing.T) {
	rows := readCSV(t, filepath.Join(corpus(t), "data.csv"))
	flagged := 0
	for i, r := range rows {
		if errs := errorsOf(checkMain(r["Reference output"])); len(errs) > 0 {
			flagged++
			t.Errorf("reference answer %d (%s): %d errors, first: %s:%d: %s", i+2, r["Resource"], len(errs), errs[0].File, errs[0].Line, errs[0].Message())
		}
	}
	t.Logf("reference answers: %d of %d pass the Terraform checks without a provider schema (%d flagged)", len(rows)-flagged, len(rows), flagged)
}

// schemaFree are terraform validate's error titles that need no provider
// schema to see: syntax, undeclared references, duplicates, misplaced
// expressions.
var schemaFree = map[string]bool{
	"Argument or block definition required":  true,
	"Attribute redefined":                    true,
	"Duplicate resource configuration":       true,
	"Duplicate variable declaration":         true,
	"Duplicate output definition":            true,
	"Duplicate local value definition":       true,
	"Duplicate module call":                  true,
	"Duplicate provider configuration":       true,
	"Extraneous label for resource":          true,
	"Function calls not allowed":             true,
	"Invalid block definition":               true,
	"Invalid character":                      true,
	"Invalid expression":                     true,
	"Invalid multi-line string":              true,
	"Invalid reference":                      true,
	"Missing name for resource":              true,
	"Missing newline after argument":         true,
	"Missing resource instance key":          true,
	"Reference to undeclared input variable": true,
	"Reference to undeclared local value":    true,
	"Reference to undeclared module":         true,
	"Reference to undeclared resource":       true,
	"Unclosed configuration block":           true,
	"Unterminated template string":           true,
	"Variables not allowed":                  true,
}

var (
	errorTitle = regexp.MustCompile(`Error: ([^\n]+)`)
	fence      = regexp.MustCompile("(?s)```([a-zA-Z0-9_+-]*)[^\n]*\n(.*?)```")
)

// program returns the Terraform of a model answer: its fenced hcl or
// terraform blocks, else its first fenced block, else the whole text.
func program(answer string) string {
	var tf []string
	first := ""
	for _, m := range fence.FindAllStringSubmatch(answer, -1) {
		if first == "" {
			first = m[2]
		}
		switch strings.ToLower(m[1]) {
		case "hcl", "terraform", "tf", "hcl2":
			tf = append(tf, m[2])
		}
	}
	switch {
	case len(tf) > 0:
		return strings.Join(tf, "\n")
	case first != "":
		return first
	}
	return answer
}

// TestIaCEvalModelAnswers runs the checks on the model answers that real
// terraform validate rejected for a reason visible without a provider
// schema, and reports how many aiden flags too.
func TestIaCEvalModelAnswers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus(t), "results", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no result files: %v", err)
	}
	sort.Strings(files)
	var total, caught, rejected, accepted, falseAlarms int
	missed := map[string]int{}
	for _, name := range files {
		for i, r := range readCSV(t, name) {
			src := program(r["LLM Output #0"])
			errs := errorsOf(checkMain(src))
			if r["LLM Compilable? #0"] == "True" {
				accepted++
				if len(errs) > 0 {
					falseAlarms++
					t.Logf("%s row %d: terraform accepted it, aiden says %s:%d: %s", filepath.Base(name), i+2, errs[0].File, errs[0].Line, errs[0].Message())
				}
				continue
			}
			rejected++
			var titles []string
			for _, m := range errorTitle.FindAllStringSubmatch(r["LLM Compile Phase Error #0"], -1) {
				if schemaFree[strings.TrimSpace(m[1])] {
					titles = append(titles, strings.TrimSpace(m[1]))
				}
			}
			if len(titles) == 0 {
				continue
			}
			total++
			if len(errs) > 0 {
				caught++
				continue
			}
			missed[titles[0]]++
			t.Logf("%s row %d: missed %q", filepath.Base(name), i+2, titles[0])
		}
	}
	t.Logf("model answers terraform validate rejected: %d; for a schema-free reason: %d; aiden flags %d of them (%.1f%%)",
		rejected, total, caught, 100*float64(caught)/float64(max(total, 1)))
	t.Logf("model answers terraform validate accepted: %d; aiden flags %d of them", accepted, falseAlarms)
	t.Logf("missed by title: %v", missed)
	if falseAlarms > 0 {
		t.Errorf("aiden flags %d answers terraform validate accepted, want 0", falseAlarms)
	}
	if total == 0 || float64(caught) < 0.9*float64(total) {
		t.Errorf("aiden flags %d of %d schema-free rejections, want at least 90%%", caught, total)
	}
}
