package lsp

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/conventions"
	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Defaults of the requests and limits the resources fix adds; a memory
// request already set is also the limit it adds.
const (
	defaultCPU    = "100m"
	defaultMemory = "128Mi"
)

func (s *Server) codeAction(ctx *glsp.Context, p *protocol.CodeActionParams) (any, error) {
	uri := p.TextDocument.URI
	s.mu.Lock()
	d := s.docs[uri]
	var doc document
	if d != nil {
		doc = *d
	}
	findings := append([]validators.Finding(nil), s.findings[uri]...)
	open := s.openTexts()
	s.mu.Unlock()
	if d == nil {
		return []protocol.CodeAction{}, nil
	}
	actions := []protocol.CodeAction{}
	conventionsAsked := false
	var conventionsDiags []protocol.Diagnostic
	for _, f := range findings {
		diag := s.diagnostic(doc.text, f)
		if !overlaps(diag.Range, p.Range) {
			continue
		}
		var edits []protocol.TextEdit
		var title string
		switch {
		case f.Rule == "resources":
			edits, title = addResources(doc.text, f)
		case f.Rule == "probes":
			edits, title = addProbes(doc.text, f)
		case strings.HasPrefix(f.Rule, "conventions/"):
			conventionsAsked = true
			conventionsDiags = append(conventionsDiags, diag)
		}
		if len(edits) > 0 {
			actions = append(actions, quickFix(title, uri, edits, diag))
		}
	}
	if conventionsAsked {
		edit, title, err := s.conventionsFix(doc, open)
		if err != nil {
			return nil, err
		}
		if edit != nil {
			kind := protocol.CodeActionKindQuickFix
			actions = append(actions, protocol.CodeAction{Title: title, Kind: &kind, Diagnostics: conventionsDiags, Edit: edit})
		}
	}
	return actions, nil
}

func quickFix(title, uri string, edits []protocol.TextEdit, diag protocol.Diagnostic) protocol.CodeAction {
	kind := protocol.CodeActionKindQuickFix
	yes := true
	return protocol.CodeAction{Title: title, Kind: &kind, IsPreferred: &yes, Diagnostics: []protocol.Diagnostic{diag},
		Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentUri][]protocol.TextEdit{uri: edits}}}
}

// overlaps says whether two ranges share a line (a cursor on a line asks
// for the fixes of that line's diagnostics).
func overlaps(a, b protocol.Range) bool {
	return a.Start.Line <= b.End.Line && b.Start.Line <= a.End.Line
}

// container finds the container mapping a resources or probes finding
// names, in its document.
func container(text string, f validators.Finding) *yaml.Node {
	d := docAt(splitDocs(text), f.Line)
	if d == nil || d.root == nil {
		return nil
	}
	n, _, ok := walk(d.root, strings.TrimSuffix(f.Path, "/resources"))
	if !ok || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil
	}
	return n
}

