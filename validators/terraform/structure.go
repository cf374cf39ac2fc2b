package terraform

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// rootSchema lists the top-level blocks of Terraform (1.9+) and OpenTofu
// and their labels; anything else at the top level is an error there too.
var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "terraform"},
	{Type: "provider", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "ephemeral", LabelNames: []string{"type", "name"}},
	{Type: "moved"},
	{Type: "import"},
	{Type: "removed"},
	{Type: "check", LabelNames: []string{"name"}},
}}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "default"}, {Name: "type"}, {Name: "sensitive"}, {Name: "nullable"}, {Name: "ephemeral"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var conditionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"}, {Name: "depends_on"}, {Name: "ephemeral"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "precondition"}},
}

var moduleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "source", Required: true}, {Name: "version"}, {Name: "count"}, {Name: "for_each"}, {Name: "providers"}, {Name: "depends_on"}},
}

var resourceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "count"}, {Name: "for_each"}, {Name: "provider"}, {Name: "depends_on"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "lifecycle"}, {Type: "provisioner", LabelNames: []string{"type"}}, {Type: "connection"}},
}

// checkSchema picks the scoped data sources out of a check block.
var checkSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "data", LabelNames: []string{"type", "name"}}}}

var lifecycleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "create_before_destroy"}, {Name: "prevent_destroy"}, {Name: "ignore_changes"}, {Name: "replace_triggered_by"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "precondition"}, {Type: "postcondition"}},
}

// decl is one declared thing: where, and whether it has count or for_each
// (so references to it need an instance key).
type decl struct {
	rng     hcl.Range
	counted bool
}

// declarations are the module's named things, by address.
type declarations struct {
	resources map[string]decl // type.name, data.type.name, ephemeral.type.name
	variables map[string]decl
	locals    map[string]decl
	outputs   map[string]decl
	modules   map[string]decl
	providers map[string]decl // name or name.alias
	checks    map[string]decl
}

// block is a top-level block with its address.
type block struct {
	*hcl.Block
	address string
}

func (m *Module) structure() {
	d := &declarations{
		resources: map[string]decl{}, variables: map[string]decl{}, locals: map[string]decl{},
		outputs: map[string]decl{}, modules: map[string]decl{}, providers: map[string]decl{}, checks: map[string]decl{},
	}
	m.decl = d
	var blocks []block
	for _, name := range m.order {
		content, diags := m.Files[name].Body.Content(rootSchema)
		m.Problems = append(m.Problems, fromDiags(diags, RuleStructure, "")...)
		for _, b := range content.Blocks {
			blocks = append(blocks, block{Block: b, address: address(b)})
		}
	}
	// Declarations first, so references resolve across files.
	for _, b := range blocks {
		m.declare(b)
	}
	for _, b := range blocks {
		m.checkBlock(b)
	}
}

func address(b *hcl.Block) string {
	switch b.Type {
	case "resource":
		return b.Labels[0] + "." + b.Labels[1]
	case "data", "ephemeral":
		return b.Type + "." + b.Labels[0] + "." + b.Labels[1]
	case "variable":
		return "var." + b.Labels[0]
	case "output":
		return "output." + b.Labels[0]
	case "module":
		return "module." + b.Labels[0]
	case "provider":
		return "provider." + b.Labels[0]
	case "check":
		return "check." + b.Labels[0]
	}
	return b.Type
}

func (m *Module) problem(rng *hcl.Range, rule, addr, summary, detail string) {
	p := Problem{Rule: rule, Address: addr, Severity: Error, Summary: summary, Detail: detail}
	if rng != nil {
		p.File, p.Line = rng.Filename, rng.Start.Line
	}
	m.Problems = append(m.Problems, p)
}

func (m *Module) add(set map[string]decl, key string, d decl, b block, summary, what string) {
	if prev, ok := set[key]; ok {
		m.problem(&b.DefRange, RuleStructure, b.address, summary,
			fmt.Sprintf("%s was already declared at %s:%d", what, prev.rng.Filename, prev.rng.Start.Line))
		return
	}
	set[key] = d
}

