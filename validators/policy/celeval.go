package policy

import (
	"fmt"
	"sort"
	"strings"

	admv1 "k8s.io/api/admissionregistration/v1"

	"github.com/stackgen/aiden/internal/lazyre"
)

// StatusNeedsCluster is the outcome of a rule that cannot be evaluated
// without a cluster or a registry (a signature check, a live lookup). It
// is counted apart from errors and is never a pass.
const StatusNeedsCluster Status = "needs-cluster"

// celCompiled is one spec's compiled programs.
type celCompiled struct {
	spec            *celSpec
	matchConditions []celVariable
	variables       []celVariable
	validations     []celValidation
	audit           []celVariable
	mutations       []*celProgram
	conditions      []celVariable
}

type celValidation struct {
	v       admv1.Validation
	prg     *celProgram
	message *celProgram
}

func compileSpec(s *celSpec) *celCompiled {
	c := &celCompiled{spec: s}
	for _, m := range s.MatchConditions {
		c.matchConditions = append(c.matchConditions, celVariable{name: m.Name, prg: compileCEL(m.Expression)})
	}
	for _, v := range s.Variables {
		c.variables = append(c.variables, celVariable{name: v.Name, prg: compileCEL(v.Expression)})
	}
	for _, v := range s.Validations {
		cv := celValidation{v: v, prg: compileCEL(v.Expression)}
		if v.MessageExpression != "" {
			cv.message = compileCEL(v.MessageExpression)
		}
		c.validations = append(c.validations, cv)
	}
	for _, m := range s.Conditions {
		c.conditions = append(c.conditions, celVariable{name: m.Name, prg: compileCEL(m.Expression)})
	}
	for _, a := range s.AuditAnnotations {
		c.audit = append(c.audit, celVariable{name: a.Key, prg: compileCEL(a.ValueExpression)})
	}
	for _, m := range s.Mutations {
		switch {
		case m.ApplyConfiguration != nil:
			c.mutations = append(c.mutations, compileMutation(m.ApplyConfiguration.Expression))
		case m.JSONPatch != nil:
			c.mutations = append(c.mutations, compileMutation(m.JSONPatch.Expression))
		default:
			c.mutations = append(c.mutations, &celProgram{err: fmt.Errorf("mutation of patchType %q has no expression", m.PatchType)})
		}
	}
	return c
}

// programs compiles the policy's specs once.
func (p *CELPolicy) programs() []*celCompiled {
	p.once.Do(func() {
		p.compiled = append(p.compiled, compileSpec(&p.spec))
		for i := range p.autogen {
			p.compiled = append(p.compiled, compileSpec(&p.autogen[i]))
		}
	})
	return p.compiled
}

// Apply evaluates the policy on one object, offline, as an admission
// request would: nothing when the policy does not match, else one result
// per binding (one for a policy without bindings).
func (p *CELPolicy) Apply(obj map[string]any, c *Cluster) []RuleResult {
	return p.apply(newCELInput(obj, c))
}

// jsonMode reports whether the policy validates JSON payloads
// (evaluation.mode JSON) rather than Kubernetes objects.
func (p *CELPolicy) jsonMode() bool {
	return p.spec.Evaluation != nil && strings.EqualFold(p.spec.Evaluation.Mode, "JSON")
}

// ApplyJSON evaluates a policy in JSON mode (or one without match
// constraints) on a payload (any JSON document, a Terraform plan for
// one): its match conditions, variables and validations or conditions,
// with the payload as object.
func (p *CELPolicy) ApplyJSON(payload any, c *Cluster) []RuleResult {
	if !p.jsonMode() && p.spec.MatchConstraints != nil {
		return nil // a policy for Kubernetes objects
	}
	if c == nil {
		c = &Cluster{}
	}
	obj, _ := payload.(map[string]any)
	in := &celInput{object: obj, cluster: c, req: map[string]any{}}
	cs := p.programs()[0]
	for _, x := range c.Exceptions {
		if x.exemptsCEL(p, in) {
			return []RuleResult{{Policy: p.Name, Status: StatusSkip, Message: "skipped due to policy exception " + x.Name}}
		}
	}
	r := p.eval(cs, in, nil)
	if r == nil {
		return nil
	}
	return []RuleResult{*r}
}

