package lsp

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/validators/policy"
	"github.com/stackgen/aiden/workspace"
)

// fileDiagnostics is what one check found in one file.
type fileDiagnostics struct {
	diags    []protocol.Diagnostic
	findings []validators.Finding // in the order of diags
	root     string               // the repository root the check addressed the file from
}

// diagnose checks what the document belongs to and returns the
// diagnostics of every file of it, by URI: files without findings get an
// empty list, so that fixed problems disappear.
func (s *Server) diagnose(ctx context.Context, doc document, open map[string]string) (map[string]*fileDiagnostics, error) {
	u, err := locate(doc.path, open)
	if err != nil {
		return nil, err
	}
	if len(u.Named()) == 1 && !strings.HasSuffix(doc.path, ".tf") && !kubernetesYAML(doc.text) {
		// A YAML file of another tool (a CI workflow, a values file
		// outside a chart): not the checks' business in an editor.
		return map[string]*fileDiagnostics{doc.uri: {diags: []protocol.Diagnostic{}, root: u.Root()}}, nil
	}
	rep, err := s.validate(ctx, u)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	uris := map[string]string{} // open documents' URIs by path
	for _, d := range s.docs {
		uris[d.path] = d.uri
	}
	s.mu.Unlock()
	uriOf := func(abs string) string {
		if u, ok := uris[abs]; ok {
			return u
		}
		return pathURI(abs)
	}
	out := map[string]*fileDiagnostics{}
	for _, f := range u.Files() {
		if checkedFile(f.Path) {
			out[uriOf(filepath.Join(u.Root(), filepath.FromSlash(f.Path)))] = &fileDiagnostics{diags: []protocol.Diagnostic{}, root: u.Root()}
		}
	}
	out[doc.uri] = &fileDiagnostics{diags: []protocol.Diagnostic{}, root: u.Root()}
	texts := map[string]string{}
	textOf := func(abs string) string {
		if t, ok := open[abs]; ok {
			return t
		}
		if t, ok := texts[abs]; ok {
			return t
		}
		b, _ := os.ReadFile(abs) // a file gone since: the line's range is empty
		texts[abs] = string(b)
		return texts[abs]
	}
	for _, f := range rep.Findings {
		if f.Fixed {
			continue
		}
		abs, f := placeFinding(f, doc.path, u, open)
		uri := uriOf(abs)
		fd := out[uri]
		if fd == nil {
			fd = &fileDiagnostics{diags: []protocol.Diagnostic{}, root: u.Root()}
			out[uri] = fd
		}
		fd.diags = append(fd.diags, s.diagnostic(textOf(abs), f))
		fd.findings = append(fd.findings, f)
	}
	return out, nil
}

// placeFinding returns the file a finding is shown on, and the finding
// as shown there: its own file in the repository; for what a
// kustomization builds, the source document of the object (or the
// kustomization, without a line); else the document checked, naming the
// file the finding is about (a rendered template, say).
func placeFinding(f validators.Finding, docPath string, u *unit, open map[string]string) (string, validators.Finding) {
	abs := docPath
	if f.File != "" && !strings.HasPrefix(f.File, "../") && !filepath.IsAbs(f.File) {
		p := filepath.Join(u.Root(), filepath.FromSlash(f.File))
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			if file, line, ok := sourceOf(f.Resource, u, open); ok {
				abs, f.Line = filepath.Join(u.Root(), filepath.FromSlash(file)), line
				f.Message = "in the build: " + f.Message
			} else {
				for _, k := range kustomize.FileNames {
					if exists(filepath.Join(p, k)) {
						abs = filepath.Join(p, k)
						f.Message = "in the build: " + f.Message
						f.Line, f.Path = 0, ""
						break
					}
				}
			}
		} else if err == nil || open[p] != "" {
			abs = p
		}
	}
	if abs == docPath && f.File != "" && filepath.Join(u.Root(), filepath.FromSlash(f.File)) != docPath {
		f.Message = f.File + ": " + f.Message
		f.Line = 0
	}
	return abs, f
}

// checkedFile says whether a file's diagnostics are published: the files
// the checks read findings from.
func checkedFile(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json", ".tf":
		return true
	}
	return path.Base(p) == "Kustomization"
}