// addResources adds the requests and memory limit the built-in policy's
// resources rule asks for and the container lacks.
func addResources(text string, f validators.Finding) ([]protocol.TextEdit, string) {
	c := container(text, f)
	if c == nil {
		return nil, ""
	}
	lines := strings.Split(text, "\n")
	resKey, res := get(c, "resources")
	_, req := get(res, "requests")
	_, lim := get(res, "limits")
	memory := defaultMemory
	if _, m := get(req, "memory"); m != nil && m.Value != "" {
		memory = m.Value
	}
	want := []struct{ section, key, value string }{
		{"requests", "cpu", defaultCPU}, {"requests", "memory", memory}, {"limits", "memory", memory},
	}
	missing := map[string][]string{} // section -> "key: value" lines
	var added []string
	for _, w := range want {
		_, sec := get(res, w.section)
		if _, v := get(sec, w.key); v != nil && v.Value != "" {
			continue
		}
		missing[w.section] = append(missing[w.section], w.key+": "+w.value)
		added = append(added, w.section+"."+w.key+": "+w.value)
	}
	if len(added) == 0 {
		return nil, ""
	}
	title := "Add " + strings.Join(added, ", ") + " (policy rule resources)"
	section := func(name string, ind string) string {
		if len(missing[name]) == 0 {
			return ""
		}
		return ind + name + ":\n" + ind + "  " + strings.Join(missing[name], "\n"+ind+"  ") + "\n"
	}
	switch {
	case res == nil:
		ind := indent(c)
		block := ind + "resources:\n" + section("requests", ind+"  ") + section("limits", ind+"  ")
		return []protocol.TextEdit{insertAfter(lines, endLine(c), block)}, title
	case res.Kind != yaml.MappingNode || len(res.Content) == 0:
		ind := strings.Repeat(" ", resKey.Column-1)
		block := ind + "resources:\n" + section("requests", ind+"  ") + section("limits", ind+"  ")
		return []protocol.TextEdit{replaceLine(lines, resKey.Line, block)}, title
	}
	var edits []protocol.TextEdit
	for _, sec := range []struct {
		name string
		node *yaml.Node
	}{{"requests", req}, {"limits", lim}} {
		if len(missing[sec.name]) == 0 {
			continue
		}
		k, _ := get(res, sec.name)
		switch {
		case sec.node == nil:
			edits = append(edits, insertAfter(lines, endLine(res), section(sec.name, indent(res))))
		case sec.node.Kind != yaml.MappingNode || len(sec.node.Content) == 0:
			edits = append(edits, replaceLine(lines, k.Line, section(sec.name, strings.Repeat(" ", k.Column-1))))
		default:
			ind := indent(sec.node)
			edits = append(edits, insertAfter(lines, endLine(sec.node), ind+strings.Join(missing[sec.name], "\n"+ind)+"\n"))
		}
	}
	return edits, title
}

// addProbes adds the liveness and readiness probes the built-in policy's
// probes rule asks for: TCP checks of the container's first port, the one
// probe that assumes nothing of the protocol. A container without a port
// gets no fix: what to probe is not known.
func addProbes(text string, f validators.Finding) ([]protocol.TextEdit, string) {
	c := container(text, f)
	if c == nil {
		return nil, ""
	}
	_, ports := get(c, "ports")
	if ports == nil || ports.Kind != yaml.SequenceNode || len(ports.Content) == 0 {
		return nil, ""
	}
	_, port := get(ports.Content[0], "containerPort")
	if port == nil || port.Value == "" {
		return nil, ""
	}
	ind := indent(c)
	var block strings.Builder
	var names []string
	for _, probe := range []struct{ name, timing string }{
		{"livenessProbe", "initialDelaySeconds: 10\n" + ind + "  periodSeconds: 10"},
		{"readinessProbe", "periodSeconds: 5"},
	} {
		if k, _ := get(c, probe.name); k != nil {
			continue
		}
		names = append(names, probe.name)
		fmt.Fprintf(&block, "%s%s:\n%s  tcpSocket:\n%s    port: %s\n%s  %s\n", ind, probe.name, ind, ind, port.Value, ind, probe.timing)
	}
	if len(names) == 0 {
		return nil, ""
	}
	lines := strings.Split(text, "\n")
	return []protocol.TextEdit{insertAfter(lines, endLine(c), block.String())},
		fmt.Sprintf("Add %s (TCP on port %s; policy rule probes)", strings.Join(names, " and "), port.Value)
}

// indent is the indentation of a mapping's keys.
func indent(m *yaml.Node) string {
	if len(m.Content) == 0 {
		return ""
	}
	return strings.Repeat(" ", m.Content[0].Column-1)
}

// endLine is the last line a node's text reaches.
func endLine(n *yaml.Node) int {
	end := n.Line
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		end += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	for _, c := range n.Content {
		end = max(end, endLine(c))
	}
	return end
}

// insertAfter inserts block (whole lines, newline-terminated) after the
// 1-based line.
func insertAfter(lines []string, line int, block string) protocol.TextEdit {
	if line < len(lines) {
		pos := protocol.Position{Line: protocol.UInteger(line)}
		return protocol.TextEdit{Range: protocol.Range{Start: pos, End: pos}, NewText: block}
	}
	// The last line, without a newline after it.
	last := len(lines) - 1
	pos := protocol.Position{Line: protocol.UInteger(last), Character: protocol.UInteger(len([]rune(lines[last])))}
	return protocol.TextEdit{Range: protocol.Range{Start: pos, End: pos}, NewText: "\n" + strings.TrimSuffix(block, "\n")}
}

