package policy

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode"

	gojmespath "github.com/kyverno/go-jmespath"
	"github.com/kyverno/kyverno/pkg/engine/anchor"
	"github.com/kyverno/kyverno/pkg/engine/operator"
)

// The evaluation context is the JSON document Kyverno's expressions query:
// request.object (the resource), request.operation (CREATE, offline),
// request.namespace, images (the containers' image references), the rule's
// context variables and, inside foreach, element, elementIndex and their
// numbered forms. Writes copy the maps along their path, so a saved root
// is a checkpoint.

// evalContext is one rule's variables.
type evalContext struct {
	env  *kyvernoEnv
	data map[string]any
}

func newEvalContext(env *kyvernoEnv, obj map[string]any, images map[string]any) *evalContext {
	_, ns := objectName(obj)
	req := map[string]any{"object": obj, "operation": "CREATE", "namespace": ns}
	data := map[string]any{"request": req}
	if images != nil {
		data["images"] = images
	}
	return &evalContext{env: env, data: data}
}

// set stores value at a path of keys; with merge, a map value is merged
// into a map already there.
func (c *evalContext) set(value any, merge bool, keys ...string) {
	c.data = setIn(c.data, value, merge, keys)
}

func setIn(m map[string]any, value any, merge bool, keys []string) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	k := keys[0]
	if len(keys) == 1 {
		if nv, ok := value.(map[string]any); ok && merge {
			if old, ok := out[k].(map[string]any); ok {
				merged := make(map[string]any, len(old)+len(nv))
				for x, y := range old {
					merged[x] = y
				}
				for x, y := range nv {
					merged[x] = y
				}
				value = merged
			}
		}
		out[k] = value
		return out
	}
	child, _ := out[k].(map[string]any)
	out[k] = setIn(child, value, merge, keys[1:])
	return out
}

// addVariable adds a context variable; a dotted name nests ("a.b", with
// quoted parts for dots inside a key).
func (c *evalContext) addVariable(name string, value any) error {
	r := csv.NewReader(strings.NewReader(name))
	r.Comma = '.'
	keys, err := r.Read()
	if err != nil {
		return err
	}
	c.set(value, true, keys...)
	return nil
}

// replaceVariable sets a context variable, replacing what was there (a
// variable context entry replaces an earlier entry of the same name, as
// Kyverno's ReplaceContextEntry does, rather than merging into it).
func (c *evalContext) replaceVariable(name string, value any) error {
	r := csv.NewReader(strings.NewReader(name))
	r.Comma = '.'
	keys, err := r.Read()
	if err != nil {
		return err
	}
	c.set(value, false, keys...)
	return nil
}

// addElement makes el the current foreach element at a nesting level.
func (c *evalContext) addElement(el any, index, nesting int) {
	n := strconv.Itoa(nesting)
	c.set(el, false, "element")
	c.set(el, false, "element"+n)
	c.set(int64(index), false, "elementIndex")
	c.set(int64(index), false, "elementIndex"+n)
}

// query evaluates a JMESPath expression on the context.
func (c *evalContext) query(expr string) (any, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("invalid query (nil)")
	}
	q, err := c.env.compile(expr)
	if err != nil {
		return nil, fmt.Errorf("incorrect query %s: %w", expr, err)
	}
	v, err := q.Search(c.data, gojmespath.WithFunctionCaller(c.env.fc))
	if err != nil {
		return nil, fmt.Errorf("JMESPath query failed: %w", err)
	}
	return v, nil
}

// search evaluates a JMESPath expression on any data.
func (env *kyvernoEnv) search(expr string, data any) (any, error) {
	q, err := env.compile(expr)
	if err != nil {
		return nil, err
	}
	return q.Search(data, gojmespath.WithFunctionCaller(env.fc))
}

func (env *kyvernoEnv) compile(expr string) (*gojmespath.JMESPath, error) {
	if q, ok := env.queries.Load(expr); ok {
		return q.(*gojmespath.JMESPath), nil
	}
	q, err := gojmespath.Compile(expr)
	if err != nil {
		return nil, err
	}
	env.queries.Store(expr, q)
	return q, nil
}

// kyvernoEnv is what every evaluation shares: JMESPath with Kyverno's
// custom functions, and compiled expressions.
type kyvernoEnv struct {
	fc      *gojmespath.FunctionCaller
	queries sync.Map
}

func newKyvernoEnv() *kyvernoEnv {
	fc := gojmespath.NewFunctionCaller()
	for _, f := range kyvernoFunctions() {
		fc.Register(f)
	}
	return &kyvernoEnv{fc: fc}
}

var defaultEnv = sync.OnceValue(newKyvernoEnv)

// substituteAll resolves $(...) references, then {{ }} variables, in
// every string and key of a document, as Kyverno does before evaluating
// a pattern, a condition or a message. Most documents have neither, and
// are returned as they are without a walk.
func (e *evaluation) substituteAll(doc any) (any, error) {
	if !hasVars(doc) {
		return doc, nil
	}
	doc, err := walkStrings(doc, "", func(s, p string) (any, error) { return resolveReferences(doc, s, p) })
	if err != nil {
		return nil, err
	}
	return walkStrings(doc, "", e.substituteVars)
}

// walkStrings applies fn to every string leaf and key of a document
// (copying what it changes); p is the JSON pointer of the leaf. A leaf
// replaced by a map or list is walked in turn.
func walkStrings(v any, p string, fn func(s, p string) (any, error)) (any, error) {
	if s, ok := v.(string); ok {
		r, err := fn(s, p)
		if err != nil {
			return nil, err
		}
		v = r
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			nk, err := fn(k, p)
			if err != nil {
				return nil, err
			}
			ks, ok := nk.(string)
			if !ok {
				return nil, fmt.Errorf("expected string after substituting variables in key \"%s\"", k)
			}
			nv, err := walkStrings(x, p+"/"+strings.ReplaceAll(k, "/", `\/`), fn)
			if err != nil {
				return nil, err
			}
			out[ks] = nv
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			nv, err := walkStrings(x, p+"/"+strconv.Itoa(i), fn)
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	}
	return v, nil
}

