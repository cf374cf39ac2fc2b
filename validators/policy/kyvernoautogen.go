package policy

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Autogen: Kyverno extends a policy whose rules match Pods to the Pod
// controllers, so that a Deployment is checked when it is applied rather
// than its Pods when they are created. For every Pod rule it adds
// autogen-<rule> (DaemonSet, Deployment, Job, StatefulSet, ReplicaSet,
// ReplicationController: the pattern moves under spec.template) and
// autogen-cronjob-<rule> (CronJob: under spec.jobTemplate.spec.template),
// and rewrites request.object.spec and .metadata in its expressions. The
// annotation pod-policies.kyverno.io/autogen-controllers narrows the
// controllers ("none" turns it off).

// AutogenAnnotation names the Pod controllers a policy's Pod rules are
// extended to.
const AutogenAnnotation = "pod-policies.kyverno.io/autogen-controllers"

// podControllers are the kinds autogen extends Pod rules to.
var podControllers = []string{"DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob"}

// controllerGVK spells a Pod controller kind the way generated rules match it.
var controllerGVK = map[string]string{
	"DaemonSet":             "apps/v1/DaemonSet",
	"Deployment":            "apps/v1/Deployment",
	"Job":                   "batch/v1/Job",
	"StatefulSet":           "apps/v1/StatefulSet",
	"ReplicaSet":            "apps/v1/ReplicaSet",
	"ReplicationController": "v1/ReplicationController",
	"CronJob":               "batch/v1/CronJob",
	"Pod":                   "v1/Pod",
}

// autogenRules returns a policy's rules followed by the rules generated
// for Pod controllers.
func autogenRules(rules []KyvernoRule, annotations map[string]string) []KyvernoRule {
	if !canAutogen(rules) {
		return rules
	}
	controllers := strings.Join(podControllers, ",")
	if a, ok := annotations[AutogenAnnotation]; ok {
		controllers = a
	}
	if controllers == "none" {
		return rules
	}
	var generated []KyvernoRule
	for i := range rules {
		pod, cron := podRewrites, cronJobRewrites
		if rules[i].Validate != nil && rules[i].Validate.CEL != nil {
			pod, cron = podCELRewrites, cronJobCELRewrites
		}
		if r := rulesForControllers(&rules[i], withoutCronJob(controllers)); r != nil {
			generated = append(generated, rewriteExpressions(r, pod))
		}
		if r := ruleForCronJob(&rules[i], controllers); r != nil {
			generated = append(generated, rewriteExpressions(r, cron))
		}
	}
	if len(generated) == 0 {
		return rules
	}
	var out []KyvernoRule
	for _, r := range rules {
		if !strings.HasPrefix(r.Name, "autogen-") {
			out = append(out, r)
		}
	}
	return append(out, generated...)
}

// canAutogen reports whether a policy's rules can be extended: no generate
// or JSON-patch rules, no filter by name, selector or annotations, no
// filter mixing Pod with other kinds, and some filter on Pods or
// controllers.
func canAutogen(rules []KyvernoRule) bool {
	needed := false
	supported := func(d *kyResource) bool {
		if d.Name != "" || len(d.Names) > 0 || d.Selector != nil || d.Annotations != nil || (len(d.Kinds) > 1 && containsKind(d.Kinds, "Pod")) {
			return false
		}
		for _, k := range d.Kinds {
			if k == "Pod" || isPodController(k) {
				needed = true
			}
		}
		return true
	}
	for i := range rules {
		r := &rules[i]
		if r.hasGenerate() {
			return false
		}
		if r.Mutate != nil {
			if r.Mutate.PatchesJSON6902 != "" {
				return false
			}
			for _, f := range r.Mutate.Foreach {
				if f.PatchesJSON6902 != "" {
					return false
				}
			}
		}
		blocks := []*kyMatch{&r.Match}
		if r.Exclude != nil {
			blocks = append(blocks, r.Exclude)
		}
		for _, m := range blocks {
			if !supported(&m.Resources) {
				return false
			}
			for j := range m.Any {
				if !supported(&m.Any[j].Resources) {
					return false
				}
			}
			for j := range m.All {
				if !supported(&m.All[j].Resources) {
					return false
				}
			}
		}
	}
	return needed
}

func isPodController(kind string) bool {
	for _, c := range podControllers {
		if c == kind {
			return true
		}
	}
	return false
}

