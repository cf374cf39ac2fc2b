package schema

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// Field is what the embedded schemas say about one field of a kind.
type Field struct {
	// Path is the field's path as given, dotted ("spec.replicas").
	Path string
	// Type is the JSON Schema type ("integer", "object", "array", ...),
	// or empty when the schema names none.
	Type string
	// Description is the field's documentation: the schema's, or, as the
	// embedded bundles carry none, the API types' own (the SwaggerDoc of
	// k8s.io/api, which the OpenAPI descriptions are generated from).
	Description string
}

// Describe looks up the field at path (object keys, and array indexes
// which step into the items) of apiVersion/kind in the schemas embedded
// for Kubernetes version (empty: the newest embedded). ok is false when the
// kind has no schema or the path leaves it.
func Describe(version, apiVersion, kind string, path []string) (f Field, ok bool, err error) {
	all, newest, err := loadBundles()
	if err == nil {
		err = loadHeads()
	}
	if err != nil {
		return Field{}, false, err
	}
	if version == "" {
		version = newest
	}
	b := all[version]
	if b == nil {
		return Field{}, false, fmt.Errorf("describe %s %s: no schemas for Kubernetes %s", apiVersion, kind, version)
	}
	name, found := b.Kinds[apiVersion+"/"+kind]
	if !found {
		return Field{}, false, nil
	}
	node, _ := b.ownDef(name).(map[string]any)
	node = b.deref(node)
	for _, key := range path {
		if node == nil {
			return Field{}, false, nil
		}
		if _, err := strconv.Atoi(key); err == nil {
			items, _ := node["items"].(map[string]any)
			node = b.deref(items)
			continue
		}
		props, _ := node["properties"].(map[string]any)
		next, _ := props[key].(map[string]any)
		if next == nil {
			// A map's values (labels, annotations, ...).
			next, _ = node["additionalProperties"].(map[string]any)
		}
		// The description of a field that refers to a definition is the
		// field's own when it has one, else the definition's.
		desc, _ := next["description"].(string)
		node = b.deref(next)
		if node != nil && desc != "" {
			node = withDescription(node, desc)
		}
	}
	if node == nil {
		return Field{}, false, nil
	}
	f = Field{Path: strings.Join(path, ".")}
	f.Description, _ = node["description"].(string)
	if f.Description == "" {
		f.Description = swaggerDoc(apiVersion, kind, path)
	}
	switch t := node["type"].(type) {
	case string:
		f.Type = t
	case []any:
		var ts []string
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				ts = append(ts, s)
			}
		}
		f.Type = strings.Join(ts, " or ")
	}
	return f, true, nil
}

// deref follows a node's $ref (and an allOf of one $ref) to its
// definition, as many times as it takes; nil stays nil.
func (b *bundle) deref(node map[string]any) map[string]any {
	for range 16 {
		if node == nil {
			return nil
		}
		ref, _ := node["$ref"].(string)
		if ref == "" {
			if all, _ := node["allOf"].([]any); len(all) == 1 {
				if one, _ := all[0].(map[string]any); one != nil {
					desc, _ := node["description"].(string)
					node = withDescription(one, desc)
					continue
				}
			}
			return node
		}
		desc, _ := node["description"].(string)
		def, _ := b.ownDef(strings.TrimPrefix(ref, "#/definitions/")).(map[string]any)
		if def == nil {
			return nil
		}
		node = withDescription(def, desc)
	}
	return node
}

// withDescription returns node with desc as its description when desc is
// not empty, without changing node.
func withDescription(node map[string]any, desc string) map[string]any {
	if desc == "" || node["description"] == desc {
		return node
	}
	c := make(map[string]any, len(node))
	for k, v := range node {
		c[k] = v
	}
	c["description"] = desc
	return c
}

// swaggerDoc returns the documentation k8s.io/api gives the field at path
// of a built-in kind, or "" for other kinds and paths.
func swaggerDoc(apiVersion, kind string, path []string) string {
	obj, err := scheme.Scheme.New(k8sschema.FromAPIVersionAndKind(apiVersion, kind))
	if err != nil || len(path) == 0 {
		return ""
	}
	t := reflect.TypeOf(obj)
	doc := ""
	for _, key := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			t, doc = t.Elem(), ""
			if _, err := strconv.Atoi(key); err == nil || t.Kind() != reflect.Struct {
				continue
			}
			// A map's value: its documentation is the map's.
			return ""
		case reflect.Struct:
			ft, d, ok := field(t, key)
			if !ok {
				return ""
			}
			t, doc = ft, d
		default:
			return ""
		}
	}
	return doc
}

// field finds the struct field whose JSON name is key, looking into
// inlined structs, with its SwaggerDoc line.
func field(t reflect.Type, key string) (reflect.Type, string, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" && (sf.Anonymous || strings.Contains(opts, "inline")) {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if r, d, ok := field(ft, key); ok {
					return r, d, true
				}
			}
			continue
		}
		if name != key {
			continue
		}
		doc := ""
		if d, ok := reflect.New(t).Interface().(interface{ SwaggerDoc() map[string]string }); ok {
			doc = d.SwaggerDoc()[key]
		}
		return sf.Type, doc, true
	}
	return nil, "", false
}
