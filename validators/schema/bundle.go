package schema

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
)

// The bundles are written by `go run ./cmd/schemagen`; the crds-*
// bundles (`go run ./cmd/schemagen -catalogue all`) hold the catalogue of
// custom resources' schemas, merged into every Kubernetes bundle.
//
//go:embed k8s-*.json.gz crds-*.json.gz
var bundleFS embed.FS

// bundle holds the JSON Schema definitions of one Kubernetes release.
type bundle struct {
	KubernetesVersion string            `json:"kubernetesVersion"`
	Source            string            `json:"source"`
	Name              string            `json:"name"`        // of a CRD set
	Project           string            `json:"project"`     // of a CRD set
	Version           string            `json:"version"`     // of a CRD set
	License           string            `json:"license"`     // of a CRD set
	Fallback          bool              `json:"fallback"`    // a CRD set that only adds kinds no other set has
	Kinds             map[string]string `json:"kinds"`       // "apps/v1/Deployment" -> definition name
	Definitions       map[string]any    `json:"definitions"` // name -> JSON Schema
	hash              string            // of the compressed file; names the cache folder

	refsMu sync.Mutex
	refs   map[string][]string // definition -> definitions it references directly

	file     string    // the embedded file, for a CRD set read lazily
	defsOnce sync.Once // a CRD set's definitions are decoded on first use
	defsErr  error
}

var (
	bundlesOnce sync.Once
	bundles     map[string]*bundle // by Kubernetes version, "1.35.4"
	bundlesErr  error
	newest      string
	crdSets     []*bundle          // the catalogue, in merge order
	kindSet     map[string]*bundle // "group/version/Kind" -> the CRD set its schema comes from
	defSet      map[string]*bundle // definition name -> the CRD set that holds it
)

// loadBundles decodes the embedded bundles once per process.
func loadBundles() (map[string]*bundle, string, error) {
	bundlesOnce.Do(func() {
		bundles = map[string]*bundle{}
		names, err := bundleNames()
		if err != nil {
			bundlesErr = err
			return
		}
		for _, name := range names {
			b, err := readBundle(name)
			if err != nil {
				bundlesErr = err
				return
			}
			bundles[b.KubernetesVersion] = b
			if newest == "" || versionLess(newest, b.KubernetesVersion) {
				newest = b.KubernetesVersion
			}
		}
		if len(bundles) == 0 {
			bundlesErr = fmt.Errorf("load schemas: no embedded bundle")
			return
		}
		bundlesErr = mergeCRDs(bundles)
	})
	return bundles, newest, bundlesErr
}

// mergeCRDs adds the kinds of the embedded CRD bundles to every
// Kubernetes bundle and folds their hashes into the bundles', which name
// the cache folders. The Kubernetes definition wins a clash; among CRD
// sets the first in merge order wins: the sets by name, then the fallback
// sets (older releases, experimental channels) by name.
func mergeCRDs(all map[string]*bundle) error {
	entries, err := bundleFS.ReadDir(".")
	if err != nil {
		return fmt.Errorf("load schemas: %w", err)
	}
	var sets []*bundle
	for _, e := range entries {
		if ok, _ := path.Match("crds-*.json.gz", e.Name()); !ok {
			continue
		}
		// Only the head (names, kinds): the definitions, most of the
		// catalogue's bytes, are decoded when a kind of the set is met.
		crds, err := readHead(e.Name())
		if err != nil {
			return err
		}
		if crds.Name == "" {
			crds.Name = strings.TrimSuffix(strings.TrimPrefix(e.Name(), "crds-"), ".json.gz")
		}
		sets = append(sets, crds)
	}
	sort.SliceStable(sets, func(i, j int) bool {
		if sets[i].Fallback != sets[j].Fallback {
			return !sets[i].Fallback
		}
		return sets[i].Name < sets[j].Name
	})
	crdSets = sets
	kindSet = map[string]*bundle{}
	defSet = map[string]*bundle{}
	for _, crds := range sets {
		for k, def := range crds.Kinds {
			if _, ok := kindSet[k]; !ok {
				kindSet[k] = crds
			}
			if _, ok := defSet[def]; !ok {
				defSet[def] = crds
			}
		}
		for _, b := range all {
			for k, def := range crds.Kinds {
				if _, ok := b.Kinds[k]; !ok {
					b.Kinds[k] = def
				}
			}
			sum := sha256.Sum256([]byte(b.hash + crds.hash))
			b.hash = hex.EncodeToString(sum[:6])
		}
	}
	return nil
}

// readHead reads a bundle's fields up to its definitions, which the
// encoder writes last, leaving the rest of the file undecoded.
func readHead(name string) (*bundle, error) {
	raw, err := bundleFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	b := &bundle{file: name, refs: map[string][]string{}}
	sum := sha256.Sum256(raw)
	b.hash = hex.EncodeToString(sum[:6])
	dec := json.NewDecoder(zr)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("load schemas %s: not a bundle", name)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("load schemas %s: %w", name, err)
		}
		key, _ := t.(string)
		var dst any
		switch key {
		case "definitions":
			return b, nil
		case "kubernetesVersion":
			dst = &b.KubernetesVersion
		case "source":
			dst = &b.Source
		case "name":
			dst = &b.Name
		case "project":
			dst = &b.Project
		case "version":
			dst = &b.Version
		case "license":
			dst = &b.License
		case "fallback":
			dst = &b.Fallback
		case "kinds":
			dst = &b.Kinds
		default:
			dst = new(json.RawMessage)
		}
		if err := dec.Decode(dst); err != nil {
			return nil, fmt.Errorf("load schemas %s: %w", name, err)
		}
	}
	return b, nil
}