func (m *Module) declare(b block) {
	d := decl{rng: b.DefRange}
	if attrs, _ := b.Body.JustAttributes(); b.Type == "resource" || b.Type == "data" || b.Type == "module" || b.Type == "ephemeral" {
		_, hasCount := attrs["count"]
		_, hasForEach := attrs["for_each"]
		d.counted = hasCount || hasForEach
		if hasCount && hasForEach {
			m.problem(&b.DefRange, RuleStructure, b.address, "Invalid combination of \"count\" and \"for_each\"",
				"the \"count\" and \"for_each\" meta-arguments are mutually exclusive, only one should be used")
		}
	}
	switch b.Type {
	case "resource":
		m.add(m.decl.resources, b.address, d, b, fmt.Sprintf("Duplicate resource %q configuration", b.Labels[0]),
			fmt.Sprintf("a %s resource named %q", b.Labels[0], b.Labels[1]))
	case "data", "ephemeral":
		m.add(m.decl.resources, b.address, d, b, fmt.Sprintf("Duplicate %s %q configuration", b.Type, b.Labels[0]),
			fmt.Sprintf("a %s %s named %q", b.Labels[0], b.Type, b.Labels[1]))
	case "variable":
		m.add(m.decl.variables, b.Labels[0], d, b, "Duplicate variable declaration", fmt.Sprintf("a variable named %q", b.Labels[0]))
	case "output":
		m.add(m.decl.outputs, b.Labels[0], d, b, "Duplicate output definition", fmt.Sprintf("an output named %q", b.Labels[0]))
	case "module":
		m.add(m.decl.modules, b.Labels[0], d, b, "Duplicate module call", fmt.Sprintf("a module named %q", b.Labels[0]))
	case "check":
		m.add(m.decl.checks, b.Labels[0], d, b, "Duplicate check block", fmt.Sprintf("a check named %q", b.Labels[0]))
		// Scoped data sources inside a check block are addressable too.
		content, _, _ := b.Body.PartialContent(checkSchema)
		for _, inner := range content.Blocks {
			m.declare(block{Block: inner, address: address(inner)})
		}
	case "provider":
		key := b.Labels[0]
		if attrs, _ := b.Body.JustAttributes(); attrs["alias"] != nil {
			if v, diags := attrs["alias"].Expr.Value(nil); !diags.HasErrors() && v.Type().FriendlyName() == "string" && v.IsKnown() && !v.IsNull() {
				key += "." + v.AsString()
			}
		}
		what := fmt.Sprintf("a default (non-aliased) %s provider configuration", b.Labels[0])
		if key != b.Labels[0] {
			what = fmt.Sprintf("a %s provider configuration with alias %q", b.Labels[0], strings.TrimPrefix(key, b.Labels[0]+"."))
		}
		m.add(m.decl.providers, key, d, b, "Duplicate provider configuration", what)
	case "locals":
		attrs, diags := b.Body.JustAttributes()
		m.Problems = append(m.Problems, fromDiags(diags, RuleStructure, "locals")...)
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := attrs[n]
			if prev, ok := m.decl.locals[n]; ok {
				m.problem(&a.NameRange, RuleStructure, "local."+n, "Duplicate local value definition",
					fmt.Sprintf("a local value named %q was already defined at %s:%d; local value names must be unique within a module", n, prev.rng.Filename, prev.rng.Start.Line))
				continue
			}
			m.decl.locals[n] = decl{rng: a.NameRange}
		}
	}
}