func withoutCronJob(controllers string) string {
	var out []string
	for _, c := range sortedSplit(controllers) {
		if c != "CronJob" {
			out = append(out, c)
		}
	}
	return strings.Join(out, ",")
}

func sortedSplit(s string) []string {
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return parts
}

// kinds lists every kind a match block names.
func (m *kyMatch) kinds() []string {
	kinds := append([]string(nil), m.Resources.Kinds...)
	for _, f := range m.All {
		kinds = append(kinds, f.Resources.Kinds...)
	}
	for _, f := range m.Any {
		kinds = append(kinds, f.Resources.Kinds...)
	}
	return kinds
}

// rulesForControllers builds autogen-<rule> for the controllers other than
// CronJob, or nil when the rule is not a Pod rule.
func rulesForControllers(rule *KyvernoRule, controllers string) *KyvernoRule {
	if strings.HasPrefix(rule.Name, "autogen-") || controllers == "" {
		return nil
	}
	var excludeKinds []string
	if rule.Exclude != nil {
		excludeKinds = rule.Exclude.kinds()
	}
	if !containsKind(rule.Match.kinds(), "Pod") || (len(excludeKinds) > 0 && !containsKind(excludeKinds, "Pod")) {
		return nil
	}
	var kinds []string
	if controllers == "all" {
		kinds = podControllers[:6]
	} else {
		for _, c := range sortedSplit(controllers) {
			if isPodController(c) && c != "CronJob" {
				kinds = append(kinds, c)
			}
		}
		if len(kinds) == 0 {
			kinds = sortedSplit(controllers)
		}
	}
	retarget := func(fs []kyFilter) []kyFilter {
		out := make([]kyFilter, len(fs))
		copy(out, fs)
		for i := range out {
			if containsKind(out[i].Resources.Kinds, "Pod") {
				out[i].Resources.Kinds = toGVK(kinds)
			}
		}
		return out
	}
	return shiftRule(ruleName("autogen", rule.Name), rule, "template", "spec/template", kinds, retarget)
}

// ruleForCronJob builds autogen-cronjob-<rule> when CronJob is among the
// controllers.
func ruleForCronJob(rule *KyvernoRule, controllers string) *KyvernoRule {
	if !strings.Contains(controllers, "CronJob") && !strings.Contains(controllers, "all") {
		return nil
	}
	kinds := []string{"CronJob"}
	retarget := func(fs []kyFilter) []kyFilter {
		out := make([]kyFilter, len(fs))
		copy(out, fs)
		for i := range out {
			out[i].Resources.Kinds = toGVK(kinds)
		}
		return out
	}
	return shiftRule(ruleName("autogen-cronjob", rule.Name), rulesForControllers(rule, controllers), "jobTemplate", "spec/jobTemplate/spec/template", kinds, retarget)
}

func ruleName(prefix, name string) string {
	name = prefix + "-" + name
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

func toGVK(kinds []string) []string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if g, ok := controllerGVK[k]; ok {
			k = g
		}
		out = append(out, k)
	}
	return out
}

