package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/go-logr/logr"
	"github.com/kyverno/kyverno/pkg/engine/validate"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// EnforceAnnotation marks the Kyverno policies aiden applies by default.
const EnforceAnnotation = "stackgen.io/ai-enforce"

// Status is the outcome of one rule on one resource, with Kyverno's words.
type Status string

// Rule outcomes.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusSkip  Status = "skip"  // the rule matched but did not apply (preconditions, conditional anchors)
	StatusError Status = "error" // the rule could not be evaluated offline
	// StatusWarn is a failure of a policy annotated
	// policies.kyverno.io/scored: "false", which Kyverno reports as a warning.
	StatusWarn Status = "warn"
)

// KyvernoPolicy is a parsed kyverno.io/v1 ClusterPolicy or Policy with its
// rules extended to Pod controllers the way Kyverno extends them.
type KyvernoPolicy struct {
	// Name is the policy's metadata.name.
	Name string
	// Namespace is set for a namespaced Policy, which only applies there.
	Namespace string
	// File is the file the policy came from.
	File string
	// Enforced says whether the policy carries stackgen.io/ai-enforce: "true".
	Enforced bool
	// Rules are the policy's rules followed by the generated autogen-* rules.
	Rules []KyvernoRule

	background bool
	action     string
	unscored   bool // policies.kyverno.io/scored: "false"
}

// RuleResult is one rule's outcome on one resource.
type RuleResult struct {
	Policy  string
	Rule    string
	Status  Status
	Message string
	// Path is the JSON path a pattern failed at, when known.
	Path string
	// Annotations are a CEL policy's audit annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Patched is the object a mutation produced, when it applies. For a
	// classic mutate rule it is the policy's final object, after all its
	// mutate rules (the object as given when they change nothing).
	Patched map[string]any `json:"-"`
	// Targets are the patched targets of a mutate-existing rule.
	Targets []map[string]any `json:"-"`
}

// ParseKyverno reads every kyverno.io ClusterPolicy and Policy in a YAML
// file (other documents are ignored).
func ParseKyverno(file string, content []byte) ([]*KyvernoPolicy, error) {
	var out []*KyvernoPolicy
	for _, doc := range splitYAML(content) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			continue
		}
		if !strings.HasPrefix(head.APIVersion, "kyverno.io/") || (head.Kind != "ClusterPolicy" && head.Kind != "Policy") {
			continue
		}
		var p kyvernoDoc
		if err := yaml.Unmarshal(doc, &p); err != nil {
			return nil, fmt.Errorf("parse kyverno policy in %s: %w", file, err)
		}
		ns := ""
		if head.Kind == "Policy" {
			ns = cmp.Or(p.Metadata.Namespace, "default")
		}
		rules := autogenRules(p.Spec.Rules, p.Metadata.Annotations)
		for i := range rules {
			rules[i].policy = p.Metadata.Name
			if rules[i].Validate != nil && rules[i].Validate.CEL != nil {
				rules[i].cel, rules[i].celErr = celRule(p.Metadata.Name, &rules[i])
			}
		}
		out = append(out, &KyvernoPolicy{
			Name:       p.Metadata.Name,
			Namespace:  ns,
			File:       file,
			Enforced:   strings.EqualFold(p.Metadata.Annotations[EnforceAnnotation], "true"),
			Rules:      rules,
			action:     p.Spec.ValidationFailureAction,
			background: p.Spec.Background == nil || *p.Spec.Background,
			unscored:   p.Metadata.Annotations["policies.kyverno.io/scored"] == "false",
		})
	}
	return out, nil
}

// splitYAML splits a multi-document YAML stream.
func splitYAML(content []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if len(bytes.TrimSpace(cur.Bytes())) > 0 {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
		}
		cur.Reset()
	}
	for _, line := range bytes.SplitAfter(content, []byte("\n")) {
		t := bytes.TrimRight(line, " \t\r\n")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			flush()
			continue
		}
		cur.Write(line)
	}
	flush()
	return docs
}

