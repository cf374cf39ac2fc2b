package policy

import (
	"fmt"
	"strings"

	"github.com/kyverno/kyverno/pkg/engine/validate"
)

// evalMutateConditions decides whether a strategic-merge mutation would
// apply: its conditional and global anchors must hold. aiden does not
// mutate, so the patched object itself is not produced.
func evalMutateConditions(rule *KyvernoRule, obj map[string]any) RuleResult {
	m := rule.Mutate
	if m == nil || len(m.Foreach) > 0 {
		return RuleResult{Status: StatusPass, Message: "rule applies"}
	}
	patch := m.PatchStrategicMerge
	if patch == nil {
		return RuleResult{Status: StatusPass, Message: "rule applies"}
	}
	if anchorsHold(patch, obj) {
		if !changes(patch, obj) {
			return RuleResult{Status: StatusSkip, Message: "the patch changes nothing"}
		}
		return RuleResult{Status: StatusPass, Message: "mutation applies"}
	}
	return RuleResult{Status: StatusSkip, Message: "conditional anchors not met"}
}

func anchorKey(k string) (string, bool) {
	for _, p := range []string{"<(", "("} {
		if strings.HasPrefix(k, p) && strings.HasSuffix(k, ")") {
			return k[len(p) : len(k)-1], true
		}
	}
	return "", false
}

func hasAnchors(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if _, ok := anchorKey(k); ok || hasAnchors(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if hasAnchors(x) {
				return true
			}
		}
	}
	return false
}

// anchorsHold reports whether the condition anchors in a patch hold on a
// resource; in a list, some element must satisfy each anchored element.
func anchorsHold(patch, res any) bool {
	switch p := patch.(type) {
	case map[string]any:
		r, _ := res.(map[string]any)
		for k, v := range p {
			if name, ok := anchorKey(k); ok {
				val, present := r[name]
				if !present || validate.MatchPattern(discardLog, val, v) != nil {
					return false
				}
				continue
			}
			if hasAnchors(v) {
				val, present := r[strings.TrimSuffix(strings.TrimPrefix(k, "+("), ")")]
				if !present || !anchorsHold(v, val) {
					return false
				}
			}
		}
		return true
	case []any:
		r, _ := res.([]any)
		for _, pe := range p {
			if !hasAnchors(pe) {
				continue
			}
			found := false
			for _, re := range r {
				if anchorsHold(pe, re) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return true
}

// changes reports whether a patch would change a resource. Only maps are
// followed: add-if-absent keys (+(key)) that are present and plain values
// already equal change nothing; anchored list elements select, they do not
// add; any other list is taken to change the resource.
func changes(patch, res any) bool {
	switch p := patch.(type) {
	case map[string]any:
		r, _ := res.(map[string]any)
		for k, v := range p {
			if _, ok := anchorKey(k); ok {
				continue
			}
			if strings.HasPrefix(k, "+(") && strings.HasSuffix(k, ")") {
				if _, present := r[k[2:len(k)-1]]; present {
					continue
				}
				return true
			}
			cur, present := r[k]
			if !present || changes(v, cur) {
				return true
			}
		}
		return false
	case []any:
		if hasAnchors(p) {
			return false
		}
		return true
	}
	return fmt.Sprint(patch) != fmt.Sprint(res)
}
