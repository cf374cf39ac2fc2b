package policy

import (
	"fmt"

	admv1 "k8s.io/api/admissionregistration/v1"
)

// A MutatingPolicy with evaluation.mutateExisting.enabled patches existing
// resources, its targets, when a trigger matches: the targets are the
// objects a test gives (targetResources) that targetMatchConstraints'
// resource rules select, or what its expression returns (evaluated on the
// trigger, so resource.get finds them among the given objects). Each
// target is mutated as the object under evaluation; the result is about
// the targets. Without targetMatchConstraints the trigger is its own
// target, and is mutated as in admission.

// celTargetMatch is a MutatingPolicy's targetMatchConstraints.
type celTargetMatch struct {
	admv1.MatchResources `json:",inline"`
	// Expression returns the targets (an object or a list of objects).
	Expression string `json:"expression,omitempty"`
}

// mutatesExisting reports whether the policy mutates existing resources.
func (s *celSpec) mutatesExisting() bool {
	return s.Evaluation != nil && s.Evaluation.MutateExisting != nil &&
		s.Evaluation.MutateExisting.Enabled != nil && *s.Evaluation.MutateExisting.Enabled
}

// mutateTargets applies the policy's mutations to the targets of a
// trigger; none among the given objects is a skip that says so.
func (p *CELPolicy) mutateTargets(cs *celCompiled, in *celInput) []RuleResult {
	targets, err := p.targets(cs, in)
	if err != nil {
		return []RuleResult{{Policy: p.Name, Status: StatusError, Message: "targetMatchConstraints: " + err.Error()}}
	}
	if len(targets) == 0 {
		return []RuleResult{{Policy: p.Name, Status: StatusSkip, Message: "no target among the given objects"}}
	}
	out := RuleResult{Policy: p.Name, Status: StatusSkip, Message: "mutations change no target"}
	for _, t := range targets {
		r := p.evalWithParams(cs, newCELInput(t, in.cluster), cs.spec.ParamRef)
		if r == nil {
			continue
		}
		switch r.Status {
		case StatusPass:
			out.Status, out.Message = StatusPass, "mutated its targets"
		case StatusSkip:
		default:
			return []RuleResult{*r}
		}
		if r.Patched != nil {
			out.Targets = append(out.Targets, r.Patched)
		}
	}
	return []RuleResult{out}
}

// targets selects the trigger's targets.
func (p *CELPolicy) targets(cs *celCompiled, in *celInput) ([]map[string]any, error) {
	tm := cs.spec.TargetMatchConstraints
	if tm == nil {
		return nil, nil
	}
	if tm.Expression == "" {
		var out []map[string]any
		for _, t := range in.cluster.Targets {
			if matchResources(&tm.MatchResources, newCELInput(t, in.cluster), true) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	prg := compileCEL(tm.Expression)
	v, err := prg.eval(newActivation(in, nil, cs.variables))
	if err != nil {
		return nil, err
	}
	switch t := celNative(v.Value()).(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return []map[string]any{t}, nil
	case []any:
		var out []map[string]any
		for _, x := range t {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("expression %q returns %T, want objects", tm.Expression, t)
	}
}