// diagnostic turns a finding into a diagnostic on text, the file's.
func (s *Server) diagnostic(text string, f validators.Finding) protocol.Diagnostic {
	sev := severity(f.Severity)
	source := Name
	msg := f.Message
	if f.Resource != "" {
		msg = f.Resource + ": " + msg
	}
	rng := findingRange(text, f.Line, f.Path, f.Message)
	if f.Line == 0 {
		if r, ok := terraformBlock(text, f.Resource); ok {
			rng = r
		}
	}
	return protocol.Diagnostic{
		Range:           rng,
		Severity:        &sev,
		Code:            &protocol.IntegerOrString{Value: f.Rule},
		CodeDescription: &protocol.CodeDescription{HRef: s.opts.DocsURL + docsAnchor(f.Rule)},
		Source:          &source,
		Message:         msg,
		Data:            map[string]any{"path": f.Path, "line": f.Line},
	}
}

// severity maps a finding's severity onto the protocol's.
func severity(s validators.Severity) protocol.DiagnosticSeverity {
	switch s {
	case validators.SeverityError:
		return protocol.DiagnosticSeverityError
	case validators.SeverityWarning:
		return protocol.DiagnosticSeverityWarning
	}
	return protocol.DiagnosticSeverityInformation
}

// docsAnchor is the page and section of docs/ that explain a rule.
func docsAnchor(rule string) string {
	for _, r := range policy.Builtin {
		if r.ID == rule {
			return "policies.md#" + strings.ToLower(r.ID+"-"+string(r.Severity))
		}
	}
	switch {
	case strings.HasPrefix(rule, "conventions/"), rule == conventions.RuleNaming:
		return "conventions.md"
	case strings.HasPrefix(rule, "kustomize"):
		return "kustomize.md"
	case strings.HasPrefix(rule, "terraform"), strings.HasPrefix(rule, "tf-"):
		return "terraform.md"
	case rule == "schema", rule == "yaml", rule == "render", rule == "lint":
		return "../README.md#how-output-is-checked"
	}
	return "policies.md"
}

// sourceOf finds the document that defines resource (Kind/name or
// Kind/namespace/name) among the unit's files and the repository files
// its kustomizations read: its file (relative to the root) and the line
// where it starts. ok is false when no document, or more than one, has
// that kind and name.
func sourceOf(resource string, u *unit, open map[string]string) (file string, line int, ok bool) {
	parts := strings.Split(resource, "/")
	if len(parts) < 2 {
		return "", 0, false
	}
	kind, name := parts[0], parts[len(parts)-1]
	found := 0
	for _, f := range append(append([]workspace.File{}, u.Files()...), u.Repository()...) {
		if !strings.HasSuffix(f.Path, ".yaml") && !strings.HasSuffix(f.Path, ".yml") || kustomize.IsKustomization(path.Base(f.Path)) {
			continue
		}
		text := string(f.Content)
		if t, isOpen := open[filepath.Join(u.Root(), filepath.FromSlash(f.Path))]; isOpen {
			text = t
		}
		for _, d := range splitDocs(text) {
			_, k := get(d.root, "kind")
			_, md := get(d.root, "metadata")
			_, n := get(md, "name")
			if k != nil && n != nil && k.Value == kind && n.Value == name {
				file, line = f.Path, d.first
				found++
			}
		}
	}
	return file, line, found == 1
}

// terraformBlock finds the header of the block a Terraform finding's
// resource (type.name, or data.type.name) names in text.
func terraformBlock(text, resource string) (protocol.Range, bool) {
	parts := strings.Split(resource, ".")
	block := "resource"
	if len(parts) == 3 && parts[0] == "data" {
		block, parts = "data", parts[1:]
	}
	if len(parts) != 2 {
		return protocol.Range{}, false
	}
	re := regexp.MustCompile(`^\s*` + block + `\s+"` + regexp.QuoteMeta(parts[0]) + `"\s+"` + regexp.QuoteMeta(parts[1]) + `"`)
	for i, l := range strings.Split(text, "\n") {
		if m := re.FindStringIndex(l); m != nil {
			start := len(l) - len(strings.TrimLeft(l, " \t"))
			return protocol.Range{Start: protocol.Position{Line: protocol.UInteger(i), Character: protocol.UInteger(start)},
				End: protocol.Position{Line: protocol.UInteger(i), Character: protocol.UInteger(m[1])}}, true
		}
	}
	return protocol.Range{}, false
}

// kubernetesYAML says whether some document of text has a top-level
// apiVersion and kind, as every Kubernetes object has.
func kubernetesYAML(text string) bool {
	for _, d := range splitDocs(text) {
		_, av := get(d.root, "apiVersion")
		_, k := get(d.root, "kind")
		if av != nil && k != nil {
			return true
		}
	}
	return false
}
