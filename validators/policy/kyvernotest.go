package policy

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Expectation is one expected result of a kyverno-test.yaml file: a
// policy's rule on one resource, and what it got.
type Expectation struct {
	// Test is the kyverno-test.yaml file.
	Test     string
	Policy   string
	Rule     string
	Kind     string
	Resource string
	// Want is the expected result; Got is aiden's.
	Want, Got Status
	// Message is aiden's message for the rule on the resource.
	Message string
	// PolicyKind is the kind of policy the expectation is about, from the
	// result's is...Policy flag: ClusterPolicy for classic Kyverno rules.
	PolicyKind string
}

// Met reports whether aiden's result is the expected one.
func (e Expectation) Met() bool { return e.Want == e.Got }

// kyvernoTest is the subset of cli.kyverno.io/v1alpha1 Test that offline
// evaluation uses.
type kyvernoTest struct {
	Policies         []string  `json:"policies"`
	Resources        []string  `json:"resources"`
	ParamResources   []string  `json:"paramResources"`
	ClusterResources []string  `json:"clusterResources"`
	TargetResources  []string  `json:"targetResources"`
	Variables        string    `json:"variables"`
	Values           *kyValues `json:"values"`
	UserInfo         string    `json:"userinfo"`
	Exceptions       []string  `json:"exceptions"`
	Context          string    `json:"context"`
	APICallResponses []struct {
		URL      string `json:"url"`
		URLPath  string `json:"urlPath"`
		Method   string `json:"method"`
		Response struct {
			StatusCode int `json:"statusCode"`
			Body       any `json:"body"`
		} `json:"response"`
	} `json:"apiCallResponses"`
	GlobalContextEntries []struct {
		Name          string           `json:"name"`
		Data          any              `json:"data"`
		Resources     []map[string]any `json:"resources"`
		ResourceFiles []string         `json:"resourceFiles"`
		Projections   []struct {
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"projections"`
	} `json:"globalContextEntries"`
	Results      []kyTestCase `json:"results"`
	JSONPayload  string       `json:"jsonPayload"`
	JSONPayloads []string     `json:"jsonPayloads"`
}

// kyTestCase is one entry of a test's results.
type kyTestCase struct {
	Policy           string   `json:"policy"`
	Rule             string   `json:"rule"`
	Resource         string   `json:"resource"`
	Resources        []string `json:"resources"`
	Kind             string   `json:"kind"`
	Namespace        string   `json:"namespace"`
	Result           Status   `json:"result"`
	Status           Status   `json:"status"`
	Operation        string   `json:"operation"`
	PatchedResources string   `json:"patchedResources"`
	// The policy kind flags of the results.
	IsValidatingAdmissionPolicy bool `json:"isValidatingAdmissionPolicy"`
	IsMutatingAdmissionPolicy   bool `json:"isMutatingAdmissionPolicy"`
	IsValidatingPolicy          bool `json:"isValidatingPolicy"`
	IsMutatingPolicy            bool `json:"isMutatingPolicy"`
	IsImageValidatingPolicy     bool `json:"isImageValidatingPolicy"`
	IsGeneratingPolicy          bool `json:"isGeneratingPolicy"`
	IsDeletingPolicy            bool `json:"isDeletingPolicy"`
}

func (r kyTestCase) policyKind() string {
	switch {
	case r.IsValidatingAdmissionPolicy:
		return KindValidatingAdmissionPolicy
	case r.IsMutatingAdmissionPolicy:
		return KindMutatingAdmissionPolicy
	case r.IsValidatingPolicy:
		return KindValidatingPolicy
	case r.IsMutatingPolicy:
		return KindMutatingPolicy
	case r.IsImageValidatingPolicy:
		return KindImageValidatingPolicy
	case r.IsGeneratingPolicy:
		return KindGeneratingPolicy
	case r.IsDeletingPolicy:
		return KindDeletingPolicy
	}
	return "ClusterPolicy"
}

// kyValues is a cli.kyverno.io/v1alpha1 Value (a test's variables file).
type kyValues struct {
	GlobalValues map[string]any `json:"globalValues"`
	Policies     []struct {
		Name  string `json:"name"`
		Rules []struct {
			Name   string         `json:"name"`
			Values map[string]any `json:"values"`
		} `json:"rules"`
		Resources []struct {
			Name   string         `json:"name"`
			Values map[string]any `json:"values"`
		} `json:"resources"`
	} `json:"policies"`
	NamespaceSelectors []struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"namespaceSelector"`
	Namespaces   []map[string]any `json:"namespaces"`
	Subresources []struct {
		ParentResource struct {
			Kind string `json:"kind"`
		} `json:"parentResource"`
		Subresource struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"subresource"`
	} `json:"subresources"`
}

// values indexes a Values file by policy, rule and resource.
func (v *kyValues) values() *Values {
	out := &Values{Global: v.GlobalValues, Rules: map[string]map[string]any{}, Resources: map[string]map[string]any{}}
	for _, sr := range v.Subresources {
		out.Subresources = append(out.Subresources, Subresource{Kind: sr.Subresource.Kind, Name: sr.Subresource.Name, ParentKind: sr.ParentResource.Kind})
	}
	for _, p := range v.Policies {
		for _, r := range p.Rules {
			out.Rules[p.Name+"/"+r.Name] = r.Values
		}
		for _, r := range p.Resources {
			out.Resources[p.Name+"/"+r.Name] = r.Values
		}
	}
	return out
}

// FindKyvernoTests returns the kyverno-test.yaml files in paths (files or
// folders, searched recursively), sorted.
func FindKyvernoTests(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("find kyverno tests: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "kyverno-test.yaml" {
				out = append(out, q)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find kyverno tests: %w", err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// RunKyvernoTest runs one kyverno-test.yaml file offline, the way `kyverno
// test` does: it applies the named policies (Kyverno ClusterPolicy and
// Policy, ValidatingPolicy, MutatingPolicy, ValidatingAdmissionPolicy with
// its bindings, ...) to the named resources and compares each expected
// result with aiden's. A rule that does not match a resource counts as
// skip. The test's values file gives namespace labels, its userinfo file
// the requesting user, and its param and cluster resources the objects
// policies take as params.
func RunKyvernoTest(file string) ([]Expectation, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("run kyverno test: %w", err)
	}
	// A file may hold several tests, one per YAML document.
	var out []Expectation
	for _, doc := range splitYAML(b) {
		var t kyvernoTest
		if err := yaml.Unmarshal(doc, &t); err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		exps, err := runKyvernoTest(file, &t)
		if err != nil {
			return nil, err
		}
		out = append(out, exps...)
	}
	return out, nil
}

func runKyvernoTest(file string, t *kyvernoTest) ([]Expectation, error) {
	dir := filepath.Dir(file)
	read := func(p string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return nil, fmt.Errorf("run kyverno test %s: %w", file, err)
		}
		return b, nil
	}
	// readObjects reads the objects of a file the test names.
	readObjects := func(p string) ([]Object, error) {
		b, err := read(p)
		if err != nil {
			return nil, err
		}
		return DecodeObjects(p, b)
	}
	var policies []*KyvernoPolicy
	var cels []*CELPolicy
	var bindings []*CELBinding
	for _, p := range t.Policies {
		b, err := read(p)
		if err != nil {
			return nil, err
		}
		ps, err := ParseKyverno(p, b)
		if err != nil {
			return nil, err
		}
		policies = append(policies, ps...)
		cs, bs, err := ParseCEL(p, b)
		if err != nil {
			return nil, err
		}
		cels, bindings = append(cels, cs...), append(bindings, bs...)
	}
	LinkBindings(cels, bindings)
	cluster := &Cluster{Namespaces: map[string]map[string]string{}, Complete: true}
	values := t.Values
	if t.Variables != "" {
		b, err := read(t.Variables)
		if err != nil {
			return nil, err
		}
		values = &kyValues{}
		if err := yaml.Unmarshal(b, values); err != nil {
			return nil, fmt.Errorf("parse %s: %w", t.Variables, err)
		}
	}
	if values != nil {
		cluster.Values = values.values()
		for _, ns := range values.NamespaceSelectors {
			cluster.Namespaces[ns.Name] = ns.Labels
		}
		for _, ns := range values.Namespaces {
			addNamespace(cluster, ns)
		}
	}
	if t.UserInfo != "" {
		b, err := read(t.UserInfo)
		if err != nil {
			return nil, err
		}
		var ui struct {
			UserInfo     UserInfo `json:"userInfo"`
			Roles        []string `json:"roles"`
			ClusterRoles []string `json:"clusterRoles"`
		}
		if err := yaml.Unmarshal(b, &ui); err != nil {
			return nil, fmt.Errorf("parse %s: %w", t.UserInfo, err)
		}
		cluster.User = ui.UserInfo
		cluster.User.Roles, cluster.User.ClusterRoles = ui.Roles, ui.ClusterRoles
	}
	var objects []Object
	for _, r := range t.Resources {
		objs, err := readObjects(r)
		if err != nil {
			return nil, err
		}
		objects = append(objects, objs...)
	}
	for _, r := range t.APICallResponses {
		cluster.HTTP = append(cluster.HTTP, HTTPResponse{URL: r.URL, URLPath: r.URLPath, Method: r.Method,
			StatusCode: r.Response.StatusCode, Body: r.Response.Body})
	}
	for _, g := range t.GlobalContextEntries {
		if cluster.Global == nil {
			cluster.Global = map[string]any{}
		}
		var value any = g.Data
		if value == nil {
			list := []any{}
			for _, r := range g.Resources {
				list = append(list, r)
			}
			for _, f := range g.ResourceFiles {
				objs, err := readObjects(f)
				if err != nil {
					return nil, err
				}
				for _, o := range objs {
					list = append(list, o.Content)
				}
			}
			value = list
		}
		if len(g.Projections) > 0 {
			proj := map[string]any{}
			for _, p := range g.Projections {
				v, err := defaultEnv().search(p.Path, value)
				if err != nil {
					return nil, fmt.Errorf("global context entry %s projection %s: %w", g.Name, p.Name, err)
				}
				proj[p.Name] = v
			}
			value = proj
		}
		cluster.Global[g.Name] = value
	}
	for _, x := range t.Exceptions {
		b, err := read(x)
		if err != nil {
			return nil, err
		}
		xs, err := ParseExceptions(x, b)
		if err != nil {
			return nil, err
		}
		cluster.Exceptions = append(cluster.Exceptions, xs...)
	}
	for _, r := range t.TargetResources {
		objs, err := readObjects(r)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			// targets exist in the cluster: lookups find them too
			cluster.Targets = append(cluster.Targets, defaultNamespace(o.Content))
			cluster.Objects = append(cluster.Objects, defaultNamespace(o.Content))
		}
	}
	extra := append(append([]string(nil), t.ParamResources...), t.ClusterResources...)
	if t.Context != "" {
		extra = append(extra, t.Context)
	}
	for _, r := range extra {
		objs, err := readObjects(r)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			// cli.kyverno.io ClusterResource and Context files list their
			// objects under spec.resources.
			if av, _ := o.Content["apiVersion"].(string); strings.HasPrefix(av, "cli.kyverno.io/") {
				spec, _ := o.Content["spec"].(map[string]any)
				imgs, _ := spec["images"].([]any)
				for _, x := range imgs {
					if m, ok := x.(map[string]any); ok {
						cluster.Images = append(cluster.Images, m)
					}
				}
				list, _ := spec["resources"].([]any)
				for _, x := range list {
					if m, ok := x.(map[string]any); ok {
						cluster.Objects = append(cluster.Objects, m)
						if m["kind"] == "Namespace" {
							addNamespace(cluster, m)
						}
					}
				}
				continue
			}
			cluster.Objects = append(cluster.Objects, o.Content)
		}
	}
	for i, o := range objects {
		objects[i].Content = defaultNamespace(o.Content)
		o = objects[i]
		cluster.Objects = append(cluster.Objects, o.Content)
		if o.Content["kind"] == "Namespace" {
			addNamespace(cluster, o.Content)
		}
	}
	// Results are computed once per admission operation the expectations
	// name (CREATE when they name none).
	ops := map[string]bool{"": true}
	for _, r := range t.Results {
		ops[strings.ToUpper(r.Operation)] = true
	}
	got := map[string]map[resultKey]RuleResult{}
	for op := range ops {
		c := *cluster
		c.Operation = op
		got[op] = applyAll(objects, policies, cels, &c)
	}
	// JSON payloads (evaluation.mode JSON) are named by their file.
	payloads := t.JSONPayloads
	if t.JSONPayload != "" {
		payloads = append(payloads, t.JSONPayload)
	}
	for _, f := range payloads {
		b, err := read(f)
		if err != nil {
			return nil, err
		}
		var payload any
		if err := yaml.Unmarshal(b, &payload); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		for _, p := range cels {
			for _, rr := range p.ApplyJSON(payload, cluster) {
				got[""][resultKey{p.Name, "", "", f}] = rr
			}
		}
	}
	var out []Expectation
	for _, r := range t.Results {
		want := r.Result
		if want == "" {
			want = r.Status
		}
		names := r.Resources
		if r.Resource != "" {
			names = append(names, r.Resource)
		}
		if len(names) == 0 && r.Kind == "" {
			names = payloads // a result for JSON payloads names none: all of them
		}
		for _, n := range names {
			e := Expectation{Test: file, Policy: r.Policy, Rule: r.Rule, Kind: r.Kind, Resource: n, Want: want, Got: StatusSkip,
				Message: "rule did not match the resource", PolicyKind: r.policyKind()}
			// As kyverno test does, a Pod rule's expectation on a controller
			// is looked up under the rule's autogen names too.
			// A CEL policy has no rules: its result answers whatever rule
			// the expectation names.
			for _, rule := range []string{r.Rule, "autogen-" + r.Rule, "autogen-cronjob-" + r.Rule, ""} {
				if rr, ok := lookup(got[strings.ToUpper(r.Operation)], r.Policy, rule, r.Kind, n); ok {
					e.Got, e.Message = rr.Status, rr.Message
					if r.PatchedResources != "" && rr.Patched != nil {
						// as kyverno test does: a patched resource that
						// differs fails; an equal one leaves the rule's result
						if st, msg := comparePatched(readObjects, r.PatchedResources, rr.Patched); st != StatusPass {
							e.Got, e.Message = st, msg
						}
					}
					break
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// applyAll applies the policies to the objects and indexes the results
// by policy, rule, kind and name (and namespace/name).
func applyAll(objects []Object, policies []*KyvernoPolicy, cels []*CELPolicy, cluster *Cluster) map[resultKey]RuleResult {
	got := map[resultKey]RuleResult{}
	keep := func(k resultKey, rr RuleResult) {
		if old, ok := got[k]; ok && statusRank(old.Status) >= statusRank(rr.Status) {
			return
		}
		got[k] = rr
	}
	// a result is kept under the resource's name and, for objects of the
	// same name in other namespaces, under namespace/name
	put := func(k resultKey, ns string, rr RuleResult) {
		keep(k, rr)
		if ns != "" {
			k.name = ns + "/" + k.name
			keep(k, rr)
		}
	}
	for _, o := range objects {
		kind, _ := o.Content["kind"].(string)
		name, ns := objectName(o.Content)
		// As the kyverno CLI does, the policies with mutate rules apply
		// first, in turn, each to the resource the previous one patched;
		// the others then see the patched resource.
		cur := o.Content
		ordered := make([]*KyvernoPolicy, 0, len(policies))
		for _, p := range policies {
			if p.hasMutate() {
				ordered = append(ordered, p)
			}
		}
		for _, p := range policies {
			if !p.hasMutate() {
				ordered = append(ordered, p)
			}
		}
		for _, p := range ordered {
			results := p.ApplyIn(cur, cluster)
			for _, rr := range results {
				if rr.Patched != nil {
					cur = rr.Patched
					break
				}
			}
			for _, rr := range results {
				// a mutate-existing rule's results are about its targets
				for _, t := range rr.Targets {
					tr := rr
					tr.Patched, tr.Targets = t, nil
					tk, _ := t["kind"].(string)
					tn, tns := objectName(t)
					put(resultKey{p.Name, rr.Rule, tk, tn}, tns, tr)
				}
				put(resultKey{p.Name, rr.Rule, kind, name}, ns, rr)
				if p.Namespace != "" {
					// a namespaced Policy is named namespace/name in results
					put(resultKey{p.Namespace + "/" + p.Name, rr.Rule, kind, name}, ns, rr)
				}
			}
		}
		for _, p := range cels {
			for _, rr := range p.Apply(o.Content, cluster) {
				for _, t := range rr.Targets {
					tr := rr
					tr.Patched, tr.Targets = t, nil
					tk, _ := t["kind"].(string)
					tn, tns := objectName(t)
					put(resultKey{p.Name, "", tk, tn}, tns, tr)
				}
				put(resultKey{p.Name, "", kind, name}, ns, rr)
				if rr.Rule != "" {
					put(resultKey{p.Name, rr.Rule, kind, name}, ns, rr)
				}
			}
		}
	}
	return got
}

// statusRank orders the results of one policy on one resource when
// several bindings or rules report under the same key: the worst wins.
func statusRank(s Status) int {
	switch s {
	case StatusFail:
		return 4
	case StatusError:
		return 3
	case StatusNeedsCluster:
		return 2
	case StatusPass:
		return 1
	}
	return 0
}

// defaultNamespace places a namespaced object without a namespace in
// "default", as the kyverno CLI does.
func defaultNamespace(obj map[string]any) map[string]any {
	kind, _ := obj["kind"].(string)
	if _, ns := objectName(obj); ns != "" || clusterScoped[kind] {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	md, _ := obj["metadata"].(map[string]any)
	m2 := make(map[string]any, len(md)+1)
	for k, v := range md {
		m2[k] = v
	}
	m2["namespace"] = "default"
	out["metadata"] = m2
	return out
}

// addNamespace records a Namespace object's labels.
func addNamespace(c *Cluster, ns map[string]any) {
	name, _ := objectName(ns)
	in := &celInput{object: ns}
	if c.NamespaceObjects == nil {
		c.NamespaceObjects = map[string]map[string]any{}
	}
	c.NamespaceObjects[name] = ns
	if c.Namespaces[name] == nil {
		c.Namespaces[name] = map[string]string{}
	}
	for k, v := range in.objectLabels() {
		c.Namespaces[name][k] = v
	}
}

// comparePatched compares a mutation's result with the test's expected
// patched resource of the same kind and name: pass when equal, fail
// naming the first difference.
func comparePatched(readObjects func(string) ([]Object, error), file string, patched map[string]any) (Status, string) {
	objs, err := readObjects(file)
	if err != nil {
		return StatusError, err.Error()
	}
	name, pns := objectName(patched)
	for _, o := range objs {
		// as the kyverno CLI does, the expected resource has the same
		// kind, name and (when it names one) namespace
		if n, ns := objectName(o.Content); n != name || o.Content["kind"] != patched["kind"] || (ns != "" && pns != "" && ns != pns) {
			continue
		}
		got := pruneEmpty(celNative(patched)).(map[string]any)
		if _, ns := objectName(o.Content); ns == "" {
			// the namespace defaulted for evaluation is not part of the patch
			if md, ok := got["metadata"].(map[string]any); ok {
				md = maps.Clone(md)
				delete(md, "namespace")
				got["metadata"] = md
			}
		}
		if d := firstDiff("", pruneEmpty(celNative(o.Content)), got); d != "" {
			return StatusFail, "patched resource differs from " + file + " at " + d
		}
		return StatusPass, "patched resource matches " + file
	}
	return StatusFail, "no resource " + name + " in " + file
}

// pruneEmpty drops null values and empty maps, which a typed round trip
// (as Kyverno's for a patched resource) adds or drops at will
// (creationTimestamp: null, strategy: {}, resources: {}).
func pruneEmpty(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			x = pruneEmpty(x)
			if x == nil {
				continue
			}
			if m, ok := x.(map[string]any); ok && len(m) == 0 {
				continue
			}
			out[k] = x
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = pruneEmpty(x)
		}
		return out
	}
	return v
}

// firstDiff returns the path of the first difference between two decoded
// objects, or "".
func firstDiff(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return cmpOr(path, "/")
		}
		for _, k := range sortedKeys(w) {
			if d := firstDiff(path+"/"+k, w[k], g[k]); d != "" {
				return d
			}
		}
		for _, k := range sortedKeys(g) {
			if _, ok := w[k]; !ok {
				return path + "/" + k
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return cmpOr(path, "/")
		}
		for i := range w {
			if d := firstDiff(fmt.Sprintf("%s/%d", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return cmpOr(path, "/")
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func objectName(obj map[string]any) (name, namespace string) {
	md, _ := obj["metadata"].(map[string]any)
	name, _ = md["name"].(string)
	namespace, _ = md["namespace"].(string)
	return strings.TrimSpace(name), namespace
}

type resultKey struct{ policy, rule, kind, name string }

func lookup(got map[resultKey]RuleResult, policy, rule, kind, name string) (RuleResult, bool) {
	if kind != "" {
		rr, ok := got[resultKey{policy, rule, kind, name}]
		return rr, ok
	}
	for k, rr := range got {
		if k.policy == policy && k.rule == rule && k.name == name {
			return rr, true
		}
	}
	return RuleResult{}, false
}