// checkBlock checks a top-level block's own arguments and every reference
// in it.
func (m *Module) checkBlock(b block) {
	var diags hcl.Diagnostics
	switch b.Type {
	case "variable":
		var content *hcl.BodyContent
		content, diags = b.Body.Content(variableSchema)
		for _, v := range content.Blocks {
			_, d := v.Body.Content(conditionSchema)
			diags = append(diags, d...)
		}
		if a := content.Attributes["type"]; a != nil {
			m.checkType(a, b.address)
		}
		if a := content.Attributes["default"]; a != nil && native(b) {
			// In JSON syntax a default is a literal value: "${...}" in it
			// is text, not a reference.
			m.notAllowed(a.Expr, b.address, "default values")
		}
	case "output":
		var content *hcl.BodyContent
		content, diags = b.Body.Content(outputSchema)
		for _, v := range content.Blocks {
			_, d := v.Body.Content(conditionSchema)
			diags = append(diags, d...)
		}
	case "module":
		_, _, diags = b.Body.PartialContent(moduleSchema)
	case "resource", "data", "ephemeral":
		var content *hcl.BodyContent
		content, _, diags = b.Body.PartialContent(resourceSchema)
		for _, l := range content.Blocks {
			if l.Type != "lifecycle" {
				continue
			}
			lc, d := l.Body.Content(lifecycleSchema)
			diags = append(diags, d...)
			for _, c := range lc.Blocks {
				_, d := c.Body.Content(conditionSchema)
				diags = append(diags, d...)
			}
		}
	case "terraform":
		if body, ok := b.Body.(*hclsyntax.Body); ok {
			m.notAllowedBody(body, b.address)
		}
		return
	case "moved", "removed":
		return // they name addresses that may no longer exist
	}
	m.Problems = append(m.Problems, fromDiags(diags, RuleStructure, b.address)...)

	skip := map[string]bool{}
	switch b.Type {
	case "variable":
		skip["type"], skip["default"] = true, true
	case "module":
		skip["providers"] = true
	case "resource", "data", "ephemeral":
		skip["provider"] = true
	case "import":
		skip["to"], skip["provider"] = true, true
	}
	if body, ok := b.Body.(*hclsyntax.Body); ok {
		m.walk(body, b.address, skip, nil)
		return
	}
	// JSON syntax (.tf.json): without a schema a nested block cannot be
	// told from an object value, so every property is walked as a value;
	// strings are templates whose "${...}" references must resolve.
	attrs, _ := b.Body.JustAttributes()
	for _, name := range sortedNames(attrs) {
		if !skip[name] {
			m.walkJSONProperty(name, attrs[name].Expr, b.address, nil)
		}
	}
}

// native reports whether b is written in native syntax (.tf), not JSON.
func native(b block) bool {
	_, ok := b.Body.(*hclsyntax.Body)
	return ok
}

// walkJSON resolves the references in a value of a JSON-syntax body. A
// "dynamic" property holds dynamic blocks, whose iterator is in scope in
// their content; "//" properties are comments. Keywords a native body
// takes bare (ignore_changes, when, depends_on, provider) are plain
// strings in JSON and hold no "${...}", so they need no skipping.
func (m *Module) walkJSON(expr hcl.Expression, addr string, scope map[string]bool) {
	if items, diags := hcl.ExprMap(expr); !diags.HasErrors() {
		for _, kv := range items {
			key, _ := kv.Key.Value(nil)
			name := ""
			if key.Type() == cty.String && key.IsKnown() && !key.IsNull() {
				name = key.AsString()
			}
			m.walkJSONProperty(name, kv.Value, addr, scope)
		}
		return
	}
	if list, diags := hcl.ExprList(expr); !diags.HasErrors() {
		for _, e := range list {
			m.walkJSON(e, addr, scope)
		}
		return
	}
	m.resolveTraversals(expr.Variables(), addr, scope)
}

func (m *Module) walkJSONProperty(name string, expr hcl.Expression, addr string, scope map[string]bool) {
	switch name {
	case "//":
	case "dynamic":
		m.dynamicJSON(expr, addr, scope)
	default:
		m.walkJSON(expr, addr, scope)
	}
}

