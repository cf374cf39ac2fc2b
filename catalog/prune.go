//go:build ignore

// prune writes catalog/schemas/<component>.json from the full
// values.schema.json of each chart found in the folder given as the
// first argument: only the properties on the way to the values the
// catalogue's mappings write for catalog.SampleFacts.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stackgen/aiden/catalog"
)

func main() {
	dir := os.Args[1]
	for _, name := range catalog.Components() {
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			continue
		}
		var full map[string]any
		if err := json.Unmarshal(b, &full); err != nil {
			fmt.Fprintln(os.Stderr, name, err)
			os.Exit(1)
		}
		c, _ := catalog.Lookup(name)
		union := map[string]any{}
		for _, f := range catalog.SampleFacts() {
			v, err := c.RawValues(f)
			if err != nil {
				continue
			}
			merge(union, v)
		}
		out := prune(full, full, union)
		if sch, ok := full["$schema"]; ok {
			out["$schema"] = sch
		}
		out["description"] = fmt.Sprintf("values.schema.json of %s %s (%s), pruned to the values aiden's catalogue writes", c.Chart, c.Version, c.Source)
		ob, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(filepath.Join("catalog", "schemas", name+".json"), append(ob, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d -> %d bytes\n", name, len(b), len(ob))
	}
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			merge(dm, sm)
			continue
		}
		dst[k] = v
	}
}

// resolve follows a local $ref ("#/$defs/x").
func resolve(root, node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return node
		}
		var cur any = root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		next := map[string]any{}
		for k, v := range cur.(map[string]any) {
			next[k] = v
		}
		for k, v := range node {
			if k != "$ref" {
				next[k] = v
			}
		}
		node = next
	}
}

var keep = []string{"type", "enum", "pattern", "minimum", "maximum", "additionalProperties", "const", "format"}

// prune keeps of node what checks v: its own constraints, and the
// properties v sets, pruned in turn.
func prune(root, node map[string]any, v any) map[string]any {
	node = resolve(root, node)
	out := map[string]any{}
	for _, k := range keep {
		if x, ok := node[k]; ok {
			if k == "additionalProperties" {
				if b, isBool := x.(bool); !isBool || b {
					continue // only a closed object is kept
				}
			}
			out[k] = x
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := node[k].([]any); ok {
			var pruned []any
			for _, a := range alts {
				if am, ok := a.(map[string]any); ok {
					pruned = append(pruned, prune(root, am, v))
				}
			}
			out[k] = pruned
		}
	}
	switch val := v.(type) {
	case map[string]any:
		props, _ := node["properties"].(map[string]any)
		outProps := map[string]any{}
		for k, sub := range val {
			if ps, ok := props[k].(map[string]any); ok {
				outProps[k] = prune(root, ps, sub)
			}
		}
		if len(outProps) > 0 {
			out["properties"] = outProps
		}
	case []any:
		if items, ok := node["items"].(map[string]any); ok && len(val) > 0 {
			out["items"] = prune(root, items, val[0])
		}
	}
	return out
}