// substituteVars replaces the {{ }} variables of one string. A string that
// is exactly one variable takes the variable's value (of any type);
// otherwise values are spelled into the string (non-strings as JSON).
// {{- x }} substitutes once, without resolving variables in the result.
func (e *evaluation) substituteVars(value, p string) (any, error) {
	vars := kyRE().variable.FindAllString(value, -1)
	for len(vars) > 0 {
		original := value
		shallow := false
		for _, v := range vars {
			old := v
			initial := kyRE().variableInit.MatchString(v)
			if !initial {
				v = v[1:]
			}
			var variable string
			variable, shallow = trimVariable(v)
			if variable == "@" {
				variable = e.atPath(p)
			}
			got, err := e.ctx.query(variable)
			if err != nil {
				return nil, fmt.Errorf("failed to resolve %v at path %s: %w", variable, p, err)
			}
			if original == v {
				return got, nil
			}
			prefix := ""
			if !initial {
				prefix = old[:1]
			}
			if s, ok := got.(string); ok && shallow {
				got = strings.ReplaceAll(s, "{{", `\{{`)
			}
			str, ok := got.(string)
			if !ok {
				b, err := json.Marshal(got)
				if err != nil {
					return nil, fmt.Errorf("failed to resolve %v at path %s: %w", variable, p, err)
				}
				str = string(b)
			}
			value = strings.Replace(value, prefix+v, prefix+str, 1)
		}
		if shallow {
			break
		}
		vars = kyRE().variable.FindAllString(value, -1)
	}
	return strings.ReplaceAll(value, `\{{`, "{{"), nil
}

func trimVariable(v string) (string, bool) {
	v = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(v, "{{", ""), "}}", ""))
	if strings.HasPrefix(v, "-") {
		return strings.TrimSpace(v[1:]), true
	}
	return v, false
}

// atPath turns {{ @ }} into the JMESPath of the same place in the
// resource (or the current element) as the string's place in the pattern.
func (e *evaluation) atPath(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	root := "request.object"
	if e.element != nil {
		root = "element"
	}
	var b strings.Builder
	b.WriteString(root)
	for _, c := range parts {
		if c == "" {
			continue
		}
		c = anchorless(c)
		if _, err := strconv.ParseUint(c, 10, 64); err == nil {
			b.WriteString("[" + c + "]")
			continue
		}
		if isIdentifier(c) {
			b.WriteString("." + c)
		} else {
			q, _ := json.Marshal(c)
			b.WriteString("." + string(q))
		}
	}
	return b.String()
}

func anchorless(k string) string {
	if a := anchor.Parse(k); a != nil {
		return a.Key()
	}
	return k
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

// resolveReferences replaces the $(path) references of one string with
// the value at that path of the document (relative paths start at the
// string's place); an operator prefix ($(>=./x)) is kept. Escaped
// references (\$(...)) lose their backslash.
func resolveReferences(doc any, value, p string) (any, error) {
	for _, ref := range kyRE().reference.FindAllString(value, -1) {
		old := ref
		prefix := ""
		if !strings.HasPrefix(ref, "$(") {
			prefix, ref = ref[:1], ref[1:]
		}
		target := strings.Trim(ref, "$()")
		op := operator.GetOperatorFromStringPattern(target)
		target = target[len(op):]
		if target == "" {
			return nil, fmt.Errorf("failed to resolve %v at path %s: expected path, found empty reference", ref, p)
		}
		if !path.IsAbs(target) {
			target = path.Join(p, target)
		}
		var found any
		findAt(doc, "", target, &found)
		if found == nil {
			return nil, fmt.Errorf("got nil resolved variable %v at path %s", ref, p)
		}
		if op == operator.Equal {
			if s, ok := found.(string); ok {
				value = strings.Replace(value, old, prefix+s, 1)
				continue
			}
			return nil, fmt.Errorf("NotResolvedReferenceErr,reference %s not resolved at path %s", ref, p)
		}
		var s string
		switch t := found.(type) {
		case string:
			s = t
		case float64:
			s = fmt.Sprintf("%f", t)
		case int64:
			s = strconv.FormatInt(t, 10)
		default:
			return nil, fmt.Errorf("failed to resolve %v at path %s: incorrect expression: operator %s does not match with value %v", ref, p, op, found)
		}
		value = strings.Replace(value, old, prefix+string(op)+s, 1)
	}
	for _, v := range kyRE().escapedRef.FindAllString(value, -1) {
		value = strings.ReplaceAll(value, v, v[1:])
	}
	return value, nil
}

// findAt finds the leaf of doc whose path, anchors removed, is target.
func findAt(v any, p, target string, found *any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			findAt(x, p+"/"+strings.ReplaceAll(k, "/", `\/`), target, found)
		}
	case []any:
		for i, x := range t {
			findAt(x, p+"/"+strconv.Itoa(i), target, found)
		}
	default:
		if anchor.RemoveAnchorsFromPath(p) == target {
			*found = v
		}
	}
}

// hasVars reports whether a document holds a variable or a reference.
func hasVars(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.Contains(t, "{{") || strings.Contains(t, "$(")
	case map[string]any:
		for k, x := range t {
			if hasVars(k) || hasVars(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if hasVars(x) {
				return true
			}
		}
	}
	return false
}
