package policy

import (
	"strings"

	"github.com/kyverno/kyverno/ext/wildcard"
	"github.com/kyverno/kyverno/pkg/engine/wildcards"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ruleMatches applies a rule's match and exclude blocks to a resource.
func ruleMatches(rule *KyvernoRule, obj map[string]any, c *Cluster) bool {
	m := &rule.Match
	switch {
	case len(m.Any) > 0:
		ok := false
		for i := range m.Any {
			if filterMatches(&m.Any[i].Resources, obj, c) && userMatches(m.Any[i].Roles, m.Any[i].ClusterRoles, m.Any[i].Subjects, c) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	case len(m.All) > 0:
		for i := range m.All {
			if !filterMatches(&m.All[i].Resources, obj, c) || !userMatches(m.All[i].Roles, m.All[i].ClusterRoles, m.All[i].Subjects, c) {
				return false
			}
		}
	default:
		if !filterMatches(&m.Resources, obj, c) || !userMatches(m.Roles, m.ClusterRoles, m.Subjects, c) {
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
			if !x.Any[i].Resources.isEmpty() && filterMatches(&x.Any[i].Resources, obj, c) {
				return false
			}
		}
	case len(x.All) > 0:
		for i := range x.All {
			if x.All[i].Resources.isEmpty() || !filterMatches(&x.All[i].Resources, obj, c) {
				return true
			}
		}
		return false
	default:
		if !x.Resources.isEmpty() && filterMatches(&x.Resources, obj, c) {
			return false
		}
	}
	return true
}

// filterMatches reports whether every condition a resource description
// sets holds. Namespace labels are those the cluster (a test's values)
// gives, none otherwise. The request is a CREATE unless the cluster says.
func filterMatches(d *kyResource, obj map[string]any, c *Cluster) bool {
	if d.isEmpty() {
		return false
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	name, ns := objectName(obj)
	meta, _ := obj["metadata"].(map[string]any)
	if len(d.Kinds) > 0 && !kindMatches(d.Kinds, apiVersion, kind) && !subresourceMatches(d.Kinds, kind, c) {
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
	if d.NamespaceSelector != nil {
		nsLabels := map[string]string{}
		if c != nil {
			if kind == "Namespace" {
				ns = name
			}
			for k, v := range c.Namespaces[ns] {
				nsLabels[k] = v
			}
		}
		if !selectorMatches(d.NamespaceSelector, nsLabels) {
			return false
		}
	}
	if len(d.Operations) > 0 {
		want := "CREATE"
		if c != nil && c.Operation != "" {
			want = strings.ToUpper(c.Operation)
		}
		ok := false
		for _, op := range d.Operations {
			if op == want {
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

// subresourceMatches reports whether an object is a subresource (a test's
// values map PodExecOptions to pods/exec of Pod, Scale to
// deployments/scale of Deployment) that a kinds entry Parent/sub names.
func subresourceMatches(kinds []string, kind string, c *Cluster) bool {
	if c == nil || c.Values == nil {
		return false
	}
	for _, sr := range c.Values.Subresources {
		if sr.Kind != kind {
			continue
		}
		_, sub, ok := strings.Cut(sr.Name, "/")
		if !ok {
			continue
		}
		for _, k := range kinds {
			_, _, kd, ksub := parseKindSelector(k)
			if wildcard.Match(kd, sr.ParentKind) && ksub != "" && wildcard.Match(ksub, sub) {
				return true
			}
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

// userMatches applies a filter's roles, clusterRoles and subjects to the
// requesting user. Without a user (outside a test with a userinfo file)
// they cannot be known and are ignored, as the kyverno CLI does.
func userMatches(roles, clusterRoles []string, subjects []any, c *Cluster) bool {
	if c == nil {
		return true
	}
	u := c.User
	if u.Username == "" && len(u.Groups) == 0 && len(u.Roles) == 0 && len(u.ClusterRoles) == 0 {
		return true
	}
	if len(roles) > 0 && !anyCommon(roles, u.Roles) {
		return false
	}
	if len(clusterRoles) > 0 && !anyCommon(clusterRoles, u.ClusterRoles) {
		return false
	}
	if len(subjects) == 0 {
		return true
	}
	for _, s := range subjects {
		m, _ := s.(map[string]any)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		switch kind {
		case "User":
			if wildcard.Match(name, u.Username) {
				return true
			}
		case "Group":
			for _, g := range u.Groups {
				if wildcard.Match(name, g) {
					return true
				}
			}
		case "ServiceAccount":
			if u.Username == "system:serviceaccount:"+ns+":"+name {
				return true
			}
		}
	}
	return false
}

func anyCommon(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if wildcard.Match(p, v) {
				return true
			}
		}
	}
	return false
}