// definitions decodes a lazily read CRD set's definitions once.
func (b *bundle) definitions() error {
	b.defsOnce.Do(func() {
		if b.Definitions != nil || b.file == "" {
			return
		}
		full, err := readBundle(b.file)
		if err != nil {
			b.defsErr = err
			return
		}
		b.Definitions = full.Definitions
	})
	return b.defsErr
}

// def returns a definition of the bundle: its own, or a CRD set's,
// decoding that set on first use.
func (b *bundle) def(name string) any {
	if d, ok := b.Definitions[name]; ok {
		return d
	}
	if s := defSet[name]; s != nil && s != b {
		if s.definitions() == nil {
			return s.Definitions[name]
		}
	}
	return nil
}

func bundleNames() ([]string, error) {
	entries, err := bundleFS.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("load schemas: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ok, _ := path.Match("k8s-*.json.gz", e.Name()); ok {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func readBundle(name string) (*bundle, error) {
	raw, err := bundleFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	b := &bundle{}
	if err := json.Unmarshal(js, b); err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	sum := sha256.Sum256(raw)
	b.hash = hex.EncodeToString(sum[:6])
	b.refs = map[string][]string{}
	return b, nil
}

// versionLess compares dotted numeric versions ("1.9.0" < "1.35.4").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		var x, y int
		fmt.Sscan(as[i], &x)
		fmt.Sscan(bs[i], &y)
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

const refPrefix = "#/definitions/"

// directRefs lists the definitions one definition refers to.
func (b *bundle) directRefs(name string) []string {
	b.refsMu.Lock()
	defer b.refsMu.Unlock()
	if r, ok := b.refs[name]; ok {
		return r
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if s, ok := x.(string); ok && k == "$ref" && strings.HasPrefix(s, refPrefix) {
					seen[strings.TrimPrefix(s, refPrefix)] = true
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(b.def(name))
	r := make([]string, 0, len(seen))
	for n := range seen {
		r = append(r, n)
	}
	sort.Strings(r)
	b.refs[name] = r
	return r
}

// standalone returns the schema document for one kind: the kind's
// definition at the root, with only the definitions it reaches
// transitively, and additionalProperties: false on every object that lists
// its properties when strict is set. ok is false for unknown kinds.
func (b *bundle) standalone(apiVersion, kind string, strict bool) (doc []byte, ok bool, err error) {
	name, ok := b.Kinds[apiVersion+"/"+kind]
	if !ok {
		return nil, false, nil
	}
	root, _ := b.def(name).(map[string]any)
	if root == nil {
		return nil, false, nil
	}
	reach := map[string]bool{}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, r := range b.directRefs(n) {
			if !reach[r] {
				reach[r] = true
				queue = append(queue, r)
			}
		}
	}
	defs := make(map[string]any, len(reach))
	for n := range reach {
		defs[n] = transform(b.def(n), strict)
	}
	top := transform(root, strict).(map[string]any)
	// The object itself is never null, unlike the same definition met as
	// an optional field.
	top["type"] = "object"
	if props, ok := top["properties"].(map[string]any); ok {
		pin := func(field, value string) {
			p, _ := props[field].(map[string]any)
			if p == nil {
				return
			}
			p = copyMap(p)
			p["enum"] = []any{value}
			props[field] = p
		}
		pin("apiVersion", apiVersion)
		pin("kind", kind)
	}
	top["$schema"] = "http://json-schema.org/schema#"
	if len(defs) > 0 {
		top["definitions"] = defs
	}
	doc, err = json.Marshal(top)
	if err != nil {
		return nil, true, fmt.Errorf("encode schema for %s %s: %w", apiVersion, kind, err)
	}
	return doc, true, nil
}

// transform deep-copies a schema node, adding additionalProperties: false
// to objects with properties when strict (openapi2jsonschema's --strict).
func transform(v any, strict bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t)+1)
		for k, x := range t {
			if k == "properties" {
				// Keys of "properties" are field names, not keywords.
				props, _ := x.(map[string]any)
				np := make(map[string]any, len(props))
				for pk, pv := range props {
					np[pk] = transform(pv, strict)
				}
				out[k] = np
				continue
			}
			out[k] = transform(x, strict)
		}
		if strict {
			_, hasProps := t["properties"]
			_, hasAdditional := t["additionalProperties"]
			preserve, _ := t["x-kubernetes-preserve-unknown-fields"].(bool)
			if hasProps && !hasAdditional && !preserve {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = transform(x, strict)
		}
		return out
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// kindSuffix mirrors kubeconform's {{ .KindSuffix }}: the first label of
// the group and the version ("apps/v1" -> "-apps-v1", "v1" -> "-v1").
// Only the group's first label is used, exactly as kubeconform does, so the
// materialized folder can serve the kubeconform CLI too.
func kindSuffix(apiVersion string) string {
	groupParts := strings.Split(apiVersion, "/")
	versionParts := strings.Split(groupParts[0], ".")
	s := "-" + strings.ToLower(versionParts[0])
	if len(groupParts) > 1 {
		s += "-" + strings.ToLower(groupParts[1])
	}
	return s
}
