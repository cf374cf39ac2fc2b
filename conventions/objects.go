package conventions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/yamlpos"
)

// object is one Kubernetes object of a YAML file, kept as a node tree so
// that fixes keep the file's comments and order.
type object struct {
	file  string
	doc   int
	root  *yaml.Node // the document's mapping
	kind  string
	group string // API group, "" for core
	name  string
	ns    string
	in    *yamlFile
}

// changed marks the object's file for writing.
func (o *object) changed() { o.in.changed = true }

// resource names the object as Kind/namespace/name or Kind/name.
func (o *object) resource() string {
	if o.ns != "" {
		return o.kind + "/" + o.ns + "/" + o.name
	}
	return o.kind + "/" + o.name
}

// at is where the node a finding's pointer names is written in the file
// as given: the value of a name, namespace or label, the key of a labels
// or annotations mapping, and, for a field that is missing (or that a fix
// added), the deepest one written (metadata for missing labels:).
func (o *object) at(pointer string) yamlpos.Position {
	pos, _ := yamlpos.Node(o.root, yamlpos.PointerSegments(pointer, ""))
	return pos
}

// yamlFile is a parsed multi-document YAML file.
type yamlFile struct {
	path    string
	docs    []*yaml.Node
	objects []*object
	changed bool
}

// mayHoldObject reports whether parseFile may find an object in content:
// an object's kind key is the text "kind", unless a double-quoted key
// spells it with an escape. A chart's values.yaml and Chart.yaml hold
// none, and need not be parsed to know it.
func mayHoldObject(content []byte) bool {
	return bytes.Contains(content, []byte("kind")) || bytes.IndexByte(content, '\\') >= 0
}

// parseFile reads the documents of a YAML file and the Kubernetes objects
// among them; a file that is not YAML yields an error.
func parseFile(p string, content []byte) (*yamlFile, error) {
	f := &yamlFile{path: p}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		f.docs = append(f.docs, &doc)
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		apiVersion, kind := scalar(root, "apiVersion"), scalar(root, "kind")
		meta := get(root, "metadata")
		if apiVersion == "" || kind == "" || meta == nil {
			continue
		}
		group := ""
		if i := strings.Index(apiVersion, "/"); i >= 0 {
			group = apiVersion[:i]
		}
		if strings.HasPrefix(group, "kustomize.config.k8s.io") {
			continue // a Kustomization or Component file, not an object
		}
		f.objects = append(f.objects, &object{
			file: p, doc: i, root: root, kind: kind, group: group,
			name: scalar(meta, "name"), ns: scalar(meta, "namespace"), in: f,
		})
	}
	return f, nil
}

// encode writes the file back, two-space indented.
func (f *yamlFile) encode() ([]byte, error) {
	var b bytes.Buffer
	for i, doc := range f.docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		var one bytes.Buffer
		enc := yaml.NewEncoder(&one)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.path, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.path, err)
		}
		b.Write(one.Bytes())
	}
	return b.Bytes(), nil
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// dig follows keys from n; nil when any is missing.
func dig(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = get(n, k)
	}
	return n
}

func scalar(n *yaml.Node, key string) string {
	v := get(n, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// ensureMap returns the mapping at key of n, creating it (or replacing an
// empty value) when needed.
func ensureMap(n *yaml.Node, key string) *yaml.Node {
	if v := get(n, key); v != nil {
		if v.Kind == yaml.MappingNode {
			return v
		}
		if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "") {
			*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			return v
		}
		return nil
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

// set writes key: value (a string) into mapping n.
func set(n *yaml.Node, key, value string) {
	if v := get(n, key); v != nil {
		*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: v.Style}
		return
	}
	n.Content = append(n.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

// setAfter writes key: value into mapping n, right after the key after
// when key is new.
func setAfter(n *yaml.Node, key, value, after string) {
	if get(n, key) != nil {
		set(n, key, value)
		return
	}
	pair := []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: value}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == after {
			n.Content = append(n.Content[:i+2], append(pair, n.Content[i+2:]...)...)
			return
		}
	}
	n.Content = append(n.Content, pair...)
}

// stringMap reads a mapping of strings.
func stringMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1].Value
	}
	return out
}

// items returns the elements of the sequence at n (nil when n is not one).
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// podSpec returns the pod spec of a workload and the metadata of its pod
// template (nil for objects without pods).
func podSpec(o *object) (spec, meta *yaml.Node) {
	var tmpl *yaml.Node
	switch o.kind {
	case "Pod":
		return get(o.root, "spec"), nil
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
		tmpl = dig(o.root, "spec", "template")
	case "CronJob":
		tmpl = dig(o.root, "spec", "jobTemplate", "spec", "template")
	default:
		return nil, nil
	}
	if tmpl == nil {
		return nil, nil
	}
	return get(tmpl, "spec"), tmpl
}

// ref is a field of one object that names another object.
type ref struct {
	kind string     // kind of the object named
	node *yaml.Node // the scalar holding the name
	path string     // JSON path of the field, for findings
}

