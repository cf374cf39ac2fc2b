package validators

import (
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/yamlpos"
	"github.com/stackgen/aiden/workspace"
)

// Source maps a place in a rendered file (a chart's rendered template, an
// overlay's build output) back to the file a person edits.
// helmchart.TemplateSource and kustomize.BuildSource implement it.
type Source interface {
	// Locate maps the node at pointer inside the object whose document
	// holds line of the rendered file to a file and a position in it;
	// ok is false when it cannot tell.
	Locate(line int, pointer, message string) (file string, pos yamlpos.Position, ok bool)
}

// locate points findings about objects at the node they are about: in the
// file a person edits (Rendered.Sources) for rendered objects, and at the
// node's line and column for plain manifests, whose findings (policy
// findings among them) may give only the object's first line. Findings
// that then say the same thing at the same place (a base's field wrong in
// every overlay built on it) are kept once.
func locate(findings []Finding, r Rendered) []Finding {
	var byPath map[string]workspace.File
	for i := range findings {
		f := &findings[i]
		if f.File == "" || f.Line == 0 {
			continue
		}
		if src, ok := r.Sources[f.File]; ok {
			if file, pos, ok := src.Locate(f.Line, f.Path, f.Message); ok {
				f.File, f.Line, f.Column = file, pos.Line, pos.Column
			}
			continue
		}
		if f.Column > 0 || f.Path == "" {
			continue
		}
		if byPath == nil {
			byPath = make(map[string]workspace.File, len(r.Objects))
			for _, o := range r.Objects {
				byPath[o.Path] = o
			}
		}
		if o, ok := byPath[f.File]; ok {
			if pos, ok := yamlpos.LocateIn(o.Content, f.Line, f.Path, f.Message); ok {
				f.Line, f.Column = pos.Line, pos.Column
			}
		}
	}
	seen := make(map[Finding]bool, len(findings))
	out := findings[:0]
	for _, f := range findings {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// addSource records the source of a rendered file.
func (r *Rendered) addSource(path string, s Source) {
	if s == nil {
		return
	}
	if r.Sources == nil {
		r.Sources = map[string]Source{}
	}
	r.Sources[path] = s
}

// templateSource returns the source of a chart's rendered file: the
// template of the same path among the chart's files.
func templateSource(root string, rendered workspace.File, chartFiles []workspace.File) Source {
	for _, f := range chartFiles {
		if f.Path == rendered.Path {
			return helmchart.TemplateSource{File: join(root, f.Path), Template: f.Content, Rendered: rendered.Content}
		}
	}
	return nil
}
