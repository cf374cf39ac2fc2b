package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/schema"
	sigsyaml "sigs.k8s.io/yaml"
)

// runCRDs writes crds-<name>.json.gz: the openAPIV3Schema of every served
// version of the CRDs in each module's config/crd/bases, in the bundle
// format, so that validators/schema can merge it into every Kubernetes
// bundle.
//
// local maps "path@version" to a folder holding that module's tree (a
// checkout of its tag), for modules the Go module proxy does not serve.
func runCRDs(modules, name, out string, local map[string]string) error {
	b := &bundle{Kinds: map[string]string{}, Definitions: map[string]any{}}
	var sources []string
	for _, m := range strings.Split(modules, ",") {
		m, sub, _ := strings.Cut(strings.TrimSpace(m), ":")
		if sub == "" {
			sub = "config/crd/bases"
		}
		path, version, ok := strings.Cut(m, "@")
		if !ok {
			return fmt.Errorf("crd module %q: want path@version[:folder]", m)
		}
		dir, ok := local[path+"@"+version]
		if !ok {
			var err error
			if dir, err = moduleDir(path, version); err != nil {
				return fmt.Errorf("%w (with a checkout of its tag: -module-dir %s@%s=DIR)", err, path, version)
			}
		}
		files, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(sub), "*.yaml"))
		if err != nil || len(files) == 0 {
			return fmt.Errorf("crd module %s: no %s/*.yaml", m, sub)
		}
		sort.Strings(files)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("read crd: %w", err)
			}
			if err := addCRDs(b, raw); err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
		}
		sources = append(sources, m+" "+sub)
	}
	b.Source = strings.Join(sources, ", ")
	data, err := encode(b)
	if err != nil {
		return err
	}
	file := filepath.Join(out, "crds-"+name+".json.gz")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	fmt.Printf("%s: %d definitions, %d kinds, %d bytes\n", file, len(b.Definitions), len(b.Kinds), len(data))
	return nil
}

type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// addCRDs adds the served versions of every CRD in a YAML stream.
func addCRDs(b *bundle, raw []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("parse crd: %w", err)
		}
		js, err := sigsyaml.Marshal(doc)
		if err != nil {
			return fmt.Errorf("parse crd: %w", err)
		}
		var c crd
		if err := sigsyaml.Unmarshal(js, &c); err != nil {
			return fmt.Errorf("parse crd: %w", err)
		}
		if c.Kind != "CustomResourceDefinition" {
			continue // release manifests may hold other objects too
		}
		for _, v := range c.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			// Reverse-DNS names like the Kubernetes definitions'.
			parts := strings.Split(c.Spec.Group, ".")
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			def := strings.Join(parts, ".") + "." + v.Name + "." + c.Spec.Names.Kind
			b.Kinds[c.Spec.Group+"/"+v.Name+"/"+c.Spec.Names.Kind] = def
			// The same conversion as for a repository's own CRDs.
			b.Definitions[def] = schema.CRDDefinition(v.Schema.OpenAPIV3Schema)
		}
	}
}
