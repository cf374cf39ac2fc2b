package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemas holds, for the charts that publish a values.schema.json, the
// part of it that covers the values the mappings write (the properties on
// the way to each, with their types, enums and patterns), so the binary
// stays small. schemas/SOURCE.md says where each came from and how to
// make them again (prune.go).
//
//go:embed schemas
var schemas embed.FS

var compiled sync.Map // component -> *jsonschema.Schema or error

// HasSchema reports whether the chart's values schema ships with the
// catalogue.
func (c Chart) HasSchema() bool {
	_, err := fs.Stat(schemas, "schemas/"+c.Component+".json")
	return err == nil
}

func (c Chart) schema() (*jsonschema.Schema, error) {
	if v, ok := compiled.Load(c.Component); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*jsonschema.Schema), nil
	}
	s, err := compileSchema(c.Component)
	if err != nil {
		compiled.Store(c.Component, err)
		return nil, err
	}
	compiled.Store(c.Component, s)
	return s, nil
}

func compileSchema(component string) (*jsonschema.Schema, error) {
	b, err := schemas.ReadFile("schemas/" + component + ".json")
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("values schema of %s: %w", component, err)
	}
	url := "catalog:///" + component + ".json"
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("values schema of %s: %w", component, err)
	}
	s, err := comp.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("values schema of %s: %w", component, err)
	}
	return s, nil
}

// CheckValues validates values against the chart's values schema; it
// returns nil for a chart without one.
func (c Chart) CheckValues(values map[string]any) error {
	if !c.HasSchema() {
		return nil
	}
	s, err := c.schema()
	if err != nil {
		return err
	}
	b, err := json.Marshal(values)
	if err != nil {
		return fmt.Errorf("values of %s: %w", c.Component, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("values of %s: %w", c.Component, err)
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("values of %s %s break the chart's values.schema.json: %s", c.Chart, c.Version, ve.Error())
		}
		return fmt.Errorf("values of %s: %w", c.Component, err)
	}
	return nil
}
