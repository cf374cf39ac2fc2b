package policy

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// UserInfo is the requesting user of an offline admission request (a
// Kyverno test's userinfo file); the zero value is an anonymous request.
type UserInfo struct {
	// Username is the user's name.
	Username string `json:"username,omitempty"`
	// UID is the user's id.
	UID string `json:"uid,omitempty"`
	// Groups are the user's groups.
	Groups []string `json:"groups,omitempty"`
	// Roles and ClusterRoles are Kyverno's, as "namespace:name" and names.
	Roles        []string `json:"roles,omitempty"`
	ClusterRoles []string `json:"clusterRoles,omitempty"`
}

// Cluster is what an offline evaluation knows of the cluster an object
// would be admitted to: namespaces and their labels, objects that
// policies take as parameters, and who asks. The zero value knows
// nothing: namespaces have only their kubernetes.io/metadata.name label.
type Cluster struct {
	// Namespaces maps a namespace name to its labels.
	Namespaces map[string]map[string]string
	// NamespaceObjects maps a namespace name to its Namespace object, when
	// one is given (annotations and all).
	NamespaceObjects map[string]map[string]any
	// Objects are other objects (ConfigMaps, custom resources) policies
	// may take as params.
	Objects []map[string]any
	// User is the requesting user.
	User UserInfo
	// Operation is the admission operation; default CREATE.
	Operation string
	// Values are a Kyverno test's values; nil outside tests.
	Values *Values
	// Images is image data (a test context's spec.images: image,
	// manifest, config) that image.GetMetadata answers from.
	Images []map[string]any
	// HTTP are canned responses to HTTP calls (a test's apiCallResponses).
	HTTP []HTTPResponse
	// Global are global context entries by name (a test's
	// globalContextEntries): their data, or their projections by name.
	Global map[string]any
	// Complete says Objects are the whole cluster (a test's), so that a
	// list of them is an answer rather than a live lookup.
	Complete bool
	// Exceptions are the PolicyExceptions in force.
	Exceptions []*PolicyException
	// Targets are the existing objects mutate-existing rules may patch
	// (a test's targetResources).
	Targets []map[string]any
}

// clusterScoped are the built-in kinds that have no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "StorageClass": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "CustomResourceDefinition": true, "PriorityClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "APIService": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true, "RuntimeClass": true,
	"CSIDriver": true, "CSINode": true, "VolumeAttachment": true, "ClusterPolicy": true, "ClusterIssuer": true,
	"CertificateSigningRequest": true, "FlowSchema": true, "PriorityLevelConfiguration": true,
}

// celInput is one object under evaluation.
type celInput struct {
	object    map[string]any
	oldObject map[string]any
	cluster   *Cluster
	gvk       schema.GroupVersionKind
	gvr       schema.GroupVersionResource
	name, ns  string
	// obj and req are the object and request as CEL sees them, built once
	// for every policy applied to the object.
	obj, req map[string]any
}

func (in *celInput) celObject() map[string]any {
	if in.obj == nil && in.object != nil {
		in.obj, _ = celNative(in.object).(map[string]any)
	}
	return in.obj
}

func (in *celInput) celRequest() map[string]any {
	if in.req == nil {
		in.req = in.request()
	}
	return in.req
}

func newCELInput(obj map[string]any, c *Cluster) *celInput {
	if c == nil {
		c = &Cluster{}
	}
	in := &celInput{object: obj, cluster: c}
	if strings.EqualFold(c.Operation, "DELETE") {
		in.object, in.oldObject = nil, obj
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	gv, _ := schema.ParseGroupVersion(apiVersion)
	in.gvk = gv.WithKind(kind)
	in.gvr, _ = meta.UnsafeGuessKindToResource(in.gvk)
	in.name, in.ns = objectName(obj)
	if in.ns == "" && !in.clusterScoped() {
		in.ns = "default"
	}
	return in
}

func (in *celInput) clusterScoped() bool { return clusterScoped[in.gvk.Kind] }

func (in *celInput) operation() string {
	if in.cluster.Operation != "" {
		return strings.ToUpper(in.cluster.Operation)
	}
	return "CREATE"
}

// request is the admission request CEL sees as `request`.
func (in *celInput) request() map[string]any {
	u := in.cluster.User
	groups := make([]any, 0, len(u.Groups))
	for _, g := range u.Groups {
		groups = append(groups, g)
	}
	return map[string]any{
		"uid":                "",
		"kind":               map[string]any{"group": in.gvk.Group, "version": in.gvk.Version, "kind": in.gvk.Kind},
		"resource":           map[string]any{"group": in.gvr.Group, "version": in.gvr.Version, "resource": in.gvr.Resource},
		"requestKind":        map[string]any{"group": in.gvk.Group, "version": in.gvk.Version, "kind": in.gvk.Kind},
		"requestResource":    map[string]any{"group": in.gvr.Group, "version": in.gvr.Version, "resource": in.gvr.Resource},
		"name":               in.name,
		"namespace":          in.ns,
		"operation":          in.operation(),
		"userInfo":           map[string]any{"username": u.Username, "uid": u.UID, "groups": groups},
		"dryRun":             false,
		"options":            map[string]any{},
		"subResource":        "",
		"requestSubResource": "",
	}
}

// nsLabels returns a namespace's labels: those the cluster gives, and
// kubernetes.io/metadata.name as every namespace has.
func (in *celInput) nsLabels(ns string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": ns}
	for k, v := range in.cluster.Namespaces[ns] {
		out[k] = v
	}
	return out
}

// namespaceObject is the Namespace object of a namespaced object.
func (in *celInput) namespaceObject() map[string]any {
	if in.clusterScoped() || in.ns == "" {
		return nil
	}
	lbls := map[string]any{}
	for k, v := range in.nsLabels(in.ns) {
		lbls[k] = v
	}
	md := map[string]any{"name": in.ns, "labels": lbls}
	if o := in.cluster.NamespaceObjects[in.ns]; o != nil {
		if m, ok := o["metadata"].(map[string]any); ok {
			for k, v := range m {
				if k != "labels" && k != "name" {
					md[k] = v
				}
			}
		}
	}
	return map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": md}
}

func (in *celInput) objectLabels() map[string]string {
	o := in.object
	if o == nil {
		o = in.oldObject
	}
	md, _ := o["metadata"].(map[string]any)
	raw, _ := md["labels"].(map[string]any)
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// selects reports whether a label selector selects a set of labels; a
// nil selector selects everything.
func selects(sel *metav1.LabelSelector, set map[string]string) bool {
	if sel == nil {
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(set))
}