// dynamicJSON walks "dynamic": {"<block type>": {for_each, iterator,
// labels, content}} (each body may also be a list of bodies).
func (m *Module) dynamicJSON(expr hcl.Expression, addr string, scope map[string]bool) {
	items, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		m.walkJSON(expr, addr, scope) // not blocks after all
		return
	}
	for _, kv := range items {
		key, _ := kv.Key.Value(nil)
		if key.Type() != cty.String || !key.IsKnown() || key.IsNull() || key.AsString() == "//" {
			continue
		}
		bodies := []hcl.Expression{kv.Value}
		if list, d := hcl.ExprList(kv.Value); !d.HasErrors() {
			bodies = list
		}
		for _, body := range bodies {
			props, d := hcl.ExprMap(body)
			if d.HasErrors() {
				m.walkJSON(body, addr, scope)
				continue
			}
			byName := map[string]hcl.Expression{}
			for _, p := range props {
				if k, _ := p.Key.Value(nil); k.Type() == cty.String && k.IsKnown() && !k.IsNull() {
					byName[k.AsString()] = p.Value
				}
			}
			iter := key.AsString()
			if it := byName["iterator"]; it != nil {
				if v, d := it.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
					iter = v.AsString()
				}
			}
			if f := byName["for_each"]; f != nil {
				m.walkJSON(f, addr, scope)
			} else {
				rng := body.Range()
				m.problem(&rng, RuleStructure, addr, "Missing required argument", "the argument \"for_each\" is required in a dynamic block")
			}
			inner := map[string]bool{iter: true}
			for k := range scope {
				inner[k] = true
			}
			for _, name := range []string{"labels", "content"} {
				if e := byName[name]; e != nil {
					m.walkJSON(e, addr, inner)
				}
			}
		}
	}
}

// walk resolves every reference in body. scope holds the names a dynamic
// block's iterator brings in.
func (m *Module) walk(body *hclsyntax.Body, addr string, skip map[string]bool, scope map[string]bool) {
	for _, name := range sortedAttrs(body.Attributes) {
		if skip[name] {
			continue
		}
		m.resolveAll(body.Attributes[name].Expr, addr, scope)
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "lifecycle":
			m.walk(b.Body, addr, map[string]bool{"ignore_changes": true}, scope)
		case "provisioner":
			// when and on_failure take keywords (destroy, continue).
			m.walk(b.Body, addr, map[string]bool{"when": true, "on_failure": true}, scope)
		case "dynamic":
			iter := ""
			if len(b.Labels) == 1 {
				iter = b.Labels[0]
			}
			if a := b.Body.Attributes["iterator"]; a != nil {
				if t, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() && len(t) == 1 {
					iter = t.RootName()
				}
			}
			if b.Body.Attributes["for_each"] == nil {
				rng := b.DefRange()
				m.problem(&rng, RuleStructure, addr, "Missing required argument", "the argument \"for_each\" is required in a dynamic block")
			}
			if a := b.Body.Attributes["for_each"]; a != nil {
				m.resolveAll(a.Expr, addr, scope)
			}
			inner := map[string]bool{iter: true}
			for k := range scope {
				inner[k] = true
			}
			if a := b.Body.Attributes["labels"]; a != nil {
				m.resolveAll(a.Expr, addr, inner)
			}
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					m.walk(c.Body, addr, nil, inner)
				}
			}
		default:
			m.walk(b.Body, addr, nil, scope)
		}
	}
}

