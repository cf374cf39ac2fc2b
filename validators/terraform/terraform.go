// Package terraform checks Terraform modules without a network: it parses
// them with the HCL library, checks their structure the way terraform
// validate does before it loads providers (known blocks, labels,
// references, duplicates, declared variables), checks resources against a
// `terraform providers schema -json` export when one is given, and runs
// `terraform validate` (or `tofu validate`) when asked and possible.
//
// Problems with the input are returned as Problems, never as errors.
package terraform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"

	"github.com/stackgen/aiden/validators/nesting"
	"github.com/stackgen/aiden/workspace"
)

// Options configure a Checker.
type Options struct {
	// SchemaFile is the path of a `terraform providers schema -json`
	// export. Empty: resources are not checked against provider schemas.
	SchemaFile string
	// Binary is the terraform or tofu executable whose validate runs after
	// the built-in checks. Empty: none runs. "auto": terraform, else tofu,
	// when either is on PATH.
	Binary string
}

// Checker checks Terraform modules. It is safe for concurrent use.
type Checker struct {
	opts   Options
	schema *Schemas
	binary string
}

// New returns a Checker, loading the provider schema export when one is
// named.
func New(opts Options) (*Checker, error) {
	c := &Checker{opts: opts}
	if opts.SchemaFile != "" {
		b, err := os.ReadFile(opts.SchemaFile)
		if err != nil {
			return nil, fmt.Errorf("read provider schemas: %w", err)
		}
		if c.schema, err = ParseSchemas(b); err != nil {
			return nil, err
		}
	}
	c.binary = findBinary(opts.Binary)
	return c, nil
}

// Severity of a problem.
type Severity int

// Severities, lowest first.
const (
	Warning Severity = iota + 1
	Error
)

// Rules a problem can carry.
const (
	RuleSyntax    = "hcl"                // the file does not parse
	RuleStructure = "terraform"          // blocks, references, duplicates
	RuleSchema    = "terraform-schema"   // against the provider schema export
	RuleValidate  = "terraform-validate" // reported by terraform/tofu validate
	RuleTooDeep   = "terraform/too-deep" // nested deeper than the parser is given
)

// Problem is one thing wrong with a module.
type Problem struct {
	// File is the file's path as given; Line is 1-based, or 0.
	File string
	Line int
	// Address is the block the problem is in, as Terraform names it
	// (aws_s3_bucket.logs, var.region, module.vpc), when there is one.
	Address string
	Rule    string
	// Severity is Error unless the problem cannot break a run.
	Severity Severity
	// Summary is Terraform's short title ("Reference to undeclared
	// resource"); Detail says more.
	Summary string
	Detail  string
}

// Message joins summary and detail into one sentence.
func (p Problem) Message() string {
	if p.Detail == "" {
		return p.Summary
	}
	return p.Summary + ": " + p.Detail
}

// Result is what checking a set of files found.
type Result struct {
	// Modules are the folders holding .tf files, sorted.
	Modules []string
	// Problems are sorted by file and line.
	Problems []Problem
	// SchemaChecked reports whether a provider schema export was used.
	SchemaChecked bool
	// Validate says what happened to terraform/tofu validate: "" when it
	// was not asked for, otherwise what ran or why it could not.
	Validate string
}

// IsModuleFile reports whether p is a Terraform configuration file.
func IsModuleFile(p string) bool {
	return strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tf.json")
}

// Check checks every module (folder of .tf files) in files.
func (c *Checker) Check(ctx context.Context, files []workspace.File) (Result, error) {
	byDir := map[string][]workspace.File{}
	for _, f := range files {
		if IsModuleFile(f.Path) {
			d := path.Dir(f.Path)
			byDir[d] = append(byDir[d], f)
		}
	}
	var res Result
	for d := range byDir {
		res.Modules = append(res.Modules, d)
	}
	sort.Strings(res.Modules)
	var ran []string
	for _, d := range res.Modules {
		m := Parse(byDir[d])
		res.Problems = append(res.Problems, m.Problems...)
		if c.schema != nil {
			res.SchemaChecked = true
			res.Problems = append(res.Problems, c.schema.Check(m)...)
		}
		if c.opts.Binary != "" {
			msg, problems, err := c.validate(ctx, byDir[d])
			if err != nil {
				return Result{}, err
			}
			ran = append(ran, msg)
			res.Problems = append(res.Problems, problems...)
		}
	}
	if len(ran) > 0 {
		res.Validate = strings.Join(dedupe(ran), "; ")
	}
	sortProblems(res.Problems)
	return res, nil
}

// Module is one parsed Terraform module.
type Module struct {
	// Files are the parsed files by path; a file that did not parse at
	// all is missing.
	Files map[string]*hcl.File
	// Problems are the syntax and structure problems found.
	Problems []Problem

	order []string // file paths in name order
	decl  *declarations
}

// Parse parses the files of one module and checks its structure.
func Parse(files []workspace.File) *Module {
	m := &Module{Files: map[string]*hcl.File{}}
	// Terraform reads a module's files in name order, so the second of
	// two duplicates is the one reported, whatever order files came in.
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b workspace.File) int { return strings.Compare(a.Path, b.Path) })
	for _, f := range files {
		var (
			file  *hcl.File
			diags hcl.Diagnostics
		)
		if p, deep := tooDeep(f); deep {
			m.Problems = append(m.Problems, p)
			continue
		}
		if strings.HasSuffix(f.Path, ".json") {
			file, diags = hcljson.Parse(f.Content, f.Path)
		} else {
			file, diags = hclsyntax.ParseConfig(f.Content, f.Path, hcl.InitialPos)
		}
		m.Problems = append(m.Problems, fromDiags(diags, RuleSyntax, "")...)
		if file != nil && !diags.HasErrors() {
			m.Files[f.Path] = file
			m.order = append(m.order, f.Path)
		}
	}
	m.structure()
	sortProblems(m.Problems)
	return m
}

// tooDeep turns away a file nested deeper than nesting.DefaultMax before
// the HCL parser, whose recursion would overflow the stack, sees it.
func tooDeep(f workspace.File) (Problem, bool) {
	scan := nesting.HCL
	if strings.HasSuffix(f.Path, ".json") {
		scan = nesting.JSON
	}
	var ne *nesting.Error
	if err := scan(f.Content, nesting.DefaultMax); errors.As(err, &ne) {
		return Problem{File: f.Path, Line: ne.Line, Rule: RuleTooDeep, Severity: Error,
			Summary: "Nested too deeply", Detail: ne.Error()}, true
	}
	return Problem{}, false
}

func fromDiags(diags hcl.Diagnostics, rule, address string) []Problem {
	var out []Problem
	for _, d := range diags {
		p := Problem{Rule: rule, Address: address, Summary: d.Summary, Detail: d.Detail, Severity: Error}
		if d.Severity == hcl.DiagWarning {
			p.Severity = Warning
		}
		if r := d.Subject; r != nil {
			p.File, p.Line = r.Filename, r.Start.Line
		}
		out = append(out, p)
	}
	return out
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