// shiftRule copies a rule under a new name, matching kinds instead of Pods
// and with its pattern or patch moved under spec.<tplKey>. It returns nil
// for rules with nothing to move (a mutation without a patch, for one).
func shiftRule(name string, rule *KyvernoRule, tplKey, shift string, kinds []string, retarget func([]kyFilter) []kyFilter) *KyvernoRule {
	if rule == nil {
		return nil
	}
	r := cloneRule(rule)
	r.Name = name
	switch {
	case len(r.Match.Any) > 0:
		r.Match.Any = retarget(r.Match.Any)
	case len(r.Match.All) > 0:
		r.Match.All = retarget(r.Match.All)
	default:
		r.Match.Resources.Kinds = toGVK(kinds)
	}
	if x := r.Exclude; x != nil {
		switch {
		case len(x.Any) > 0:
			x.Any = retarget(x.Any)
		case len(x.All) > 0:
			x.All = retarget(x.All)
		case len(x.Resources.Kinds) > 0:
			x.Resources.Kinds = toGVK(kinds)
		}
	}
	wrap := func(v any) any { return map[string]any{"spec": map[string]any{tplKey: v}} }
	if m := r.Mutate; m != nil {
		if m.PatchStrategicMerge != nil {
			r.Mutate = &kyMutation{PatchStrategicMerge: wrap(m.PatchStrategicMerge)}
			return r
		}
		if len(m.Foreach) > 0 {
			var fs []kyForeachMutation
			for _, f := range m.Foreach {
				fs = append(fs, kyForeachMutation{List: f.List, Context: f.Context, Preconditions: f.Preconditions, PatchStrategicMerge: wrap(f.PatchStrategicMerge)})
			}
			r.Mutate = &kyMutation{Foreach: fs}
			return r
		}
	}
	if v := r.Validate; v != nil {
		out := &kyValidation{FailureAction: v.FailureAction, FailureActionOverrides: v.FailureActionOverrides, AllowExistingViolations: v.AllowExistingViolations}
		switch {
		case v.Pattern != nil:
			out.Message = shiftReferences(v.Message, shift, "pattern")
			out.Pattern = wrap(v.Pattern)
		case v.Deny != nil:
			out.Message = shiftReferences(v.Message, shift, "deny")
			out.Deny = v.Deny
		case v.PodSecurity != nil:
			out.Message = shiftReferences(v.Message, shift, "podSecurity")
			ps := *v.PodSecurity
			ps.Exclude = append([]kyPSSExclusion(nil), ps.Exclude...)
			out.PodSecurity = &ps
		case v.AnyPattern != nil:
			out.Message = shiftReferences(v.Message, shift, "anyPattern")
			list, _ := v.AnyPattern.([]any)
			var pats []any
			for _, p := range list {
				pats = append(pats, wrap(p))
			}
			out.AnyPattern = pats
		case len(v.Foreach) > 0:
			out.Message = shiftReferences(v.Message, shift, "pattern")
			out.Foreach = append([]kyForeach(nil), v.Foreach...)
		case v.CEL != nil:
			return r
		default:
			out = nil
		}
		if out != nil {
			r.Validate = out
			return r
		}
	}
	if r.VerifyImages != nil {
		return r
	}
	return nil
}

// cloneRule deep-copies a rule through JSON.
func cloneRule(r *KyvernoRule) *KyvernoRule {
	b, err := json.Marshal(r)
	if err != nil {
		c := *r
		return &c
	}
	var out KyvernoRule
	if err := json.Unmarshal(b, &out); err != nil {
		c := *r
		return &c
	}
	return &out
}

// The expressions of a generated rule address the controller's Pod template.
var (
	podRewrites = []string{
		"request.object.spec", "request.object.spec.template.spec",
		"request.oldObject.spec", "request.oldObject.spec.template.spec",
		"request.object.metadata", "request.object.spec.template.metadata",
		"request.oldObject.metadata", "request.oldObject.spec.template.metadata",
	}
	cronJobRewrites = []string{
		"request.object.spec", "request.object.spec.jobTemplate.spec.template.spec",
		"request.oldObject.spec", "request.oldObject.spec.jobTemplate.spec.template.spec",
		"request.object.metadata", "request.object.spec.jobTemplate.spec.template.metadata",
		"request.oldObject.metadata", "request.oldObject.spec.jobTemplate.spec.template.metadata",
	}
)

// rewriteExpressions applies the replacements, in order, to every string
// of a rule.
func rewriteExpressions(r *KyvernoRule, pairs []string) KyvernoRule {
	b, err := json.Marshal(r)
	if err != nil {
		return *r
	}
	for i := 0; i < len(pairs); i += 2 {
		b = bytes.ReplaceAll(b, []byte(pairs[i]), []byte(pairs[i+1]))
	}
	var out KyvernoRule
	if err := json.Unmarshal(b, &out); err != nil {
		return *r
	}
	return out
}

// shiftReferences moves the $(...) references of a message that point
// into a pattern (below pivot) under the controller's template.
func shiftReferences(msg, shift, pivot string) string {
	for _, ref := range kyRE().reference.FindAllString(msg, -1) {
		old := ref
		prefix := ""
		if !strings.HasPrefix(ref, "$(") {
			prefix, ref = ref[:1], ref[1:]
		}
		idx := strings.Index(ref, pivot)
		if idx < 0 {
			continue
		}
		p := pivot
		if pivot == "anyPattern" && idx+len(pivot)+1 <= len(ref) {
			p = pivot + "/" + strings.Split(ref[idx+len(pivot)+1:], "/")[0]
		}
		msg = strings.Replace(msg, old, prefix+strings.ReplaceAll(ref, p, p+"/"+shift), 1)
	}
	return msg
}
