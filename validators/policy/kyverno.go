package policy

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	kyvernov1 "github.com/kyverno/kyverno/api/kyverno/v1"
	"github.com/kyverno/kyverno/pkg/autogen"
	"github.com/kyverno/kyverno/pkg/config"
	enginecontext "github.com/kyverno/kyverno/pkg/engine/context"
	"github.com/kyverno/kyverno/pkg/engine/jmespath"
	"github.com/kyverno/kyverno/pkg/engine/validate"
	"github.com/kyverno/kyverno/pkg/engine/variables"
	"github.com/kyverno/kyverno/pkg/utils/match"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	Rules []kyvernov1.Rule

	background bool
	action     string
}

// RuleResult is one rule's outcome on one resource.
type RuleResult struct {
	Policy  string
	Rule    string
	Status  Status
	Message string
	// Path is the JSON path a pattern failed at, when known.
	Path string
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
		var p kyvernov1.ClusterPolicy
		if err := yaml.Unmarshal(doc, &p); err != nil {
			return nil, fmt.Errorf("parse kyverno policy in %s: %w", file, err)
		}
		var pi kyvernov1.PolicyInterface = &p
		ns := ""
		if head.Kind == "Policy" {
			np := &kyvernov1.Policy{ObjectMeta: p.ObjectMeta, Spec: p.Spec}
			ns = np.Namespace
			if ns == "" {
				ns = "default"
			}
			pi = np
		}
		kp := &KyvernoPolicy{
			Name:      p.Name,
			Namespace: ns,
			File:      file,
			Enforced:  strings.EqualFold(p.Annotations[EnforceAnnotation], "true"),
			Rules:     autogen.Default.ComputeRules(pi, ""),
			action:    string(p.Spec.ValidationFailureAction),
		}
		kp.background = p.Spec.Background == nil || *p.Spec.Background
		out = append(out, kp)
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

// kyvernoEnv is what every evaluation shares: Kyverno's JMESPath with its
// custom functions and the default configuration.
type kyvernoEnv struct {
	jp  jmespath.Interface
	cfg config.Configuration
	log logr.Logger
}

func newKyvernoEnv() *kyvernoEnv {
	cfg := config.NewDefaultConfiguration(false)
	return &kyvernoEnv{jp: jmespath.New(cfg), cfg: cfg, log: logr.Discard()}
}

var defaultEnv = sync.OnceValue(newKyvernoEnv)

// Apply evaluates the policy's rules on one object (a decoded manifest)
// as an admission CREATE would, offline. Rules that do not match the
// object yield no result.
func (p *KyvernoPolicy) Apply(obj map[string]any) []RuleResult {
	return p.apply(defaultEnv(), obj)
}

func (p *KyvernoPolicy) apply(env *kyvernoEnv, obj map[string]any) []RuleResult {
	u := unstructured.Unstructured{Object: obj}
	if p.Namespace != "" && u.GetNamespace() != p.Namespace {
		return nil
	}
	var out []RuleResult
	for i := range p.Rules {
		rule := &p.Rules[i]
		if !ruleMatches(rule, u) {
			continue
		}
		r := evalRule(env, rule, u)
		r.Policy = p.Name
		r.Rule = rule.Name
		out = append(out, r)
	}
	return out
}

// ruleMatches applies a rule's match and exclude blocks to a resource.
func ruleMatches(rule *kyvernov1.Rule, u unstructured.Unstructured) bool {
	m := rule.MatchResources
	switch {
	case len(m.Any) > 0:
		ok := false
		for _, f := range m.Any {
			if filterMatches(f.ResourceDescription, u) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	case len(m.All) > 0:
		for _, f := range m.All {
			if !filterMatches(f.ResourceDescription, u) {
				return false
			}
		}
	default:
		if !filterMatches(m.ResourceDescription, u) {
			return false
		}
	}
	x := rule.ExcludeResources
	if x == nil {
		return true
	}
	switch {
	case len(x.Any) > 0:
		for _, f := range x.Any {
			if !f.ResourceDescription.IsEmpty() && filterMatches(f.ResourceDescription, u) {
				return false
			}
		}
	case len(x.All) > 0:
		for _, f := range x.All {
			if f.ResourceDescription.IsEmpty() || !filterMatches(f.ResourceDescription, u) {
				return true
			}
		}
		return false
	default:
		if !x.ResourceDescription.IsEmpty() && filterMatches(x.ResourceDescription, u) {
			return false
		}
	}
	return true
}

// filterMatches reports whether every condition a resource description
// sets holds. User and namespace-label conditions cannot be known offline:
// users are ignored (as the kyverno CLI does without --userinfo) and
// namespaces are taken to have no labels.
func filterMatches(d kyvernov1.ResourceDescription, u unstructured.Unstructured) bool {
	if d.IsEmpty() {
		return false
	}
	gvk := schema.FromAPIVersionAndKind(u.GetAPIVersion(), u.GetKind())
	if len(d.Kinds) > 0 && !match.CheckKind(d.Kinds, gvk, "", false) {
		return false
	}
	if d.Name != "" && !match.CheckName(d.Name, u.GetName()) {
		return false
	}
	if len(d.Names) > 0 {
		ok := false
		for _, n := range d.Names {
			if match.CheckName(n, u.GetName()) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(d.Namespaces) > 0 && !match.CheckNameSpace(d.Namespaces, u) {
		return false
	}
	if len(d.Annotations) > 0 && !match.CheckAnnotations(d.Annotations, u.GetAnnotations()) {
		return false
	}
	if d.Selector != nil {
		ok, err := match.CheckSelector(d.Selector, u.GetLabels())
		if err != nil || !ok {
			return false
		}
	}
	if d.NamespaceSelector != nil {
		ok, err := match.CheckSelector(d.NamespaceSelector, map[string]string{})
		if err != nil || !ok {
			return false
		}
	}
	if len(d.Operations) > 0 {
		ok := false
		for _, op := range d.Operations {
			if op == kyvernov1.Create {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// evaluation is the state of one rule on one resource, nested once per
// foreach level.
type evaluation struct {
	env      *kyvernoEnv
	rule     *kyvernov1.Rule
	ctx      enginecontext.Interface
	resource map[string]any
	element  map[string]any // set inside an element-scoped foreach
	nesting  int
}

// spec is the validating part of a rule or of a foreach entry.
type spec struct {
	context    []kyvernov1.ContextEntry
	conditions any
	pattern    any
	anyPattern any
	deny       *kyvernov1.Deny
	foreach    []kyvernov1.ForEachValidation
	message    string
}

func evalRule(env *kyvernoEnv, rule *kyvernov1.Rule, u unstructured.Unstructured) RuleResult {
	ctx := enginecontext.NewContext(env.jp)
	if err := ctx.AddResource(u.Object); err != nil {
		return RuleResult{Status: StatusError, Message: err.Error()}
	}
	_ = ctx.AddOperation("CREATE")
	_ = ctx.AddNamespace(u.GetNamespace())
	_ = ctx.AddImageInfos(&u, env.cfg)
	e := &evaluation{env: env, rule: rule, ctx: ctx, resource: u.Object}

	switch {
	case rule.HasValidate():
		v := rule.Validation
		if v.PodSecurity != nil {
			return evalPodSecurity(v.PodSecurity, u)
		}
		if v.CEL != nil {
			return RuleResult{Status: StatusError, Message: "only pattern, anyPattern, deny, foreach and podSecurity validations are evaluated offline"}
		}
		s := spec{
			context:    rule.Context,
			conditions: rule.GetAnyAllConditions(),
			pattern:    v.GetPattern(),
			anyPattern: v.GetAnyPattern(),
			deny:       v.Deny,
			foreach:    v.ForEachValidation,
			message:    v.Message,
		}
		r := e.run(s)
		if r == nil {
			return RuleResult{Status: StatusSkip, Message: "no elements to validate"}
		}
		return *r
	case rule.HasMutate(), rule.HasGenerate():
		// aiden never changes objects; a mutate or generate rule is
		// reported as applying when it matches and its preconditions hold.
		if err := e.loadContext(rule.Context); err != nil {
			return RuleResult{Status: StatusError, Message: err.Error()}
		}
		ok, msg, err := e.conditions(rule.GetAnyAllConditions())
		if err != nil {
			return RuleResult{Status: StatusError, Message: err.Error()}
		}
		if !ok {
			return RuleResult{Status: StatusSkip, Message: joinNonEmpty("preconditions not met", msg)}
		}
		if rule.HasMutate() {
			return evalMutateConditions(rule, u)
		}
		return RuleResult{Status: StatusPass, Message: "rule applies"}
	}
	return RuleResult{Status: StatusError, Message: "rule type is not evaluated offline"}
}

// run evaluates a spec the way Kyverno's validation handler does:
// context, preconditions, then deny, pattern/anyPattern or foreach. A nil
// result means nothing was evaluated (a foreach over no elements).
func (e *evaluation) run(s spec) *RuleResult {
	if err := e.loadContext(s.context); err != nil {
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
		deny, dmsg, err := e.conditions(s.deny.GetAnyAllConditions())
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
		pat, err := e.substitute(s.pattern)
		if err != nil {
			return &RuleResult{Status: StatusError, Message: "variable substitution failed: " + err.Error()}
		}
		err = validate.MatchPattern(e.env.log, e.target(), pat)
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
	raw, err := e.substitute(s.anyPattern)
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
		err := validate.MatchPattern(e.env.log, e.target(), pat)
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

func (e *evaluation) foreachAll(list []kyvernov1.ForEachValidation) *RuleResult {
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
	v, err := e.ctx.Query(expr)
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

func (e *evaluation) elements(fe kyvernov1.ForEachValidation, elements []any) (*RuleResult, int) {
	e.ctx.Checkpoint()
	defer e.ctx.Restore()
	applied := 0
	for i, el := range elements {
		if el == nil {
			continue
		}
		e.ctx.Reset()
		if err := e.ctx.AddElement(el, i, e.nesting); err != nil {
			return &RuleResult{Status: StatusError, Message: "failed to process foreach: " + err.Error()}, applied
		}
		m, isMap := el.(map[string]any)
		scoped := isMap
		if fe.ElementScope != nil {
			if *fe.ElementScope && !isMap {
				return &RuleResult{Status: StatusError, Message: "elementScope=true needs map elements"}, applied
			}
			scoped = *fe.ElementScope
		}
		child := &evaluation{env: e.env, rule: e.rule, ctx: e.ctx, resource: e.resource, element: e.element, nesting: e.nesting + 1}
		if scoped {
			child.element = m
		}
		s := spec{
			context:    fe.Context,
			pattern:    fe.GetPattern(),
			anyPattern: fe.GetAnyPattern(),
			deny:       fe.Deny,
			foreach:    fe.GetForEachValidation(),
			message:    e.rule.Validation.Message,
		}
		if fe.AnyAllConditions != nil {
			s.conditions = *fe.AnyAllConditions
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

// conditions evaluates Kyverno conditions (preconditions or deny); no
// conditions hold trivially.
func (e *evaluation) conditions(c any) (bool, string, error) {
	if c == nil {
		return true, "", nil
	}
	return variables.EvaluateConditions(e.env.log, e.ctx, c)
}

// loadContext adds a rule's variable entries. Entries that need a cluster
// (ConfigMaps, API calls, registries) cannot be evaluated offline.
func (e *evaluation) loadContext(entries []kyvernov1.ContextEntry) error {
	for _, c := range entries {
		if c.Variable == nil {
			return fmt.Errorf("context entry %q needs a cluster", c.Name)
		}
		var value any
		var err error
		if v := c.Variable.GetValue(); v != nil {
			value, err = variables.SubstituteAll(e.env.log, e.ctx, v)
			if err != nil {
				return fmt.Errorf("context variable %q: %w", c.Name, err)
			}
		}
		if c.Variable.JMESPath != "" {
			p, err := variables.SubstituteAll(e.env.log, e.ctx, c.Variable.JMESPath)
			if err != nil {
				return fmt.Errorf("context variable %q: %w", c.Name, err)
			}
			if value != nil {
				value, err = e.env.jp.Search(p.(string), value)
			} else {
				value, err = e.ctx.Query(p.(string))
			}
			if err != nil {
				value = nil
			}
		}
		if value == nil {
			if d := c.Variable.GetDefault(); d != nil {
				value, err = variables.SubstituteAll(e.env.log, e.ctx, d)
				if err != nil {
					return fmt.Errorf("context variable %q: %w", c.Name, err)
				}
			}
		}
		if value == nil {
			return fmt.Errorf("context variable %q has no value", c.Name)
		}
		if err := e.ctx.AddVariable(c.Name, value); err != nil {
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
	if s, err := variables.SubstituteAll(e.env.log, e.ctx, msg); err == nil {
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

// substitute replaces variables and references in a pattern; most
// patterns have none, and the walk is the costly part of an evaluation.
func (e *evaluation) substitute(v any) (any, error) {
	if !hasVars(v) {
		return v, nil
	}
	return variables.SubstituteAll(e.env.log, e.ctx, v)
}

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