func (p *CELPolicy) apply(in *celInput) []RuleResult {
	if p.jsonMode() {
		return nil
	}
	if p.Namespace != "" && in.ns != p.Namespace {
		return nil
	}
	for _, cs := range p.programs() {
		if !matchResources(cs.spec.MatchConstraints, in, true) {
			continue
		}
		for _, x := range in.cluster.Exceptions {
			if x.exemptsCEL(p, in) {
				return []RuleResult{{Policy: p.Name, Status: StatusSkip, Message: "skipped due to policy exception " + x.Name}}
			}
		}
		return p.applySpec(cs, in)
	}
	return nil
}

func (p *CELPolicy) applySpec(cs *celCompiled, in *celInput) []RuleResult {
	switch p.Kind {
	case KindImageValidatingPolicy:
		return []RuleResult{{Policy: p.Name, Status: StatusNeedsCluster,
			Message: "image signatures and attestations are verified against a registry: needs a cluster"}}
	case KindGeneratingPolicy:
		return []RuleResult{{Policy: p.Name, Status: StatusSkip,
			Message: "GeneratingPolicy creates resources in a cluster; the generated resources are not produced offline"}}
	}
	if p.Kind == KindMutatingPolicy && cs.spec.mutatesExisting() && cs.spec.TargetMatchConstraints != nil {
		return p.mutateTargets(cs, in)
	}
	if (p.Kind != KindValidatingAdmissionPolicy && p.Kind != KindMutatingAdmissionPolicy) || len(p.Bindings) == 0 {
		r := p.evalWithParams(cs, in, cs.spec.ParamRef)
		if r == nil {
			return nil
		}
		return []RuleResult{*r}
	}
	var out []RuleResult
	for _, b := range p.Bindings {
		if b.spec.MatchResources != nil && !matchResources(b.spec.MatchResources, in, false) {
			continue
		}
		r := p.evalWithParams(cs, in, b.spec.ParamRef)
		if r == nil {
			continue
		}
		r.Rule = b.Name
		out = append(out, *r)
	}
	return out
}

// evalWithParams resolves the params, then evaluates the spec with each
// (a selector may pick several; a missing one denies unless the
// reference allows it).
func (p *CELPolicy) evalWithParams(cs *celCompiled, in *celInput, ref *admv1.ParamRef) *RuleResult {
	res := func(st Status, msg string) *RuleResult {
		return &RuleResult{Policy: p.Name, Status: st, Message: msg}
	}
	pk := cs.spec.ParamKind
	if pk == nil {
		return p.eval(cs, in, nil)
	}
	if ref == nil {
		return res(StatusError, fmt.Sprintf("policy %s has paramKind %s but no paramRef", p.Name, pk.Kind))
	}
	params := findParams(in, pk, ref)
	if len(params) == 0 {
		if ref.ParameterNotFoundAction != nil && *ref.ParameterNotFoundAction == admv1.AllowAction {
			return res(StatusPass, "no params found; parameterNotFoundAction is Allow")
		}
		what := pk.Kind + " " + ref.Name
		if ref.Selector != nil {
			what = pk.Kind + " matching the paramRef selector"
		}
		return res(StatusFail, fmt.Sprintf("no params found for policy %s: %s is not among the given objects", p.Name, what))
	}
	var last *RuleResult
	for _, prm := range params {
		r := p.eval(cs, in, prm)
		if r == nil {
			continue
		}
		if r.Status != StatusPass {
			return r
		}
		last = r
	}
	return last
}