// refs lists the fields of o that name other objects by name: the pod
// spec's volumes, env and envFrom sources, service account and pull
// secrets; StatefulSet serviceName; HPA scale targets; Ingress backends
// and TLS secrets; RoleBinding subjects and role; Flux HelmRelease sources.
func refs(o *object) []ref {
	var out []ref
	add := func(kind string, n *yaml.Node, p string) {
		if n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
			out = append(out, ref{kind: kind, node: n, path: p})
		}
	}
	if spec, _ := podSpec(o); spec != nil {
		prefix := "/spec/template/spec"
		switch o.kind {
		case "Pod":
			prefix = "/spec"
		case "CronJob":
			prefix = "/spec/jobTemplate/spec/template/spec"
		}
		add("ServiceAccount", get(spec, "serviceAccountName"), prefix+"/serviceAccountName")
		for i, s := range items(get(spec, "imagePullSecrets")) {
			add("Secret", get(s, "name"), fmt.Sprintf("%s/imagePullSecrets/%d/name", prefix, i))
		}
		for i, v := range items(get(spec, "volumes")) {
			p := fmt.Sprintf("%s/volumes/%d", prefix, i)
			add("ConfigMap", dig(v, "configMap", "name"), p+"/configMap/name")
			add("Secret", dig(v, "secret", "secretName"), p+"/secret/secretName")
			add("PersistentVolumeClaim", dig(v, "persistentVolumeClaim", "claimName"), p+"/persistentVolumeClaim/claimName")
			for j, s := range items(dig(v, "projected", "sources")) {
				add("ConfigMap", dig(s, "configMap", "name"), fmt.Sprintf("%s/projected/sources/%d/configMap/name", p, j))
				add("Secret", dig(s, "secret", "name"), fmt.Sprintf("%s/projected/sources/%d/secret/name", p, j))
			}
		}
		for _, list := range []string{"initContainers", "containers"} {
			for i, c := range items(get(spec, list)) {
				p := fmt.Sprintf("%s/%s/%d", prefix, list, i)
				for j, e := range items(get(c, "env")) {
					add("ConfigMap", dig(e, "valueFrom", "configMapKeyRef", "name"), fmt.Sprintf("%s/env/%d/valueFrom/configMapKeyRef/name", p, j))
					add("Secret", dig(e, "valueFrom", "secretKeyRef", "name"), fmt.Sprintf("%s/env/%d/valueFrom/secretKeyRef/name", p, j))
				}
				for j, e := range items(get(c, "envFrom")) {
					add("ConfigMap", dig(e, "configMapRef", "name"), fmt.Sprintf("%s/envFrom/%d/configMapRef/name", p, j))
					add("Secret", dig(e, "secretRef", "name"), fmt.Sprintf("%s/envFrom/%d/secretRef/name", p, j))
				}
			}
		}
	}
	switch o.kind {
	case "StatefulSet":
		add("Service", dig(o.root, "spec", "serviceName"), "/spec/serviceName")
	case "HorizontalPodAutoscaler":
		add(scalar(dig(o.root, "spec", "scaleTargetRef"), "kind"), dig(o.root, "spec", "scaleTargetRef", "name"), "/spec/scaleTargetRef/name")
	case "Ingress":
		add("Service", dig(o.root, "spec", "defaultBackend", "service", "name"), "/spec/defaultBackend/service/name")
		for i, r := range items(dig(o.root, "spec", "rules")) {
			for j, p := range items(dig(r, "http", "paths")) {
				add("Service", dig(p, "backend", "service", "name"), fmt.Sprintf("/spec/rules/%d/http/paths/%d/backend/service/name", i, j))
			}
		}
		for i, t := range items(dig(o.root, "spec", "tls")) {
			add("Secret", get(t, "secretName"), fmt.Sprintf("/spec/tls/%d/secretName", i))
		}
	case "RoleBinding", "ClusterRoleBinding":
		add(scalar(get(o.root, "roleRef"), "kind"), dig(o.root, "roleRef", "name"), "/roleRef/name")
		for i, s := range items(get(o.root, "subjects")) {
			if scalar(s, "kind") == "ServiceAccount" {
				add("ServiceAccount", get(s, "name"), fmt.Sprintf("/subjects/%d/name", i))
			}
		}
	case "HelmRelease":
		src := dig(o.root, "spec", "chart", "spec", "sourceRef")
		add(scalar(src, "kind"), get(src, "name"), "/spec/chart/spec/sourceRef/name")
		for i, v := range items(dig(o.root, "spec", "valuesFrom")) {
			add(scalar(v, "kind"), get(v, "name"), fmt.Sprintf("/spec/valuesFrom/%d/name", i))
		}
	}
	return out
}

// clusterScoped lists the kinds without a namespace that generations may
// hold.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "PersistentVolume": true,
	"StorageClass": true, "CustomResourceDefinition": true, "PriorityClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "ClusterPolicy": true,
	"RuntimeClass": true, "APIService": true, "ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}
