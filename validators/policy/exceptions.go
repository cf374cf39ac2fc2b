package policy

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/kyverno/kyverno/ext/wildcard"
	admv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// PolicyException exempts resources from policies: a Kyverno
// kyverno.io/v2 PolicyException (policy and rule names, match, conditions)
// or a policies.kyverno.io PolicyException for CEL policies (policy
// references and CEL match conditions).
type PolicyException struct {
	// Name is the exception's metadata.name.
	Name string
	// File is the file it came from.
	File string

	exceptions []struct {
		PolicyName string   `json:"policyName"`
		RuleNames  []string `json:"ruleNames"`
	}
	match      kyMatch
	conditions any

	policyRefs []struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	matchConditions []admv1.MatchCondition
	once            sync.Once
	programs        []*celProgram
}

// ParseExceptions reads the PolicyExceptions of a YAML file.
func ParseExceptions(file string, content []byte) ([]*PolicyException, error) {
	var out []*PolicyException
	for _, doc := range splitYAML(content) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil || head.Kind != "PolicyException" {
			continue
		}
		group, _, _ := strings.Cut(head.APIVersion, "/")
		if group != "kyverno.io" && group != "policies.kyverno.io" {
			continue
		}
		var d struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				Exceptions []struct {
					PolicyName string   `json:"policyName"`
					RuleNames  []string `json:"ruleNames"`
				} `json:"exceptions"`
				Match      kyMatch `json:"match"`
				Conditions any     `json:"conditions"`
				PolicyRefs []struct {
					Name string `json:"name"`
					Kind string `json:"kind"`
				} `json:"policyRefs"`
				MatchConditions []admv1.MatchCondition `json:"matchConditions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(doc, &d); err != nil {
			return nil, fmt.Errorf("parse policy exception in %s: %w", file, err)
		}
		out = append(out, &PolicyException{Name: d.Metadata.Name, File: file,
			exceptions: d.Spec.Exceptions, match: d.Spec.Match, conditions: d.Spec.Conditions,
			policyRefs: d.Spec.PolicyRefs, matchConditions: d.Spec.MatchConditions})
	}
	return out, nil
}

// LoadExceptions parses the PolicyExceptions among files.
func LoadExceptions(files []workspace.File) ([]*PolicyException, error) {
	var out []*PolicyException
	for _, f := range files {
		switch strings.ToLower(path.Ext(f.Path)) {
		case ".yaml", ".yml":
		default:
			continue
		}
		if !bytes.Contains(f.Content, []byte("PolicyException")) {
			continue
		}
		xs, err := ParseExceptions(f.Path, f.Content)
		if err != nil {
			return nil, err
		}
		out = append(out, xs...)
	}
	return out, nil
}

// exempts reports whether the exception exempts an object from a classic
// Kyverno policy's rule: it names the policy and rule, matches the object
// and its conditions hold.
func (x *PolicyException) exempts(env *kyvernoEnv, p *KyvernoPolicy, rule *KyvernoRule, obj map[string]any, c *Cluster) bool {
	named := false
	for _, e := range x.exceptions {
		pn := e.PolicyName
		if p.Namespace != "" && strings.Contains(pn, "/") {
			pn = strings.TrimPrefix(pn, p.Namespace+"/")
		}
		if pn != p.Name {
			continue
		}
		for _, r := range e.RuleNames {
			if wildcard.Match(r, rule.Name) {
				named = true
			}
		}
	}
	if !named {
		return false
	}
	if !ruleMatches(&KyvernoRule{Match: x.match}, obj, c) {
		return false
	}
	if x.conditions == nil {
		return true
	}
	e := &evaluation{env: env, rule: rule, ctx: newEvalContext(env, obj, imageInfos(obj)), resource: obj}
	ok, _, err := e.conditions(x.conditions)
	return err == nil && ok
}

// exemptsCEL reports whether the exception exempts an object from a CEL
// policy: it references the policy and its match conditions hold.
func (x *PolicyException) exemptsCEL(p *CELPolicy, in *celInput) bool {
	named := false
	for _, r := range x.policyRefs {
		if r.Name == p.Name && (r.Kind == "" || strings.TrimPrefix(r.Kind, "Namespaced") == p.Kind) {
			named = true
		}
	}
	if !named {
		return false
	}
	x.once.Do(func() {
		for _, m := range x.matchConditions {
			x.programs = append(x.programs, compileCEL(m.Expression))
		}
	})
	act := newActivation(in, nil, nil)
	for _, prg := range x.programs {
		v, err := prg.eval(act)
		if err != nil {
			return false
		}
		if b, ok := v.Value().(bool); !ok || !b {
			return false
		}
	}
	return true
}
