package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/yannh/kubeconform/pkg/validator"
	sigsyaml "sigs.k8s.io/yaml"
)

// CRDDefinition turns the openAPIV3Schema of one CRD version into the
// JSON Schema aiden validates objects of the kind against, as the
// catalogue's bundles hold it (cmd/schemagen writes them with it):
// descriptions and most vendor extensions go, int-or-string becomes a
// oneOf, optional fields admit null, and every object has the standard
// metadata, apiVersion and kind whatever the CRD says (the API server
// accepts them on every object, so a CRD need not list them).
func CRDDefinition(openAPIV3Schema map[string]any) map[string]any {
	root := ConvertOpenAPI(openAPIV3Schema, true)
	if props, ok := root["properties"].(map[string]any); ok {
		props["metadata"] = map[string]any{"type": []any{"object", "null"}}
		for _, k := range []string{"apiVersion", "kind"} {
			if _, ok := props[k]; !ok {
				props[k] = map[string]any{"type": []any{"string", "null"}}
			}
		}
	}
	return root
}

// ConvertOpenAPI rewrites one OpenAPI schema node into JSON Schema:
// descriptions and most vendor extensions go, int-or-string becomes a
// oneOf, and types admit null unless the node is a required property
// (openapi2jsonschema's allow_null_optional_fields). cmd/schemagen uses it
// for the embedded bundles, the validator for a repository's CRDs.
func ConvertOpenAPI(node map[string]any, nullable bool) map[string]any {
	if f, _ := node["format"].(string); f == "int-or-string" || node["x-kubernetes-int-or-string"] == true {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": []any{"string", "null"}},
			map[string]any{"type": []any{"integer", "null"}},
		}}
	}
	out := make(map[string]any, len(node))
	var required map[string]bool
	if req, ok := node["required"].([]any); ok {
		required = make(map[string]bool, len(req))
		for _, r := range req {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	for k, v := range node {
		switch {
		case k == "description", k == "x-kubernetes-group-version-kind":
			continue
		case strings.HasPrefix(k, "x-kubernetes-") && k != "x-kubernetes-preserve-unknown-fields":
			continue
		case k == "type":
			if s, ok := v.(string); ok && nullable && s != "null" {
				out[k] = []any{s, "null"}
				continue
			}
			out[k] = v
		case k == "properties":
			props, _ := v.(map[string]any)
			np := make(map[string]any, len(props))
			for name, p := range props {
				if pm, ok := p.(map[string]any); ok {
					np[name] = ConvertOpenAPI(pm, !required[name])
				} else {
					np[name] = p
				}
			}
			out[k] = np
		case k == "items", k == "additionalProperties", k == "not":
			if m, ok := v.(map[string]any); ok {
				out[k] = ConvertOpenAPI(m, true)
			} else {
				out[k] = v
			}
		case k == "allOf", k == "anyOf", k == "oneOf":
			list, _ := v.([]any)
			nl := make([]any, len(list))
			for i, s := range list {
				if m, ok := s.(map[string]any); ok {
					nl[i] = ConvertOpenAPI(m, nullable)
				} else {
					nl[i] = s
				}
			}
			out[k] = nl
		default:
			out[k] = v
		}
	}
	return out
}

// crdManifest is what a CustomResourceDefinition says about its schemas,
// in apiextensions.k8s.io/v1 or the older v1beta1.
type crdManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Version    string `json:"version"` // v1beta1
		Validation struct {
			OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
		} `json:"validation"` // v1beta1
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// repoCRD is one group/version/kind a CRD of the files defines.
type repoCRD struct {
	key        string         // "group/version/Kind"
	definition map[string]any // as CRDDefinition makes it
	doc        int            // index of the CRD's document
}

// repoCRDs reads the schemas of the CustomResourceDefinitions among docs.
// A CRD that does not parse is left to the schema check of the CRD
// object itself.
func repoCRDs(docs []document) []repoCRD {
	var out []repoCRD
	for i := range docs {
		d := &docs[i]
		av, kind, ok := signature(&d.res)
		if !ok || kind != "CustomResourceDefinition" || !strings.HasPrefix(av, "apiextensions.k8s.io/") {
			continue
		}
		var c crdManifest
		if err := sigsyaml.Unmarshal(d.res.Bytes, &c); err != nil || c.Spec.Group == "" || c.Spec.Names.Kind == "" {
			continue
		}
		add := func(version string, s map[string]any) {
			if version == "" || s == nil {
				return
			}
			out = append(out, repoCRD{key: c.Spec.Group + "/" + version + "/" + c.Spec.Names.Kind, definition: CRDDefinition(s), doc: i})
		}
		if len(c.Spec.Versions) == 0 {
			add(c.Spec.Version, c.Spec.Validation.OpenAPIV3Schema)
		}
		for _, v := range c.Spec.Versions {
			if !v.Served {
				continue
			}
			s := v.Schema.OpenAPIV3Schema
			if s == nil {
				s = c.Spec.Validation.OpenAPIV3Schema
			}
			add(v.Name, s)
		}
	}
	return out
}

// repoSchemas writes the standalone schemas of the repository's CRDs
// into a folder named by their hash, and returns a kubeconform validator
// that looks there before the embedded schemas, with notes on the CRDs
// whose schema differs from the shipped one for the same kind (by
// document index). It returns a nil validator when docs hold no CRD.
func (v *Validator) repoSchemas(docs []document) (validator.Validator, map[int][]string, error) {
	crds := repoCRDs(docs)
	if len(crds) == 0 {
		return nil, nil, nil
	}
	sort.SliceStable(crds, func(i, j int) bool { return crds[i].key < crds[j].key })
	mini := &bundle{Kinds: map[string]string{}, Definitions: map[string]any{}, refs: map[string][]string{}}
	h := sha256.New()
	for _, c := range crds {
		if _, dup := mini.Kinds[c.key]; dup {
			continue // the first CRD of a kind wins, as when applied in order
		}
		mini.Kinds[c.key] = c.key
		mini.Definitions[c.key] = c.definition
		js, err := json.Marshal(c.definition)
		if err != nil {
			return nil, nil, fmt.Errorf("encode repository crd %s: %w", c.key, err)
		}
		h.Write([]byte(c.key))
		h.Write(js)
	}
	hash := hex.EncodeToString(h.Sum(nil)[:6])

	v.mu.Lock()
	defer v.mu.Unlock()
	suffix := ""
	if v.opts.Strict {
		suffix = "-strict"
	}
	base := filepath.Join(v.opts.CacheDir, "repo-"+hash)
	dir := filepath.Join(base, "v"+v.opts.KubernetesVersion+"-standalone"+suffix)
	notes := map[int][]string{}
	for _, c := range crds {
		if mini.Kinds[c.key] != c.key || mini.Definitions[c.key] == nil {
			continue
		}
		i := strings.LastIndex(c.key, "/")
		av, kind := c.key[:i], c.key[i+1:]
		doc, _, err := mini.standalone(av, kind, v.opts.Strict)
		if err != nil {
			return nil, nil, err
		}
		name := filepath.Join(dir, strings.ToLower(kind)+kindSuffix(av)+".json")
		if err := writeFile(name, doc); err != nil {
			return nil, nil, err
		}
		if v.bundle != nil {
			if set := shippedSet(v.bundle, av, kind); set != "" && !strings.HasPrefix(set, "kubernetes ") {
				shipped, _, err := v.bundle.standalone(av, kind, v.opts.Strict)
				if err == nil && !bytes.Equal(shipped, doc) {
					notes[c.doc] = append(notes[c.doc], fmt.Sprintf(
						"defines %s %s differently from the shipped %s schema; objects of the kind are validated against this CRD",
						kind, av, set))
				}
			}
		}
	}
	if kc, ok := v.repo[hash]; ok {
		return kc, notes, nil
	}
	locations := append([]string{filepath.Join(base,
		"{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}",
		"{{ .ResourceKind }}{{ .KindSuffix }}.json")}, v.locations...)
	kc, err := validator.New(locations, validator.Opts{
		KubernetesVersion:    v.opts.KubernetesVersion,
		Strict:               v.opts.Strict,
		IgnoreMissingSchemas: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create kubeconform validator: %w", err)
	}
	if v.repo == nil {
		v.repo = map[string]validator.Validator{}
	}
	v.repo[hash] = kc
	return kc, notes, nil
}

// writeFile writes a schema file whole (write and rename), unless it is
// there already: its folder is named by the hash of what it holds.
func writeFile(name string, data []byte) error {
	if _, err := os.Stat(name); err == nil {
		return nil
	}
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write schema: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write schema: %w", err)
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), name)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write schema: %w", werr)
	}
	return nil
}