// discardLog is the logger Kyverno's pattern matcher is given.
var discardLog = logr.Discard()

// Apply evaluates the policy's rules on one object (a decoded manifest)
// as an admission CREATE would, offline. Rules that do not match the
// object yield no result.
func (p *KyvernoPolicy) Apply(obj map[string]any) []RuleResult {
	return p.apply(defaultEnv(), obj, nil)
}

// ApplyIn is Apply with what is known of the cluster (namespaces, params,
// user); nil knows nothing.
func (p *KyvernoPolicy) ApplyIn(obj map[string]any, c *Cluster) []RuleResult {
	return p.apply(defaultEnv(), obj, c)
}

func (p *KyvernoPolicy) apply(env *kyvernoEnv, obj map[string]any, c *Cluster) (out []RuleResult) {
	if _, ns := objectName(obj); p.Namespace != "" && ns != p.Namespace {
		return nil
	}
	var images map[string]any
	imagesDone := false
	base := c
	// Rules apply in order, each to the object as the mutate rules before
	// it left it; every mutation's result carries the policy's final
	// patched object, as Kyverno's policy response does.
	var mutated []int
	for i := range p.Rules {
		rule := &p.Rules[i]
		c := base
		if op := valuesOperation(c, p.Name, rule.Name, obj); op != "" {
			// a test's values may set the operation (request.operation)
			cc := *c
			cc.Operation = op
			c = &cc
		}
		if !ruleMatches(rule, obj, c) {
			continue
		}
		if !imagesDone {
			images, imagesDone = imageInfos(obj), true
		}
		if x := exemptedBy(env, p, rule, obj, c); x != "" {
			out = append(out, RuleResult{Policy: p.Name, Rule: rule.Name, Status: StatusSkip, Message: "rule skipped due to policy exception " + x})
			continue
		}
		r := evalRule(env, rule, obj, images, c)
		if rule.hasMutate() && r.Status != StatusError {
			if r.Patched != nil {
				obj = r.Patched
			}
			mutated = append(mutated, len(out))
		}
		if r.Status == StatusFail && p.unscored {
			r.Status = StatusWarn
		}
		r.Policy = p.Name
		r.Rule = rule.Name
		out = append(out, r)
	}
	for _, i := range mutated {
		out[i].Patched = obj
	}
	return out
}

// exemptedBy names the PolicyException that exempts the object from the
// rule, or "".
func exemptedBy(env *kyvernoEnv, p *KyvernoPolicy, rule *KyvernoRule, obj map[string]any, c *Cluster) string {
	if c == nil {
		return ""
	}
	for _, x := range c.Exceptions {
		if x.exempts(env, p, rule, obj, c) {
			return x.Name
		}
	}
	return ""
}

// evaluation is the state of one rule on one resource, nested once per
// foreach level.
type evaluation struct {
	env      *kyvernoEnv
	rule     *KyvernoRule
	ctx      *evalContext
	resource map[string]any
	element  map[string]any // set inside an element-scoped foreach
	nesting  int
	// values are a test's values for the rule and resource; a context
	// entry they name is answered by them.
	values map[string]any
	// cluster answers configMap and apiCall context entries when it holds
	// the objects they name; nil knows nothing.
	cluster *Cluster
}

// spec is the validating part of a rule or of a foreach entry.
type spec struct {
	context    []kyContextEntry
	conditions any
	pattern    any
	anyPattern any
	deny       *kyDeny
	foreach    []kyForeach
	message    string
}

