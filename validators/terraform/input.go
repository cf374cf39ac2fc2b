package terraform

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Input returns a file of the module in the layout conftest gives Rego
// policies for HCL2 (its parser is tmccombs/hcl2json): each block type
// maps to its labels, nested one map per label, and then to a list of
// block bodies; attribute values are JSON values when they are constants
// and "${expression}" strings when they are not. For example
//
//	resource "aws_s3_bucket" "logs" { bucket = var.name, acl = "private" }
//
// is {"resource": {"aws_s3_bucket": {"logs": [{"bucket": "${var.name}",
// "acl": "private"}]}}}. Policies written for conftest read it unchanged.
// Files in JSON syntax are returned as parsed JSON.
func (m *Module) Input(file string) (map[string]any, error) {
	f, ok := m.Files[file]
	if !ok {
		return nil, fmt.Errorf("input %s: not a parsed file of the module", file)
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		var out map[string]any
		if err := json.Unmarshal(f.Bytes, &out); err != nil {
			return nil, fmt.Errorf("input %s: %w", file, err)
		}
		return out, nil
	}
	return bodyInput(body, f.Bytes), nil
}

// Inputs returns Input for every parsed file, by path: what conftest's
// --combine mode gives a policy, as a list of {path, contents}.
func (m *Module) Inputs() (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, name := range m.order {
		in, err := m.Input(name)
		if err != nil {
			return nil, err
		}
		out[name] = in
	}
	return out, nil
}

func bodyInput(body *hclsyntax.Body, src []byte) map[string]any {
	out := map[string]any{}
	for name, a := range body.Attributes {
		out[name] = exprInput(a.Expr, src)
	}
	for _, b := range body.Blocks {
		// Walk down one map per label, then append to the list of bodies.
		parent := out
		key := b.Type
		for _, l := range b.Labels {
			next, ok := parent[key].(map[string]any)
			if !ok {
				next = map[string]any{}
				parent[key] = next
			}
			parent, key = next, l
		}
		list, _ := parent[key].([]any)
		parent[key] = append(list, bodyInput(b.Body, src))
	}
	return out
}

func exprInput(expr hclsyntax.Expression, src []byte) any {
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		out := map[string]any{}
		for _, item := range e.Items {
			key := ""
			if k, ok := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
				if kw := hcl.ExprAsKeyword(k.Wrapped); kw != "" && !k.ForceNonLiteral {
					key = kw
				}
			}
			if key == "" {
				if v, diags := item.KeyExpr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
					key = v.AsString()
				} else {
					key = "${" + source(item.KeyExpr, src) + "}"
				}
			}
			out[key] = exprInput(item.ValueExpr, src)
		}
		return out
	case *hclsyntax.TupleConsExpr:
		out := make([]any, len(e.Exprs))
		for i, x := range e.Exprs {
			out[i] = exprInput(x, src)
		}
		return out
	case *hclsyntax.TemplateExpr:
		if len(e.Variables()) > 0 || !constant(e) {
			var b strings.Builder
			for _, part := range e.Parts {
				if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
					b.WriteString(lit.Val.AsString())
					continue
				}
				b.WriteString("${" + source(part, src) + "}")
			}
			return b.String()
		}
	}
	if constant(expr) {
		v, diags := expr.Value(nil)
		if !diags.HasErrors() && v.IsWhollyKnown() {
			if got, ok := ctyToGo(v); ok {
				return got
			}
		}
	}
	return "${" + source(expr, src) + "}"
}

// constant reports whether expr has no references and no function calls.
func constant(expr hclsyntax.Expression) bool {
	if len(expr.Variables()) > 0 {
		return false
	}
	calls := false
	_ = hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if _, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			calls = true
		}
		return nil
	})
	return !calls
}

func source(expr hclsyntax.Expression, src []byte) string {
	r := expr.Range()
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(r.SliceBytes(src))
}

func ctyToGo(v cty.Value) (any, bool) {
	if v.IsNull() {
		return nil, true
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, false
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, false
	}
	return out, true
}