// findParams picks the param objects a reference names among the
// cluster's objects.
func findParams(in *celInput, pk *admv1.ParamKind, ref *admv1.ParamRef) []map[string]any {
	var out []map[string]any
	for _, o := range in.cluster.Objects {
		if o["apiVersion"] != pk.APIVersion || o["kind"] != pk.Kind {
			continue
		}
		name, ns := objectName(o)
		want := ref.Namespace
		if want == "" && !clusterScoped[pk.Kind] {
			want = in.ns
		}
		if want != "" && ns != want && !(ns == "" && want == "default") {
			continue
		}
		if ref.Name != "" {
			if name == ref.Name {
				out = append(out, o)
			}
			continue
		}
		in2 := &celInput{object: o}
		if ref.Selector != nil && selects(ref.Selector, in2.objectLabels()) {
			out = append(out, o)
		}
	}
	return out
}

// eval runs match conditions, then validations and audit annotations.
// nil means a match condition excluded the object.
func (p *CELPolicy) eval(cs *celCompiled, in *celInput, params map[string]any) *RuleResult {
	fail := cs.spec.FailurePolicy == nil || *cs.spec.FailurePolicy != admv1.Ignore
	act := newActivation(in, params, cs.variables)
	errResult := func(prg *celProgram, err error) *RuleResult {
		if prg.cluster || strings.Contains(err.Error(), celNeedsCluster) {
			return &RuleResult{Policy: p.Name, Status: StatusNeedsCluster, Message: celNeedsCluster + ": " + err.Error()}
		}
		if !fail {
			return &RuleResult{Policy: p.Name, Status: StatusSkip, Message: "ignored (failurePolicy Ignore): " + err.Error()}
		}
		return &RuleResult{Policy: p.Name, Status: StatusError, Message: err.Error()}
	}
	for _, m := range cs.matchConditions {
		v, err := m.prg.eval(act)
		if err != nil {
			return errResult(m.prg, err)
		}
		if b, ok := v.Value().(bool); !ok {
			return errResult(m.prg, fmt.Errorf("match condition %q is not a boolean", m.name))
		} else if !b {
			return nil
		}
	}
	if p.Kind == KindMutatingPolicy || p.Kind == KindMutatingAdmissionPolicy {
		return p.mutate(cs, act, errResult)
	}
	if p.Kind == KindDeletingPolicy {
		// As the kyverno CLI reports a DeletingPolicy: pass when every
		// condition holds (the object would be deleted), fail otherwise.
		for _, c := range cs.conditions {
			v, err := c.prg.eval(act)
			if err != nil {
				return errResult(c.prg, err)
			}
			if b, ok := v.Value().(bool); !ok || !b {
				return &RuleResult{Policy: p.Name, Status: StatusFail, Message: fmt.Sprintf("condition %q does not hold: the object would not be deleted", c.name)}
			}
		}
		return &RuleResult{Policy: p.Name, Status: StatusPass, Message: "every condition holds: the object would be deleted"}
	}
	var failed []string
	path := ""
	for _, v := range cs.validations {
		out, err := v.prg.eval(act)
		if err != nil {
			return errResult(v.prg, err)
		}
		b, ok := out.Value().(bool)
		if !ok {
			return errResult(v.prg, fmt.Errorf("validation %q does not evaluate to a boolean", v.v.Expression))
		}
		if b {
			continue
		}
		failed = append(failed, validationMessage(v, act))
		if path == "" {
			path = celPath(v.v.Expression)
		}
	}
	annotations := map[string]string{}
	for _, a := range cs.audit {
		out, err := a.prg.eval(act)
		if err != nil {
			return errResult(a.prg, err)
		}
		if s, ok := out.Value().(string); ok {
			annotations[a.name] = s
		}
	}
	if len(failed) > 0 {
		return &RuleResult{Policy: p.Name, Status: StatusFail, Message: strings.Join(failed, "; "), Path: path, Annotations: annotations}
	}
	return &RuleResult{Policy: p.Name, Status: StatusPass, Message: "validations passed", Annotations: annotations}
}