func evalRule(env *kyvernoEnv, rule *KyvernoRule, obj map[string]any, images map[string]any, c *Cluster) RuleResult {
	e := &evaluation{env: env, rule: rule, ctx: newEvalContext(env, obj, images), resource: obj, cluster: c}
	if c != nil {
		if op := strings.ToUpper(c.Operation); op != "" && op != "CREATE" {
			e.ctx.set(op, false, "request", "operation")
			if op == "DELETE" {
				e.ctx.set(obj, false, "request", "oldObject")
				e.ctx.set(map[string]any{}, false, "request", "object")
			}
		}
		e.values = c.ruleValues(rule.policy, rule.Name, obj)
		e.ctx.setUser(c)
		for _, k := range sortedKeys(e.values) {
			if err := e.ctx.addVariable(k, e.values[k]); err != nil {
				return RuleResult{Status: StatusError, Message: fmt.Sprintf("value %q: %v", k, err)}
			}
		}
	}
	switch {
	case rule.hasValidate():
		v := rule.Validate
		if v.PodSecurity != nil {
			return evalPodSecurity(v.PodSecurity, obj)
		}
		if v.CEL != nil {
			return evalCELRule(rule, obj, c)
		}
		s := spec{
			context:    rule.Context,
			conditions: rule.Preconditions,
			pattern:    v.Pattern,
			anyPattern: v.AnyPattern,
			deny:       v.Deny,
			foreach:    v.Foreach,
			message:    v.Message,
		}
		r := e.run(s)
		if r == nil {
			return RuleResult{Status: StatusSkip, Message: "no elements to validate"}
		}
		return *r
	case rule.hasMutate(), rule.hasGenerate():
		// A mutate rule produces the patched object (mutate.go); a
		// generate rule is reported as applying when it matches and its
		// preconditions hold.
		if err := e.loadContext(rule.Context); err != nil {
			return RuleResult{Status: StatusError, Message: err.Error()}
		}
		ok, msg, err := e.conditions(rule.Preconditions)
		if err != nil {
			return RuleResult{Status: StatusError, Message: err.Error()}
		}
		if !ok {
			return RuleResult{Status: StatusSkip, Message: joinNonEmpty("preconditions not met", msg)}
		}
		if rule.hasMutate() {
			return e.mutateRule(rule.Mutate)
		}
		return RuleResult{Status: StatusPass, Message: "rule applies (the generated resource is not produced offline)"}
	}
	if len(rule.VerifyImages) > 0 {
		return RuleResult{Status: StatusNeedsCluster, Message: "image verification checks signatures and attestations in a registry: needs a cluster"}
	}
	return RuleResult{Status: StatusError, Message: "rule type is not evaluated offline"}
}

// run evaluates a spec the way Kyverno's validation handler does:
// context, preconditions, then deny, pattern/anyPattern or foreach. A nil
// result means nothing was evaluated (a foreach over no elements).
func (e *evaluation) run(s spec) *RuleResult {
	if err := e.loadContext(s.context); err != nil {
		if strings.Contains(err.Error(), "needs a cluster") {
			return &RuleResult{Status: StatusNeedsCluster, Message: "failed to load context: " + err.Error()}
		}
		return &RuleResult{Status: StatusError, Message: "failed to load context: " + err.Error()}
	}
	ok, msg, err := e.conditions(s.conditions)
	if err != nil {
		return &RuleResult{Status: StatusError, Message: "failed to evaluate preconditions: " + err.Error()}
	}
	if !ok {
		return &RuleResult{Status: StatusSkip, Message: joinNonEmpty("preconditions not met", msg)}
	}
	switch {
	case s.deny != nil:
		deny, dmsg, err := e.conditions(s.deny.Conditions)
		if err != nil {
			return &RuleResult{Status: StatusError, Message: "failed to check deny conditions: " + err.Error()}
		}
		if deny {
			return &RuleResult{Status: StatusFail, Message: e.message(s.message, dmsg, "")}
		}
		return &RuleResult{Status: StatusPass, Message: "deny conditions not met"}
	case s.pattern != nil || s.anyPattern != nil:
		return e.patterns(s)
	case len(s.foreach) > 0:
		return e.foreachAll(s.foreach)
	}
	return &RuleResult{Status: StatusError, Message: "invalid validation rule: pattern, anyPattern, deny or foreach expected"}
}

func (e *evaluation) target() map[string]any {
	if e.element != nil {
		return e.element
	}
	return e.resource
}