// replaceLine replaces the 1-based line with block (newline-terminated).
func replaceLine(lines []string, line int, block string) protocol.TextEdit {
	l := protocol.UInteger(line - 1)
	return protocol.TextEdit{Range: protocol.Range{Start: protocol.Position{Line: l},
		End: protocol.Position{Line: l, Character: protocol.UInteger(len([]rune(lines[line-1])))}}, NewText: strings.TrimSuffix(block, "\n")}
}

// conventionsFix applies the repository's conventions (genconfig) to the
// app folder that holds the document, as generate applies them to what it
// writes: names, labels, annotations and namespaces set, references to a
// renamed object renamed too. It returns the edit of every file that
// changes, or nil when nothing can be fixed mechanically.
func (s *Server) conventionsFix(doc document, open map[string]string) (*protocol.WorkspaceEdit, string, error) {
	root, _, config, err := action.FindRoot(filepath.Dir(doc.path), true)
	if err != nil || config.Path == "" {
		return nil, "", err
	}
	cfg, err := genconfig.Parse(genconfig.Path, config.Content)
	if err != nil {
		return nil, "", nil // the config's own diagnostics say what is wrong
	}
	rel, err := filepath.Rel(root, doc.path)
	if err != nil {
		return nil, "", fmt.Errorf("fix conventions: %w", err)
	}
	rel = filepath.ToSlash(rel)
	dir, ok := cfg.AppFolder(rel)
	if !ok {
		return nil, "", nil
	}
	vars := genconfig.Vars{Env: planner.PathEnvironment(dir, "clusters"), App: path.Base(dir), Team: cfg.Team}
	if vars.Env == "" {
		cfg = conventions.WithoutEnv(cfg)
	}
	loaded, err := validators.LoadPaths(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		return nil, "", fmt.Errorf("fix conventions: %w", err)
	}
	var files []workspace.File
	before := map[string]string{}
	for _, f := range loaded {
		abs := filepath.FromSlash(f.Path)
		r, err := filepath.Rel(root, abs)
		if err != nil {
			return nil, "", fmt.Errorf("fix conventions: %w", err)
		}
		if t, ok := open[abs]; ok {
			f.Content = []byte(t)
		}
		f.Path = filepath.ToSlash(r)
		before[f.Path] = string(f.Content)
		files = append(files, f)
	}
	fixed, findings, err := conventions.Apply(s.ctx, cfg, vars, files)
	if err != nil {
		return nil, "", fmt.Errorf("fix conventions: %w", err)
	}
	var what []string
	for _, f := range findings {
		if f.Fixed {
			what = append(what, strings.TrimPrefix(f.Rule, "conventions/"))
		}
	}
	edit := &protocol.WorkspaceEdit{Changes: map[protocol.DocumentUri][]protocol.TextEdit{}}
	for _, f := range fixed {
		if old := before[f.Path]; old != string(f.Content) {
			abs := filepath.Join(root, filepath.FromSlash(f.Path))
			uri := pathURI(abs)
			if abs == doc.path {
				uri = doc.uri
			}
			edit.Changes[uri] = []protocol.TextEdit{minimalEdit(old, string(f.Content))}
		}
	}
	if len(edit.Changes) == 0 {
		return nil, "", nil
	}
	return edit, fmt.Sprintf("Apply the repository's conventions (%s) to %s", strings.Join(unique(what), ", "), dir), nil
}

// minimalEdit replaces the lines of old that differ from new, the lines
// they share at both ends kept.
func minimalEdit(old, new string) protocol.TextEdit {
	a, b := strings.SplitAfter(old, "\n"), strings.SplitAfter(new, "\n")
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	start := protocol.Position{Line: protocol.UInteger(pre)}
	end := protocol.Position{Line: protocol.UInteger(len(a) - suf)}
	if len(a)-suf > 0 && !strings.HasSuffix(a[len(a)-suf-1], "\n") {
		// The changed part runs to the end of a file without a final newline.
		end = protocol.Position{Line: protocol.UInteger(len(a) - suf - 1), Character: protocol.UInteger(len([]rune(a[len(a)-suf-1])))}
	}
	return protocol.TextEdit{Range: protocol.Range{Start: start, End: end}, NewText: strings.Join(b[pre:len(b)-suf], "")}
}

func unique(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
