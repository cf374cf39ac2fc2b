package policy

import (
	"strings"
)

// Values are a Kyverno test's values (a cli.kyverno.io/v1alpha1 Values
// file): variables for every policy, for one policy's rule and for one
// resource. They stand in for what a cluster would answer: a context
// entry whose name they give is not loaded but takes their value.
type Values struct {
	// Global applies to every rule.
	Global map[string]any
	// Rules maps "policy/rule" to its values.
	Rules map[string]map[string]any
	// Resources maps "policy/resource name" to its values.
	Resources map[string]map[string]any
	// Subresources map a subresource's kind to its parent's.
	Subresources []Subresource
}

// Subresource is a subresource kind (PodExecOptions, Scale) and the
// resource it belongs to (pods/exec of Pod).
type Subresource struct {
	// Kind is the subresource's kind; Name its resource path ("pods/exec").
	Kind, Name string
	// ParentKind is the kind of the resource it belongs to.
	ParentKind string
}

// ruleValues merges the values of a rule on a resource: global values,
// then the rule's, then the resource's.
func (c *Cluster) ruleValues(policy, rule string, obj map[string]any) map[string]any {
	v := c.Values
	if v == nil {
		return nil
	}
	name, _ := objectName(obj)
	out := map[string]any{}
	for _, m := range []map[string]any{v.Global, v.Rules[policy+"/"+rule], v.Resources[policy+"/"+name]} {
		for k, x := range m {
			out[k] = x
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// answered reports whether values give a context entry: a key that is
// its name or starts with its name and a dot.
func answered(values map[string]any, name string) bool {
	for k := range values {
		if k == name || strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// setUser puts the requesting user in request.userInfo, request.roles and
// request.clusterRoles, as Kyverno does.
func (c *evalContext) setUser(cl *Cluster) {
	u := cl.User
	if u.Username == "" && len(u.Groups) == 0 && len(u.Roles) == 0 && len(u.ClusterRoles) == 0 {
		return
	}
	groups := make([]any, 0, len(u.Groups))
	for _, g := range u.Groups {
		groups = append(groups, g)
	}
	c.set(map[string]any{"username": u.Username, "uid": u.UID, "groups": groups}, false, "request", "userInfo")
	roles := make([]any, 0, len(u.Roles))
	for _, r := range u.Roles {
		roles = append(roles, r)
	}
	croles := make([]any, 0, len(u.ClusterRoles))
	for _, r := range u.ClusterRoles {
		croles = append(croles, r)
	}
	c.set(roles, false, "request", "roles")
	c.set(croles, false, "request", "clusterRoles")
}

// valuesOperation is the admission operation a test's values set for a
// rule on an object (request.operation), or "".
func valuesOperation(c *Cluster, policy, rule string, obj map[string]any) string {
	if c == nil || c.Values == nil {
		return ""
	}
	op, _ := c.ruleValues(policy, rule, obj)["request.operation"].(string)
	return strings.ToUpper(op)
}