func (e *evaluation) patterns(s spec) *RuleResult {
	if s.pattern != nil {
		pat, err := e.substituteAll(s.pattern)
		if err != nil {
			return &RuleResult{Status: StatusError, Message: "variable substitution failed: " + err.Error()}
		}
		err = validate.MatchPattern(discardLog, e.target(), pat)
		if err == nil {
			return &RuleResult{Status: StatusPass, Message: fmt.Sprintf("validation rule '%s' passed.", e.rule.Name)}
		}
		var pe *validate.PatternError
		if errors.As(err, &pe) {
			if pe.Skip {
				return &RuleResult{Status: StatusSkip, Message: pe.Error()}
			}
			if pe.Path != "" {
				return &RuleResult{Status: StatusFail, Message: e.message(s.message, "", pe.Path), Path: pe.Path}
			}
		}
		return &RuleResult{Status: StatusError, Message: e.message(s.message, err.Error(), "")}
	}
	raw, err := e.substituteAll(s.anyPattern)
	if err != nil {
		return &RuleResult{Status: StatusError, Message: "variable substitution failed: " + err.Error()}
	}
	list, ok := raw.([]any)
	if !ok {
		return &RuleResult{Status: StatusError, Message: "failed to deserialize anyPattern, expected type array"}
	}
	var failed, skipped []string
	firstPath := ""
	for i, pat := range list {
		err := validate.MatchPattern(discardLog, e.target(), pat)
		if err == nil {
			return &RuleResult{Status: StatusPass, Message: fmt.Sprintf("validation rule '%s' anyPattern[%d] passed.", e.rule.Name, i)}
		}
		var pe *validate.PatternError
		if !errors.As(err, &pe) {
			continue
		}
		switch {
		case pe.Skip:
			skipped = append(skipped, fmt.Sprintf("rule %s[%d] skipped: %s", e.rule.Name, i, err))
		case pe.Path == "":
			failed = append(failed, fmt.Sprintf("rule %s[%d] failed: %s", e.rule.Name, i, err))
		default:
			if firstPath == "" {
				firstPath = pe.Path
			}
			failed = append(failed, fmt.Sprintf("rule %s[%d] failed at path %s", e.rule.Name, i, pe.Path))
		}
	}
	if len(failed) > 0 {
		return &RuleResult{Status: StatusFail, Message: e.message(s.message, strings.Join(failed, " "), ""), Path: firstPath}
	}
	if len(skipped) > 0 {
		return &RuleResult{Status: StatusSkip, Message: strings.Join(skipped, " ")}
	}
	return &RuleResult{Status: StatusPass, Message: s.message}
}

func (e *evaluation) foreachAll(list []kyForeach) *RuleResult {
	applied := 0
	var listErr error
	for _, fe := range list {
		elements, err := e.evaluateList(fe.List)
		if err != nil {
			if strings.Contains(err.Error(), "Unknown key") {
				continue // an optional field that is absent
			}
			listErr = err
			continue
		}
		r, n := e.elements(fe, elements)
		if r.Status != StatusPass {
			return r
		}
		applied += n
	}
	if applied == 0 {
		if listErr != nil {
			return &RuleResult{Status: StatusError, Message: "failed to evaluate list: " + listErr.Error()}
		}
		return nil
	}
	return &RuleResult{Status: StatusPass, Message: "rule passed"}
}

func (e *evaluation) evaluateList(expr string) ([]any, error) {
	v, err := e.ctx.query(expr)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case []any:
		return t, nil
	case []map[string]any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = t[i]
		}
		return out, nil
	}
	return []any{v}, nil
}

