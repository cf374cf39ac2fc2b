package policy

import (
	"encoding/json"
	"fmt"

	admv1 "k8s.io/api/admissionregistration/v1"
)

// kyCEL is a validate.cel block of a Kyverno rule: Kubernetes
// ValidatingAdmissionPolicy expressions inside a ClusterPolicy.
type kyCEL struct {
	Expressions      []admv1.Validation      `json:"expressions,omitempty"`
	ParamKind        *admv1.ParamKind        `json:"paramKind,omitempty"`
	ParamRef         *admv1.ParamRef         `json:"paramRef,omitempty"`
	AuditAnnotations []admv1.AuditAnnotation `json:"auditAnnotations,omitempty"`
	Variables        []admv1.Variable        `json:"variables,omitempty"`
	Generate         *bool                   `json:"generate,omitempty"`
}

// podCELRewrites point a CEL rule's object and oldObject at the Pod
// template of a controller, as Kyverno's autogen does for validate.cel.
var (
	podCELRewrites = []string{
		"object.spec", "object.spec.template.spec",
		"oldObject.spec", "oldObject.spec.template.spec",
		"object.metadata", "object.spec.template.metadata",
		"oldObject.metadata", "oldObject.spec.template.metadata",
	}
	cronJobCELRewrites = []string{
		"object.spec", "object.spec.jobTemplate.spec.template.spec",
		"oldObject.spec", "oldObject.spec.jobTemplate.spec.template.spec",
		"object.metadata", "object.spec.jobTemplate.spec.template.metadata",
		"oldObject.metadata", "oldObject.spec.jobTemplate.spec.template.metadata",
	}
)

// celRule builds the compiled-once CEL policy a validate.cel rule is
// evaluated as: its expressions, variables, params and audit annotations,
// with the rule's celPreconditions as match conditions.
func celRule(policy string, r *KyvernoRule) (*CELPolicy, error) {
	b, err := json.Marshal(r.Validate.CEL)
	if err != nil {
		return nil, fmt.Errorf("rule %s: validate.cel: %w", r.Name, err)
	}
	var c kyCEL
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("rule %s: validate.cel: %w", r.Name, err)
	}
	return &CELPolicy{Name: policy, Kind: "validate.cel", spec: celSpec{
		ParamKind:        c.ParamKind,
		ParamRef:         c.ParamRef,
		MatchConditions:  r.CELPreconditions,
		Variables:        c.Variables,
		Validations:      c.Expressions,
		AuditAnnotations: c.AuditAnnotations,
	}}, nil
}

// evalCELRule evaluates a validate.cel rule on an object the rule matched.
func evalCELRule(rule *KyvernoRule, obj map[string]any, c *Cluster) RuleResult {
	if rule.celErr != nil {
		return RuleResult{Status: StatusError, Message: rule.celErr.Error()}
	}
	p := rule.cel
	cs := p.programs()[0]
	r := p.evalWithParams(cs, newCELInput(obj, c), cs.spec.ParamRef)
	if r == nil {
		return RuleResult{Status: StatusSkip, Message: "celPreconditions not met"}
	}
	return *r
}
