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

// bundle holds the JSON Schema definitions of one Kubernetes release, or
// of one set of the CRD catalogue. A bundle is read in three steps, each
// only when needed, so that a run whose schemas are all materialized
// already decodes nothing: its file's hash (names the cache folder), its
// head (names, kinds), and its definitions, each decoded on first use.
type bundle struct {
	KubernetesVersion string            `json:"kubernetesVersion"`
	Source            string            `json:"source"`
	Name              string            `json:"name"`        // of a CRD set
	Project           string            `json:"project"`     // of a CRD set
	Version           string            `json:"version"`     // of a CRD set
	License           string            `json:"license"`     // of a CRD set
	Fallback          bool              `json:"fallback"`    // a CRD set that only adds kinds no other set has
	Kinds             map[string]string `json:"kinds"`       // "apps/v1/Deployment" -> definition name
	Definitions       map[string]any    `json:"definitions"` // name -> JSON Schema, as decoded so far
	hash              string            // of the compressed file; names the cache folder

	refsMu sync.Mutex
	refs   map[string][]string // definition -> definitions it references directly

	file     string    // the embedded file; "" for a bundle built in memory
	defsOnce sync.Once // the file's definitions are split out on first use
	defsErr  error
	defsMu   sync.Mutex                 // guards Definitions and raw
	raw      map[string]json.RawMessage // definitions not yet decoded
}

var (
	bundlesOnce sync.Once
	bundles     map[string]*bundle // by Kubernetes version, "1.35.4"
	bundlesErr  error
	newest      string

	headsOnce sync.Once // the heads of every bundle, the CRD sets merged
	headsErr  error
	crdSets   []*bundle          // the catalogue, in merge order
	kindSet   map[string]*bundle // "group/version/Kind" -> the CRD set its schema comes from
	defSet    map[string]*bundle // definition name -> the CRD set that holds it
)

// loadBundles lists the embedded Kubernetes bundles once per process,
// with the hashes that name their cache folders; it decodes nothing.
// Callers that need kinds or definitions call loadHeads.
func loadBundles() (map[string]*bundle, string, error) {
	bundlesOnce.Do(func() {
		bundles = map[string]*bundle{}
		names, err := bundleNames()
		if err != nil {
			bundlesErr = err
			return
		}
		for _, name := range names {
			hash, err := hashFile(name)
			if err != nil {
				bundlesErr = err
				return
			}
			version := bundleVersion(name)
			bundles[version] = &bundle{KubernetesVersion: version, file: name, hash: hash, refs: map[string][]string{}}
			if newest == "" || versionLess(newest, version) {
				newest = version
			}
		}
		if len(bundles) == 0 {
			bundlesErr = fmt.Errorf("load schemas: no embedded bundle")
			return
		}
		bundlesErr = foldCRDHashes(bundles)
	})
	return bundles, newest, bundlesErr
}

// bundleVersion is the Kubernetes version a bundle's file name carries:
// "k8s-v1.35.4.json.gz" -> "1.35.4".
func bundleVersion(name string) string {
	return strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(name, "k8s-"), ".json.gz"), "v")
}

