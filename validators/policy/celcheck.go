package policy

import (
	"fmt"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// paramObjects are the Kubernetes objects of the policies folder that are
// not policies: the ConfigMaps and custom resources a paramRef names.
func paramObjects(files []workspace.File) []map[string]any {
	var out []map[string]any
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".yaml") && !strings.HasSuffix(f.Path, ".yml") {
			continue
		}
		objs, err := DecodeObjects(f.Path, f.Content)
		if err != nil {
			continue
		}
		for _, o := range objs {
			av, _ := o.Content["apiVersion"].(string)
			kind, _ := o.Content["kind"].(string)
			if isCELKind(av, kind) || strings.HasPrefix(av, "kyverno.io/") || kind == "PolicyException" {
				continue
			}
			out = append(out, o.Content)
		}
	}
	return out
}

// cluster is what the checked objects tell of their cluster: the labels
// of the Namespaces among them, and the objects CEL params may name.
func (e *Engine) cluster(objs []Object) *Cluster {
	c := &Cluster{Namespaces: map[string]map[string]string{}, Exceptions: e.except}
	c.Objects = append(c.Objects, e.params...)
	for _, o := range objs {
		c.Objects = append(c.Objects, o.Content)
		if o.Content["kind"] == "Namespace" {
			addNamespace(c, o.Content)
		}
	}
	return c
}

// checkCEL applies the CEL policies to one object. Failures are errors
// when the policy denies (validationActions Deny, the default) and
// warnings when it only warns or audits; a rule that needs a cluster is a
// warning that says so, counted apart.
func (e *Engine) checkCEL(o Object, c *Cluster) ([]Finding, int) {
	var out []Finding
	needs := 0
	in := newCELInput(o.Content, c)
	for _, p := range e.cel {
		if p.Kind == KindDeletingPolicy || p.Kind == KindGeneratingPolicy || p.Kind == KindMutatingPolicy || p.Kind == KindMutatingAdmissionPolicy {
			continue // they do not admit or refuse an object
		}
		for _, r := range p.apply(in) {
			sev := e.cfg.KyvernoSeverity
			if sev == "" {
				sev = Error
				if !p.Deny() {
					sev = Warning
				}
			}
			msg := r.Message
			switch r.Status {
			case StatusFail:
			case StatusError:
				sev, msg = Warning, "not evaluated offline: "+r.Message
			case StatusNeedsCluster:
				sev = Warning
				needs++
			default:
				continue
			}
			out = append(out, Finding{File: o.File, Line: o.Line, Resource: resourceName(o.Content),
				Path: o.at(r.Path), Rule: p.ruleID(r), Severity: sev, Message: msg})
		}
	}
	return out, needs
}

// ruleID names a CEL policy's finding: vap/<policy>[/<binding>] for a
// ValidatingAdmissionPolicy, kyverno/<policy> for Kyverno's CEL policies.
func (p *CELPolicy) ruleID(r RuleResult) string {
	if p.Kind == KindValidatingAdmissionPolicy {
		if r.Rule != "" {
			return "vap/" + p.Name + "/" + r.Rule
		}
		return "vap/" + p.Name
	}
	return "kyverno/" + p.Name
}

// CELDetail is the part of a policy check's detail line about CEL
// policies: how many were applied and how many results need a cluster;
// empty when there were none.
func CELDetail(s Summary) string {
	if s.CELPolicies == 0 {
		return ""
	}
	return fmt.Sprintf("; %d CEL policies (ValidatingPolicy, ValidatingAdmissionPolicy, ...), %d results need a cluster", s.CELPolicies, s.NeedsCluster)
}
