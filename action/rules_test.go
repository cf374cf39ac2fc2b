package action

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators/policy"
)

// emittedRules walks the source of the packages that make findings and
// returns every rule id they can emit, as literals: Rule fields set from a
// literal or a constant, "rule" variables assigned one, Rule* constants,
// the Helm checks' names (a chart message's check is its finding's rule),
// the ids the built-in policy pack reports (add("id", ...)), and the
// prefixes of rule families ("kyverno/" + policy + "/" + rule).
func emittedRules(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{} // id → where
	dirs := []string{"../validators", "../conventions", "../generator", "."}
	for _, root := range dirs {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "planner") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			walkFile(t, p, out)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func walkFile(t *testing.T, file string, out map[string]string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if s, ok := literal(vs.Values[i]); ok {
						consts[n.Name] = s
						if strings.HasPrefix(strings.ToLower(n.Name), "rule") {
							out[s] = fset.Position(n.Pos()).String()
						}
					}
				}
			}
		}
	}
	add := func(e ast.Expr) {
		switch v := e.(type) {
		case *ast.BasicLit:
			s, _ := literal(v)
			out[s] = fset.Position(v.Pos()).String()
		case *ast.BinaryExpr: // a family: "kyverno/" + name + ...
			for {
				l, ok := v.X.(*ast.BinaryExpr)
				if !ok {
					break
				}
				v = l
			}
			if s, ok := literal(v.X); ok {
				out[s] = fset.Position(v.Pos()).String()
			}
		}
	}
	helm := strings.Contains(filepath.ToSlash(file), "validators/helmchart/")
	builtin := strings.HasSuffix(filepath.ToSlash(file), "validators/policy/builtin.go")
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.KeyValueExpr:
			k, ok := n.Key.(*ast.Ident)
			if !ok {
				return true
			}
			if k.Name == "Rule" || (helm && k.Name == "Check") {
				if id, ok := n.Value.(*ast.Ident); ok {
					if s, ok := consts[id.Name]; ok {
						out[s] = fset.Position(id.Pos()).String()
					}
					return true
				}
				add(n.Value)
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == "rule" && i < len(n.Rhs) {
					add(n.Rhs[i])
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && builtin && sel.Sel.Name == "add" && len(n.Args) > 0 {
				add(n.Args[0])
			}
		}
		return true
	})
}

func literal(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// Every rule id a check can emit is explained, with a why and a fix.
func TestExplainEveryEmittedRule(t *testing.T) {
	emitted := emittedRules(t)
	for _, must := range []string{"schema", "render", "lint", "yaml", "kyverno/", "rego/", "conventions/naming", "terraform-schema", "credential-literal", "pdb"} {
		if _, ok := emitted[must]; !ok {
			t.Errorf("the walk missed %q: it no longer finds what the checks emit", must)
		}
	}
	for id, where := range emitted {
		probe := id
		if strings.HasSuffix(id, "/") {
			probe = id + "example/rule"
		}
		r, ok := Explain(probe)
		if !ok {
			t.Errorf("%s emits rule %q, which Explain does not know", where, id)
			continue
		}
		if r.Summary == "" || r.Why == "" || r.Fix == "" || r.Check == "" || r.Docs == "" {
			t.Errorf("rule %q is explained only in part: %+v", id, r)
		}
	}
	for _, b := range policy.Builtin {
		if _, ok := builtinWhy[b.ID]; !ok {
			t.Errorf("built-in rule %q has no why and fix", b.ID)
		}
	}
	ids := slices.Sorted(maps.Keys(emitted))
	t.Logf("%d rule ids emitted, all explained: %v", len(ids), ids)
}

func TestExplain(t *testing.T) {
	r, ok := Explain("kyverno/require-labels/check-team")
	if !ok || r.ID != "kyverno/require-labels/check-team" || r.Check != "policy" {
		t.Errorf("Explain(kyverno/...) = %+v, %v", r, ok)
	}
	if r, ok := Explain("resources"); !ok || !strings.Contains(r.Fix, "resources.limits.memory") {
		t.Errorf("Explain(resources) = %+v, %v", r, ok)
	}
	for _, id := range []string{"", "no-such-rule", "kyverno/"} {
		if _, ok := Explain(id); ok {
			t.Errorf("Explain(%q) found a rule", id)
		}
	}
	all := Rules()
	if !slices.IsSortedFunc(all, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) }) || len(all) != len(rules)+len(policy.Builtin) {
		t.Errorf("Rules() = %d rules, unsorted or incomplete", len(all))
	}
}
