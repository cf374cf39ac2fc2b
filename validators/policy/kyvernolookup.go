package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// kyConfigMapRef is a configMap context entry.
type kyConfigMapRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// kyAPICall is an apiCall context entry, as far as offline lookups use it.
type kyAPICall struct {
	URLPath  string `json:"urlPath"`
	Method   string `json:"method"`
	JMESPath string `json:"jmesPath"`
	Service  any    `json:"service"`
	Default  any    `json:"default"`
}

// lookupContext answers a configMap or apiCall (GET of a Kubernetes API
// path) context entry from the objects the evaluation is given. Anything
// else (registries, global context, services), and an object that is not
// among them, needs a cluster.
func (e *evaluation) lookupContext(c kyContextEntry) (any, error) {
	needs := fmt.Errorf("context entry %q needs a cluster", c.Name)
	if e.cluster == nil {
		return nil, needs
	}
	decode := func(raw any, out any) error {
		sub, err := e.substituteAll(raw)
		if err != nil {
			return fmt.Errorf("context entry %q: %w", c.Name, err)
		}
		b, err := json.Marshal(sub)
		if err != nil {
			return fmt.Errorf("context entry %q: %w", c.Name, err)
		}
		return json.Unmarshal(b, out)
	}
	rv := &resourceVal{cluster: e.cluster}
	switch {
	case c.ConfigMap != nil:
		var ref kyConfigMapRef
		if err := decode(c.ConfigMap, &ref); err != nil {
			return nil, err
		}
		for _, o := range e.cluster.Objects {
			if n, _ := objectName(o); n == ref.Name && rv.matches(o, "v1", "configmaps", ref.Namespace) {
				return o, nil
			}
		}
		return nil, fmt.Errorf("context entry %q needs a cluster: ConfigMap %s/%s is not among the given objects", c.Name, ref.Namespace, ref.Name)
	case c.GlobalReference != nil:
		var ref struct {
			Name     string `json:"name"`
			JMESPath string `json:"jmesPath"`
		}
		if err := decode(c.GlobalReference, &ref); err != nil {
			return nil, err
		}
		v, ok := e.cluster.Global[ref.Name]
		if !ok {
			return nil, fmt.Errorf("context entry %q needs a cluster: global context entry %q is not given", c.Name, ref.Name)
		}
		if ref.JMESPath != "" {
			return e.env.search(ref.JMESPath, v)
		}
		return v, nil
	case c.APICall != nil:
		var call kyAPICall
		if err := decode(c.APICall, &call); err != nil {
			return nil, err
		}
		method := call.Method
		if method == "" {
			method = "GET"
		}
		url := call.URLPath
		if svc, ok := call.Service.(map[string]any); ok {
			url, _ = svc["url"].(string)
		}
		if r := e.cluster.response(method, url); r != nil {
			var v any = r.Body
			if call.JMESPath != "" {
				out, err := e.env.search(call.JMESPath, v)
				if err != nil {
					return nil, fmt.Errorf("context entry %q: %w", c.Name, err)
				}
				v = out
			}
			return v, nil
		}
		if call.Service != nil || !strings.EqualFold(method, "GET") || call.URLPath == "" {
			return nil, needs
		}
		v, err := e.apiGet(rv, call.URLPath)
		if err != nil {
			if call.Default != nil {
				return call.Default, nil
			}
			return nil, fmt.Errorf("context entry %q %w", c.Name, err)
		}
		if call.JMESPath != "" {
			v, err = e.env.search(call.JMESPath, v)
			if err != nil {
				return nil, fmt.Errorf("context entry %q: %w", c.Name, err)
			}
		}
		return v, nil
	}
	return nil, needs
}

// apiGet answers a GET of a Kubernetes API path (/api/v1/..., /apis/g/v/...)
// from the given objects: one object by name, or a list of a resource
// (only when the objects are the whole cluster, as in a test).
func (e *evaluation) apiGet(rv *resourceVal, urlPath string) (any, error) {
	p := strings.Trim(strings.SplitN(urlPath, "?", 2)[0], "/")
	parts := strings.Split(p, "/")
	var apiVersion string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		apiVersion, parts = parts[1], parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		apiVersion, parts = parts[1]+"/"+parts[2], parts[3:]
	default:
		return nil, fmt.Errorf("needs a cluster: %s is not a Kubernetes API path", urlPath)
	}
	ns := ""
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) != 2 {
		ns, parts = parts[1], parts[2:]
	}
	switch len(parts) {
	case 1:
		if !rv.cluster.Complete {
			return nil, fmt.Errorf("needs a cluster: GET %s lists a live cluster", urlPath)
		}
		items := []any{}
		for _, o := range rv.cluster.Objects {
			if rv.matches(o, apiVersion, parts[0], ns) {
				items = append(items, o)
			}
		}
		return map[string]any{"apiVersion": apiVersion, "kind": "List", "items": items}, nil
	case 2:
		for _, o := range rv.cluster.Objects {
			if n, _ := objectName(o); n == parts[1] && rv.matches(o, apiVersion, parts[0], ns) {
				return o, nil
			}
		}
		return nil, fmt.Errorf("needs a cluster: GET %s: the object is not among the given ones", urlPath)
	}
	return nil, fmt.Errorf("needs a cluster: GET %s is not answered offline", urlPath)
}