// hashFile is hashOf an embedded bundle, read in place: a copy of every
// bundle would cost more than the hash (fresh memory to clear and fill)
// at each start.
func hashFile(name string) (string, error) {
	f, err := bundleFS.Open(name)
	if err != nil {
		return "", fmt.Errorf("load schemas %s: %w", name, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("load schemas %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)[:6]), nil
}

func hashOf(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:6])
}

// crdNames lists the embedded CRD bundles, by file name.
func crdNames() ([]string, error) {
	entries, err := bundleFS.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("load schemas: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ok, _ := path.Match("crds-*.json.gz", e.Name()); ok {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// foldCRDHashes folds the hash of every CRD bundle, in file name order,
// into every Kubernetes bundle's: the catalogue's schemas are merged into
// each bundle, so its cache folder changes with any of them.
func foldCRDHashes(all map[string]*bundle) error {
	names, err := crdNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		h, err := hashFile(name)
		if err != nil {
			return err
		}
		for _, b := range all {
			sum := sha256.Sum256([]byte(b.hash + h))
			b.hash = hex.EncodeToString(sum[:6])
		}
	}
	return nil
}

// loadHeads reads the head (names, kinds) of every embedded bundle once
// per process and adds the kinds of the CRD sets to every Kubernetes
// bundle. The Kubernetes definition wins a clash; among CRD sets the
// first in merge order wins: the sets by name, then the fallback sets
// (older releases, experimental channels) by name.
func loadHeads() error {
	all, _, err := loadBundles()
	if err != nil {
		return err
	}
	headsOnce.Do(func() { headsErr = mergeCRDs(all) })
	return headsErr
}

// mergeCRDs reads the heads of the Kubernetes bundles and of the CRD
// sets, and merges the sets' kinds into every Kubernetes bundle.
func mergeCRDs(all map[string]*bundle) error {
	for _, b := range all {
		if err := b.readHead(); err != nil {
			return err
		}
		if v := strings.TrimPrefix(b.KubernetesVersion, "v"); v != bundleVersion(b.file) {
			return fmt.Errorf("load schemas %s: holds kubernetes %s, not the version its name says", b.file, b.KubernetesVersion)
		}
		b.KubernetesVersion = bundleVersion(b.file)
	}
	names, err := crdNames()
	if err != nil {
		return err
	}
	var sets []*bundle
	for _, name := range names {
		// Only the head (names, kinds): the definitions, most of the
		// catalogue's bytes, are decoded when a kind of the set is met.
		crds := &bundle{file: name, refs: map[string][]string{}}
		if err := crds.readHead(); err != nil {
			return err
		}
		if crds.Name == "" {
			crds.Name = strings.TrimSuffix(strings.TrimPrefix(name, "crds-"), ".json.gz")
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
		}
	}
	return nil
}

// readHead reads a bundle's fields up to its definitions, which the
// encoder writes last, leaving the rest of the file undecoded.
func (b *bundle) readHead() error {
	name := b.file
	raw, err := bundleFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("load schemas %s: %w", name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("load schemas %s: %w", name, err)
	}
	if b.hash == "" {
		b.hash = hashOf(raw)
	}
	dec := json.NewDecoder(zr)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("load schemas %s: not a bundle", name)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("load schemas %s: %w", name, err)
		}
		key, _ := t.(string)
		var dst any
		switch key {
		case "definitions":
			return nil
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
			return fmt.Errorf("load schemas %s: %w", name, err)
		}
	}
	return nil
}

// definitions splits a bundle file's definitions out once, each left
// undecoded until def asks for it.
func (b *bundle) definitions() error {
	b.defsOnce.Do(func() {
		if b.file == "" {
			return
		}
		raw, err := readDefinitions(b.file)
		if err != nil {
			b.defsErr = err
			return
		}
		b.defsMu.Lock()
		b.raw = raw
		b.defsMu.Unlock()
	})
	return b.defsErr
}

// ownDef returns one of the bundle's own definitions, decoding it on
// first use, or nil.
func (b *bundle) ownDef(name string) any {
	if b.definitions() != nil {
		return nil
	}
	b.defsMu.Lock()
	defer b.defsMu.Unlock()
	if d, ok := b.Definitions[name]; ok {
		return d
	}
	js, ok := b.raw[name]
	if !ok {
		return nil
	}
	var d any
	if err := json.Unmarshal(js, &d); err != nil {
		return nil // readDefinitions checked the file is well-formed JSON
	}
	if b.Definitions == nil {
		b.Definitions = map[string]any{}
	}
	b.Definitions[name] = d
	delete(b.raw, name)
	return d
}

// def returns a definition of the bundle: its own, or a CRD set's,
// decoding it on first use.
func (b *bundle) def(name string) any {
	if d := b.ownDef(name); d != nil {
		return d
	}
	if s := defSet[name]; s != nil && s != b {
		return s.ownDef(name)
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

// readDefinitions decompresses a bundle file and splits its definitions
// by name, without decoding any.
func readDefinitions(name string) (map[string]json.RawMessage, error) {
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
	var b struct {
		Definitions map[string]json.RawMessage `json:"definitions"`
	}
	if err := json.Unmarshal(js, &b); err != nil {
		return nil, fmt.Errorf("load schemas %s: %w", name, err)
	}
	return b.Definitions, nil
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
	if b.file != "" {
		if err := loadHeads(); err != nil {
			return nil, false, err
		}
	}
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