func sortedAttrs(attrs hclsyntax.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// builtins are reference roots Terraform defines itself.
var builtins = map[string]bool{"path": true, "terraform": true, "count": true, "each": true, "self": true}

func (m *Module) resolveAll(expr hclsyntax.Expression, addr string, scope map[string]bool) {
	m.resolveTraversals(expr.Variables(), addr, scope)
}

func (m *Module) resolveTraversals(ts []hcl.Traversal, addr string, scope map[string]bool) {
	for _, t := range ts {
		m.resolve(t, addr, scope)
	}
}

func sortedNames(attrs hcl.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resolve reports a reference that names nothing declared, the way
// terraform validate words it.
func (m *Module) resolve(t hcl.Traversal, addr string, scope map[string]bool) {
	root := t.RootName()
	rng := t.SourceRange()
	if builtins[root] || scope[root] {
		return
	}
	step := func(i int) (string, bool) {
		if i >= len(t) {
			return "", false
		}
		a, ok := t[i].(hcl.TraverseAttr)
		return a.Name, ok
	}
	need := func(i int, what string) (string, bool) {
		n, ok := step(i)
		if !ok {
			m.problem(&rng, RuleStructure, addr, "Invalid reference", fmt.Sprintf("a reference to %s must be followed by %s", root, what))
		}
		return n, ok
	}
	instance := func(d decl, i int, a string) {
		if _, isAttr := step(i); d.counted && isAttr {
			m.problem(&rng, RuleStructure, addr, "Missing resource instance key",
				fmt.Sprintf("%s has \"count\" or \"for_each\" set, so references to it must name an instance, as %s[0] or %s[each.key]", a, a, a))
		}
	}
	switch root {
	case "var":
		if n, ok := need(1, "a variable name"); ok {
			if _, ok := m.decl.variables[n]; !ok {
				m.problem(&rng, RuleStructure, addr, "Reference to undeclared input variable",
					fmt.Sprintf("an input variable with the name %q has not been declared; declare it with a variable %q {} block", n, n))
			}
		}
	case "local":
		if n, ok := need(1, "a local value name"); ok {
			if _, ok := m.decl.locals[n]; !ok {
				m.problem(&rng, RuleStructure, addr, "Reference to undeclared local value",
					fmt.Sprintf("a local value with the name %q has not been declared", n))
			}
		}
	case "module":
		if n, ok := need(1, "a module name"); ok {
			d, ok := m.decl.modules[n]
			if !ok {
				m.problem(&rng, RuleStructure, addr, "Reference to undeclared module",
					fmt.Sprintf("no module call named %q is declared in this module", n))
				return
			}
			instance(d, 2, "module."+n)
		}
	case "data", "ephemeral":
		typ, ok := need(1, "a resource type")
		if !ok {
			return
		}
		n, ok := need(2, "a resource name")
		if !ok {
			return
		}
		a := root + "." + typ + "." + n
		d, ok := m.decl.resources[a]
		if !ok {
			m.problem(&rng, RuleStructure, addr, "Reference to undeclared resource",
				fmt.Sprintf("a %s resource %q %q has not been declared in this module", root, typ, n))
			return
		}
		instance(d, 3, a)
	default:
		n, ok := need(1, "a resource name")
		if !ok {
			return
		}
		a := root + "." + n
		d, ok := m.decl.resources[a]
		if !ok {
			m.problem(&rng, RuleStructure, addr, "Reference to undeclared resource",
				fmt.Sprintf("a managed resource %q %q has not been declared in this module", root, n))
			return
		}
		instance(d, 2, a)
	}
}

// checkType checks a variable's type constraint.
func (m *Module) checkType(a *hcl.Attribute, addr string) {
	if _, ok := a.Expr.(*hclsyntax.TemplateExpr); ok {
		m.problem(&a.Range, RuleStructure, addr, "Invalid quoted type constraints",
			"type constraints are written without quotes since Terraform 0.12 (string, not \"string\")")
		return
	}
	_, _, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
	m.Problems = append(m.Problems, fromDiags(diags, RuleStructure, addr)...)
}

// notAllowed reports references and function calls where Terraform needs
// a constant: variable defaults and the terraform block.
func (m *Module) notAllowed(expr hcl.Expression, addr, where string) {
	for _, t := range expr.Variables() {
		rng := t.SourceRange()
		m.problem(&rng, RuleStructure, addr, "Variables not allowed", "variables may not be used in "+where)
	}
	e, ok := expr.(hclsyntax.Expression)
	if !ok {
		return
	}
	_ = hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			rng := call.Range()
			m.problem(&rng, RuleStructure, addr, "Function calls not allowed", "functions may not be called in "+where)
		}
		return nil
	})
}

func (m *Module) notAllowedBody(body *hclsyntax.Body, addr string) {
	for _, name := range sortedAttrs(body.Attributes) {
		if name == "configuration_aliases" {
			continue
		}
		m.notAllowed(body.Attributes[name].Expr, addr, "the terraform block")
	}
	for _, b := range body.Blocks {
		if b.Type == "required_providers" {
			for _, a := range b.Body.Attributes {
				// configuration_aliases name providers, not values.
				if obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
					for _, item := range obj.Items {
						if k, ok := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok && hcl.ExprAsKeyword(k.Wrapped) == "configuration_aliases" {
							continue
						}
						m.notAllowed(item.ValueExpr, addr, "the terraform block")
					}
					continue
				}
				m.notAllowed(a.Expr, addr, "the terraform block")
			}
			continue
		}
		m.notAllowedBody(b.Body, addr)
	}
}