func (e *evaluation) elements(fe kyForeach, elements []any) (*RuleResult, int) {
	saved := e.ctx.data
	defer func() { e.ctx.data = saved }()
	applied := 0
	for i, el := range elements {
		if el == nil {
			continue
		}
		e.ctx.data = saved
		e.ctx.addElement(el, i, e.nesting)
		m, isMap := el.(map[string]any)
		scoped := isMap
		if fe.ElementScope != nil {
			if *fe.ElementScope && !isMap {
				return &RuleResult{Status: StatusError, Message: "elementScope=true needs map elements"}, applied
			}
			scoped = *fe.ElementScope
		}
		child := &evaluation{env: e.env, rule: e.rule, ctx: e.ctx, resource: e.resource, element: e.element, nesting: e.nesting + 1, values: e.values, cluster: e.cluster}
		if scoped {
			child.element = m
		}
		s := spec{
			context:    fe.Context,
			conditions: fe.Preconditions,
			pattern:    fe.Pattern,
			anyPattern: fe.AnyPattern,
			deny:       fe.Deny,
			foreach:    fe.Foreach,
			message:    e.rule.Validate.Message,
		}
		r := child.run(s)
		if r == nil || r.Status == StatusSkip {
			continue
		}
		if r.Status != StatusPass {
			if r.Status == StatusError && strings.Contains(r.Message, "failed to evaluate preconditions") {
				continue
			}
			return r, applied
		}
		applied++
	}
	return &RuleResult{Status: StatusPass}, applied
}

// loadContext adds a rule's variable entries. Entries that need a cluster
// (ConfigMaps, API calls, registries) cannot be evaluated offline.
func (e *evaluation) loadContext(entries []kyContextEntry) error {
	for _, c := range entries {
		if answered(e.values, c.Name) {
			continue
		}
		if c.Variable == nil {
			value, err := e.lookupContext(c)
			if err != nil {
				return err
			}
			if err := e.ctx.addVariable(c.Name, value); err != nil {
				return fmt.Errorf("context entry %q: %w", c.Name, err)
			}
			continue
		}
		var value any
		var err error
		if v := c.Variable.Value; v != nil {
			value, err = e.substituteAll(v)
			if err != nil {
				return fmt.Errorf("context variable %q: %w", c.Name, err)
			}
		}
		if c.Variable.JMESPath != "" {
			p, err := e.substituteAll(c.Variable.JMESPath)
			if err != nil {
				return fmt.Errorf("context variable %q: %w", c.Name, err)
			}
			expr, _ := p.(string)
			if value != nil {
				value, err = e.env.search(expr, value)
			} else {
				value, err = e.ctx.query(expr)
			}
			if err != nil {
				value = nil
			}
		}
		if value == nil {
			if d := c.Variable.Default; d != nil {
				value, err = e.substituteAll(d)
				if err != nil {
					return fmt.Errorf("context variable %q: %w", c.Name, err)
				}
			}
		}
		if value == nil {
			return fmt.Errorf("context variable %q has no value", c.Name)
		}
		if err := e.ctx.replaceVariable(c.Name, value); err != nil {
			return fmt.Errorf("context variable %q: %w", c.Name, err)
		}
	}
	return nil
}

// message builds a failure message as Kyverno does: the rule's message
// with variables substituted, then where it failed.
func (e *evaluation) message(msg, detail, path string) string {
	if msg == "" {
		if path != "" {
			return fmt.Sprintf("validation error: rule %s failed at path %s", e.rule.Name, path)
		}
		return joinNonEmpty(fmt.Sprintf("validation error: rule %s failed", e.rule.Name), detail)
	}
	if s, err := e.substituteAll(msg); err == nil {
		if str, ok := s.(string); ok {
			msg = str
		}
	}
	return msg
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// LoadKyverno parses the Kyverno policies among files (YAML files whose
// documents are kyverno.io ClusterPolicies or Policies). With all false,
// only policies annotated stackgen.io/ai-enforce: "true" are kept.
func LoadKyverno(files []workspace.File, all bool) ([]*KyvernoPolicy, error) {
	var out []*KyvernoPolicy
	for _, f := range files {
		switch strings.ToLower(path.Ext(f.Path)) {
		case ".yaml", ".yml":
		default:
			continue
		}
		if !bytes.Contains(f.Content, []byte("kyverno.io/")) {
			continue
		}
		ps, err := ParseKyverno(f.Path, f.Content)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if all || p.Enforced {
				out = append(out, p)
			}
		}
	}
	return out, nil
}
