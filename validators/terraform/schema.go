package terraform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Schemas is a `terraform providers schema -json` export.
type Schemas struct {
	FormatVersion string                    `json:"format_version"`
	Providers     map[string]ProviderSchema `json:"provider_schemas"`
}

// ProviderSchema is one provider's part of the export.
type ProviderSchema struct {
	Resources   map[string]SchemaEntry `json:"resource_schemas"`
	DataSources map[string]SchemaEntry `json:"data_source_schemas"`
}

// SchemaEntry is the schema of one resource or data source type.
type SchemaEntry struct {
	Block SchemaBlock `json:"block"`
}

// SchemaBlock describes a block's arguments and nested blocks.
type SchemaBlock struct {
	Attributes map[string]SchemaAttribute `json:"attributes"`
	BlockTypes map[string]SchemaBlockType `json:"block_types"`
}

// SchemaAttribute describes one argument.
type SchemaAttribute struct {
	Required bool `json:"required"`
	Optional bool `json:"optional"`
	Computed bool `json:"computed"`
}

// SchemaBlockType describes a nested block type.
type SchemaBlockType struct {
	NestingMode string      `json:"nesting_mode"`
	Block       SchemaBlock `json:"block"`
	MinItems    int         `json:"min_items"`
	MaxItems    int         `json:"max_items"`
}

// ParseSchemas reads a `terraform providers schema -json` export.
func ParseSchemas(b []byte) (*Schemas, error) {
	var s Schemas
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse provider schemas: %w", err)
	}
	if len(s.Providers) == 0 {
		return nil, fmt.Errorf("parse provider schemas: no provider_schemas in the export")
	}
	return &s, nil
}

// lookup finds the schema of a resource (data=false) or data source type,
// and reports whether the export has the provider the type belongs to.
func (s *Schemas) lookup(typ string, data bool) (entry SchemaEntry, found, providerKnown bool) {
	for src, p := range s.Providers {
		m := p.Resources
		if data {
			m = p.DataSources
		}
		if e, ok := m[typ]; ok {
			return e, true, true
		}
		local := src[strings.LastIndexByte(src, '/')+1:]
		if typ == local || strings.HasPrefix(typ, local+"_") {
			providerKnown = true
		}
	}
	return SchemaEntry{}, false, providerKnown
}

// Check checks every resource and data block of m against the schemas:
// known types, required arguments, unknown arguments and block nesting.
// Types of providers missing from the export are not checked.
func (s *Schemas) Check(m *Module) []Problem {
	var out []Problem
	for _, name := range m.order {
		body, ok := m.Files[name].Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if (b.Type != "resource" && b.Type != "data") || len(b.Labels) != 2 {
				continue
			}
			data := b.Type == "data"
			addr := b.Labels[0] + "." + b.Labels[1]
			kind := "resource"
			if data {
				addr, kind = "data."+addr, "data source"
			}
			entry, found, known := s.lookup(b.Labels[0], data)
			if !found {
				if known {
					rng := b.LabelRanges[0]
					out = append(out, Problem{File: rng.Filename, Line: rng.Start.Line, Address: addr, Rule: RuleSchema, Severity: Error,
						Summary: "Invalid " + kind + " type", Detail: fmt.Sprintf("the provider schema has no %s type %q", kind, b.Labels[0])})
				}
				continue
			}
			out = append(out, checkBody(b.Body, entry.Block, addr, true)...)
		}
	}
	return out
}

var metaArguments = map[string]bool{"count": true, "for_each": true, "provider": true, "depends_on": true}
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

func checkBody(body *hclsyntax.Body, schema SchemaBlock, addr string, top bool) []Problem {
	var out []Problem
	add := func(rng hcl.Range, summary, detail string) {
		out = append(out, Problem{File: rng.Filename, Line: rng.Start.Line, Address: addr, Rule: RuleSchema, Severity: Error, Summary: summary, Detail: detail})
	}
	for _, name := range sortedAttrs(body.Attributes) {
		a := body.Attributes[name]
		if top && metaArguments[name] {
			continue
		}
		as, ok := schema.Attributes[name]
		switch {
		case !ok:
			add(a.NameRange, "Unsupported argument", fmt.Sprintf("an argument named %q is not expected here", name))
		case as.Computed && !as.Optional && !as.Required:
			add(a.NameRange, "Value for unconfigurable attribute", fmt.Sprintf("can't configure a value for %q: its value will be decided automatically", name))
		}
	}
	names := make([]string, 0, len(schema.Attributes))
	for n := range schema.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if schema.Attributes[n].Required && body.Attributes[n] == nil {
			add(body.SrcRange, "Missing required argument", fmt.Sprintf("the argument %q is required, but no definition was found", n))
		}
	}
	counts := map[string]int{}
	dynamic := map[string]bool{}
	for _, b := range body.Blocks {
		typ, inner := b.Type, b.Body
		if top && metaBlocks[typ] {
			continue
		}
		if typ == "dynamic" && len(b.Labels) == 1 {
			typ = b.Labels[0]
			dynamic[typ] = true
			inner = nil
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					inner = c.Body
				}
			}
		}
		bt, ok := schema.BlockTypes[typ]
		if !ok {
			add(b.TypeRange, "Unsupported block type", fmt.Sprintf("blocks of type %q are not expected here", typ))
			continue
		}
		counts[typ]++
		if inner != nil {
			out = append(out, checkBody(inner, bt.Block, addr, false)...)
		}
	}
	types := make([]string, 0, len(schema.BlockTypes))
	for t := range schema.BlockTypes {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		bt := schema.BlockTypes[t]
		if dynamic[t] {
			continue
		}
		if bt.MinItems > 0 && counts[t] < bt.MinItems {
			add(body.SrcRange, fmt.Sprintf("Insufficient %s blocks", t), fmt.Sprintf("at least %d %q blocks are required", bt.MinItems, t))
		}
		if bt.MaxItems > 0 && counts[t] > bt.MaxItems {
			add(body.SrcRange, fmt.Sprintf("Too many %s blocks", t), fmt.Sprintf("no more than %d %q blocks are allowed", bt.MaxItems, t))
		}
	}
	return out
}