// validationMessage is Kubernetes' message for a failed validation: the
// messageExpression's value when it gives a non-empty string, else the
// message, else "failed expression: <expression>".
func validationMessage(v celValidation, act *celActivation) string {
	if v.message != nil {
		if out, err := v.message.eval(act); err == nil {
			if s, ok := out.Value().(string); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
	}
	if v.v.Message != "" {
		return v.v.Message
	}
	return "failed expression: " + strings.TrimSpace(v.v.Expression)
}

var celObjectPath = lazyre.New(`\bobject((?:\.[A-Za-z_][A-Za-z0-9_]*|\[['"][^'"]+['"]\])+)`)

// celPath guesses the JSON path a failed expression is about: the longest
// field selection on object it makes (function calls cut off).
func celPath(expr string) string {
	best := ""
	for _, m := range celObjectPath.Regexp().FindAllStringSubmatchIndex(expr, -1) {
		if m[0] > 0 && (expr[m[0]-1] == '.' || isIdentByte(expr[m[0]-1])) {
			continue // oldObject, request.object
		}
		sel := expr[m[2]:m[3]]
		var parts []string
		for sel != "" {
			if strings.HasPrefix(sel, "[") {
				end := strings.Index(sel, "]")
				parts = append(parts, strings.Trim(sel[1:end], `'"`))
				sel = sel[end+1:]
				continue
			}
			sel = sel[1:]
			end := strings.IndexAny(sel, ".[")
			if end < 0 {
				end = len(sel)
			}
			parts = append(parts, sel[:end])
			sel = sel[end:]
		}
		// a trailing method call (object.spec.x.all(...)) is not a field
		if rest := expr[m[3]:]; strings.HasPrefix(rest, "(") && len(parts) > 0 {
			parts = parts[:len(parts)-1]
		}
		if p := "/" + strings.Join(parts, "/"); len(parts) > 0 && len(p) > len(best) {
			best = p
		}
	}
	return best
}

// matchResources reports whether an object matches a MatchResources:
// a resource rule, not an excluded one, the namespace and object
// selectors. A nil MatchResources matches when nilMatches.
func matchResources(m *admv1.MatchResources, in *celInput, nilMatches bool) bool {
	if m == nil {
		return nilMatches
	}
	if !in.clusterScoped() || in.gvk.Kind == "Namespace" {
		nsName := in.ns
		if in.gvk.Kind == "Namespace" {
			nsName = in.name
		}
		lbls := in.nsLabels(nsName)
		if in.gvk.Kind == "Namespace" {
			for k, v := range in.objectLabels() {
				lbls[k] = v
			}
		}
		if !selects(m.NamespaceSelector, lbls) {
			return false
		}
	}
	if !selects(m.ObjectSelector, in.objectLabels()) {
		return false
	}
	if len(m.ResourceRules) > 0 && !anyRuleMatches(m.ResourceRules, in) {
		return false
	}
	if len(m.ExcludeResourceRules) > 0 && anyRuleMatches(m.ExcludeResourceRules, in) {
		return false
	}
	return true
}

func anyRuleMatches(rules []admv1.NamedRuleWithOperations, in *celInput) bool {
	for _, r := range rules {
		if ruleMatchesInput(r, in) {
			return true
		}
	}
	return false
}

func ruleMatchesInput(r admv1.NamedRuleWithOperations, in *celInput) bool {
	if len(r.ResourceNames) > 0 && !contains(r.ResourceNames, in.name) {
		return false
	}
	op := in.operation()
	opOK := len(r.Operations) == 0 // as the Kyverno CLI reads a rule without operations
	for _, o := range r.Operations {
		if o == admv1.OperationAll || strings.EqualFold(string(o), op) {
			opOK = true
		}
	}
	if !opOK {
		return false
	}
	if !anyOf(r.APIGroups, in.gvr.Group) || !anyOf(r.APIVersions, in.gvr.Version) {
		return false
	}
	resOK := false
	for _, res := range r.Resources {
		main, sub, _ := strings.Cut(res, "/")
		if sub != "" && sub != "*" {
			continue
		}
		if main == "*" || main == in.gvr.Resource {
			resOK = true
		}
	}
	if !resOK {
		return false
	}
	if r.Scope != nil {
		switch *r.Scope {
		case admv1.ClusterScope:
			return in.clusterScoped()
		case admv1.NamespacedScope:
			return !in.clusterScoped()
		}
	}
	return true
}

func anyOf(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
