package policy

import (
	"strings"

	"github.com/kyverno/kyverno/ext/wildcard"
	"github.com/kyverno/kyverno/pkg/engine/wildcards"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ruleMatches applies a rule's match and exclude blocks to a resource.
func ruleMatches(rule *KyvernoRule, obj map[string]any) bool {
	m := &rule.Match
	switch {
	case len(m.Any) > 0:
		ok := false
		for i := range m.Any {
			if filterMatches(&m.Any[i].Resources, obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	case len(m.All) > 0:
		for i := range m.All {
			if !filterMatches(&m.All[i].Resources, obj) {
				return false
			}
		}
	default:
		if !filterMatches(&m.Resources, obj) {
			return false
		}
	}
	x := rule.Exclude
	if x == nil {
		return true
	}
	switch {
	case len(x.Any) > 0:
		for i := range x.Any {
			if !x.Any[i].Resources.isEmpty() && filterMatches(&x.Any[i].Resources, obj) {
				return false
			}
		}
	case len(x.All) > 0:
		for i := range x.All {
			if x.All[i].Resources.isEmpty() || !filterMatches(&x.All[i].Resources, obj) {
				return true
			}
		}
		return false
	default:
		if !x.Resources.isEmpty() && filterMatches(&x.Resources, obj) {
			return false
		}
	}
	return true
}

// filterMatches reports whether every condition a resource description
// sets holds. User and namespace-label conditions cannot be known offline:
// users are ignored (as the kyverno CLI does without --userinfo) and
// namespaces are taken to have no labels. The request is a CREATE.
func filterMatches(d *kyResource, obj map[string]any) bool {
	if d.isEmpty() {
		return false
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	name, ns := objectName(obj)
	meta, _ := obj["metadata"].(map[string]any)
	if len(d.Kinds) > 0 && !kindMatches(d.Kinds, apiVersion, kind) {
		return false
	}
	if d.Name != "" && !wildcard.Match(d.Name, name) {
		return false
	}
	if len(d.Names) > 0 && !anyWildcard(d.Names, name) {
		return false
	}
	if len(d.Namespaces) > 0 {
		if kind == "Namespace" {
			ns = name
		}
		if !anyWildcard(d.Namespaces, ns) {
			return false
		}
	}
	if len(d.Annotations) > 0 && !annotationsMatch(d.Annotations, stringMap(meta["annotations"])) {
		return false
	}
	if d.Selector != nil && !selectorMatches(d.Selector, stringMap(meta["labels"])) {
		return false
	}
	if d.NamespaceSelector != nil && !selectorMatches(d.NamespaceSelector, map[string]string{}) {
		return false
	}
	if len(d.Operations) > 0 {
		ok := false
		for _, op := range d.Operations {
			if op == "CREATE" {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func anyWildcard(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcard.Match(p, s) {
			return true
		}
	}
	return false
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		}
	}
	return out
}

// annotationsMatch: every expected key/value pair (wildcards allowed) is
// matched by some annotation.
func annotationsMatch(expected, actual map[string]string) bool {
	for k, v := range expected {
		found := false
		for k1, v1 := range actual {
			if wildcard.Match(k, k1) && wildcard.Match(v, v1) {
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

// selectorMatches evaluates a label selector whose keys and values may
// hold wildcards.
func selectorMatches(sel *metav1.LabelSelector, actual map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(wildcards.ReplaceInSelector(sel, actual))
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(actual))
}

// parseKindSelector splits a kinds entry: Kind, version/Kind,
// group/version/Kind, with an optional /subresource or .subresource.
func parseKindSelector(in string) (group, version, kind, sub string) {
	parts := strings.Split(in, "/")
	parts = append(parts[:len(parts)-1], strings.Split(parts[len(parts)-1], ".")...)
	switch len(parts) {
	case 1:
		return "*", "*", parts[0], ""
	case 2:
		if parts[0] == "*" && parts[1] == "*" {
			return "*", "*", "*", "*"
		}
		if parts[0] == "*" && strings.ToLower(parts[1]) == parts[1] {
			return "*", "*", parts[0], parts[1]
		}
		if kyRE().version.MatchString(parts[0]) {
			return "*", parts[0], parts[1], ""
		}
		return "*", "*", parts[0], parts[1]
	case 3:
		if kyRE().version.MatchString(parts[0]) {
			return "*", parts[0], parts[1], parts[2]
		}
		return parts[0], parts[1], parts[2], ""
	case 4:
		return parts[0], parts[1], parts[2], parts[3]
	}
	return "", "", "", ""
}

// kindMatches checks a resource (not a subresource) against kinds entries.
func kindMatches(kinds []string, apiVersion, kind string) bool {
	group, version := "", apiVersion
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group, version = apiVersion[:i], apiVersion[i+1:]
	}
	for _, k := range kinds {
		g, v, kd, sub := parseKindSelector(k)
		if wildcard.Match(g, group) && wildcard.Match(v, version) && wildcard.Match(kd, kind) && wildcard.Match(sub, "") {
			return true
		}
	}
	return false
}

// containsKind reports whether a kinds list names kind, in any spelling.
func containsKind(list []string, kind string) bool {
	for _, e := range list {
		k := kindOfGVK(e)
		if i := strings.Index(k, "/"); i >= 0 {
			k = k[:i]
		}
		if k == kind {
			return true
		}
	}
	return false
}

// kindOfGVK returns the kind (with its subresource) of a kinds entry.
func kindOfGVK(s string) string {
	sub := func(x string) string { return strings.Replace(x, ".", "/", 1) }
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return sub(s)
	case 2:
		if parts[0] == "*" && parts[1] == "*" {
			return "*/*"
		}
		if kyRE().version.MatchString(parts[0]) {
			return sub(parts[1])
		}
		return parts[0] + "/" + parts[1]
	case 3:
		if kyRE().version.MatchString(parts[0]) {
			return parts[1] + "/" + parts[2]
		}
		return sub(parts[2])
	case 4:
		return parts[2] + "/" + parts[3]
	}
	return ""
}
