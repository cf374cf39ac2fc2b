package policy

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/stackgen/aiden/workspace"
)

// Rego evaluates conftest-style policies: in each configured package,
// rules named deny, violation and warn (or starting with deny_,
// violation_, warn_) produce messages about the input.
type Rego struct {
	files   int
	queries []regoQuery
}

type regoQuery struct {
	namespace string
	pq        rego.PreparedEvalQuery
}

// LoadRego compiles the .rego files among files (tests, *_test.rego, are
// left out: they call conftest's own built-ins) and prepares one query per
// namespace that has policies. Default namespaces: main.
func LoadRego(ctx context.Context, files []workspace.File, namespaces []string) (*Rego, error) {
	if len(namespaces) == 0 {
		namespaces = []string{"main"}
	}
	modules := map[string]*ast.Module{}
	for _, f := range files {
		if path.Ext(f.Path) != ".rego" || strings.HasSuffix(f.Path, "_test.rego") {
			continue
		}
		m, err := ast.ParseModuleWithOpts(f.Path, string(f.Content), ast.ParserOptions{})
		if err != nil {
			return nil, fmt.Errorf("parse rego: %w", err)
		}
		modules[f.Path] = m
	}
	r := &Rego{files: len(modules)}
	if len(modules) == 0 {
		return r, nil
	}
	have := map[string]bool{}
	for _, m := range modules {
		have[strings.TrimPrefix(m.Package.Path.String(), "data.")] = true
	}
	opts := []func(*rego.Rego){}
	names := make([]string, 0, len(modules))
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		opts = append(opts, rego.ParsedModule(modules[n]))
	}
	for _, ns := range namespaces {
		if !have[ns] {
			continue
		}
		q := append([]func(*rego.Rego){rego.Query("data." + ns)}, opts...)
		pq, err := rego.New(q...).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("compile rego: %w", err)
		}
		r.queries = append(r.queries, regoQuery{namespace: ns, pq: pq})
	}
	return r, nil
}

// Files returns how many Rego files were loaded.
func (r *Rego) Files() int {
	if r == nil {
		return 0
	}
	return r.files
}

// Eval evaluates every namespace's rules on one input; deny and violation
// messages are errors, warn messages warnings.
func (r *Rego) Eval(ctx context.Context, input any) ([]Finding, error) {
	if r == nil {
		return nil, nil
	}
	var out []Finding
	for _, q := range r.queries {
		rs, err := q.pq.Eval(ctx, rego.EvalInput(input))
		if err != nil {
			return nil, fmt.Errorf("evaluate rego %s: %w", q.namespace, err)
		}
		for _, res := range rs {
			for _, ex := range res.Expressions {
				doc, ok := ex.Value.(map[string]any)
				if !ok {
					continue
				}
				keys := make([]string, 0, len(doc))
				for k := range doc {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					kind := regoKind(k)
					if kind == "" {
						continue
					}
					sev := Error
					if kind == "warn" {
						sev = Warning
					}
					for _, msg := range regoMessages(doc[k]) {
						out = append(out, Finding{Rule: "rego/" + q.namespace + "/" + k, Severity: sev, Message: msg})
					}
				}
			}
		}
	}
	return out, nil
}

func regoKind(rule string) string {
	for _, k := range []string{"deny", "violation", "warn"} {
		if rule == k || strings.HasPrefix(rule, k+"_") {
			return k
		}
	}
	return ""
}

// regoMessages reads a rule's value: a set of strings, or of objects with
// a msg field, as conftest does.
func regoMessages(v any) []string {
	var out []string
	list, ok := v.([]any)
	if !ok {
		if b, isBool := v.(bool); isBool && b {
			return []string{"policy rule is true"}
		}
		return nil
	}
	for _, x := range list {
		switch t := x.(type) {
		case string:
			out = append(out, t)
		case map[string]any:
			if m, ok := t["msg"].(string); ok {
				out = append(out, m)
			} else {
				out = append(out, fmt.Sprint(t))
			}
		default:
			out = append(out, fmt.Sprint(t))
		}
	}
	sort.Strings(out)
	return out
}
