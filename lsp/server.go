// Package lsp is aiden's language server: diagnostics from the same checks
// `aiden validate` runs (schemas, policy, conventions; charts rendered,
// kustomizations built over the repository, Terraform), code actions that
// fix what the checks can fix, "generate from intent" as a command, and
// hover with the embedded Kubernetes schemas' field descriptions. It speaks
// the Language Server Protocol over stdio through github.com/tliron/glsp.
package lsp

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
	glspserver "github.com/tliron/glsp/server"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
)

// Name is the server's name in the initialize result and the source of
// its diagnostics.
const Name = "aiden"

// CommandGenerate is the workspace/executeCommand command that generates
// files from a sentence of intent (see GenerateArgs).
const CommandGenerate = "aiden.generate"

// DefaultDocsURL is where a diagnostic's code links to, the rule's
// section appended.
const DefaultDocsURL = "https://github.com/stackgen/aiden/blob/main/docs/"

// Options configure a Server.
type Options struct {
	// Engine runs the checks and generations; nil means one with defaults.
	Engine *generator.Engine
	// Debounce is how long a document must stay unchanged after an edit
	// before it is checked; zero means 400ms. Open and save check at once.
	Debounce time.Duration
	// DocsURL is the base of the links diagnostics carry; empty means
	// DefaultDocsURL.
	DocsURL string
	// PolicyCheck runs the policy checks (the built-in pack and the
	// repository's policies), as `aiden validate` does by default.
	PolicyCheck bool
	// Version is reported in the initialize result.
	Version string
}

// Server holds the open documents and what the checks found in them.
type Server struct {
	opts   Options
	engine *generator.Engine

	mu        sync.Mutex
	docs      map[string]*document            // open documents by URI
	timers    map[string]*time.Timer          // pending checks by URI
	seq       map[string]int                  // the latest check asked for, by URI
	findings  map[string][]validators.Finding // the last findings published, by URI
	published map[string][]string             // URIs a check of a URI published to
	notify    glsp.NotifyFunc
	canApply  bool // the client accepts workspace/applyEdit
	ctx       context.Context
	cancel    context.CancelFunc

	checking sync.Mutex // one check at a time: they share two cores with the editor
}

type document struct {
	uri     string
	path    string // absolute
	text    string
	version int32
}

// New returns a Server.
func New(opts Options) *Server {
	if opts.Debounce == 0 {
		opts.Debounce = 400 * time.Millisecond
	}
	if opts.DocsURL == "" {
		opts.DocsURL = DefaultDocsURL
	}
	if opts.Engine == nil {
		opts.Engine = generator.New(generator.Options{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{opts: opts, engine: opts.Engine, docs: map[string]*document{}, timers: map[string]*time.Timer{},
		seq: map[string]int{}, findings: map[string][]validators.Finding{}, published: map[string][]string{},
		ctx: ctx, cancel: cancel}
}

// Handler returns the protocol handler that serves the methods.
func (s *Server) Handler() *protocol.Handler {
	return &protocol.Handler{
		Initialize:              s.initialize,
		Initialized:             func(*glsp.Context, *protocol.InitializedParams) error { return nil },
		Shutdown:                s.shutdown,
		SetTrace:                func(*glsp.Context, *protocol.SetTraceParams) error { return nil },
		TextDocumentDidOpen:     s.didOpen,
		TextDocumentDidChange:   s.didChange,
		TextDocumentDidSave:     s.didSave,
		TextDocumentDidClose:    s.didClose,
		TextDocumentCodeAction:  s.codeAction,
		TextDocumentHover:       s.hover,
		WorkspaceExecuteCommand: s.executeCommand,
	}
}

// ServeStdio serves one client on the process's standard input and
// output until it exits or closes the stream.
func (s *Server) ServeStdio() error {
	defer s.cancel()
	srv := glspserver.NewServer(s.Handler(), Name, false)
	return srv.RunStdio()
}

func (s *Server) initialize(ctx *glsp.Context, params *protocol.InitializeParams) (any, error) {
	s.mu.Lock()
	s.notify = ctx.Notify
	if w := params.Capabilities.Workspace; w != nil && w.ApplyEdit != nil {
		s.canApply = *w.ApplyEdit
	}
	s.mu.Unlock()
	yes := true
	incremental := protocol.TextDocumentSyncKindIncremental
	version := s.opts.Version
	return protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: protocol.TextDocumentSyncOptions{
				OpenClose: &yes,
				Change:    &incremental,
				Save:      protocol.SaveOptions{IncludeText: &yes},
			},
			HoverProvider: true,
			CodeActionProvider: protocol.CodeActionOptions{
				CodeActionKinds: []protocol.CodeActionKind{protocol.CodeActionKindQuickFix},
			},
			ExecuteCommandProvider: &protocol.ExecuteCommandOptions{Commands: []string{CommandGenerate}},
		},
		ServerInfo: &protocol.InitializeResultServerInfo{Name: Name, Version: &version},
	}, nil
}

func (s *Server) shutdown(*glsp.Context) error {
	s.mu.Lock()
	for _, t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	s.cancel()
	return nil
}

func (s *Server) didOpen(ctx *glsp.Context, p *protocol.DidOpenTextDocumentParams) error {
	path, err := uriPath(p.TextDocument.URI)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.docs[p.TextDocument.URI] = &document{uri: p.TextDocument.URI, path: path, text: p.TextDocument.Text, version: p.TextDocument.Version}
	s.mu.Unlock()
	s.schedule(p.TextDocument.URI, 0)
	return nil
}

func (s *Server) didChange(ctx *glsp.Context, p *protocol.DidChangeTextDocumentParams) error {
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	if d != nil {
		for _, c := range p.ContentChanges {
			switch c := c.(type) {
			case protocol.TextDocumentContentChangeEventWhole:
				d.text = c.Text
			case protocol.TextDocumentContentChangeEvent:
				if c.Range != nil {
					d.text = applyChange(d.text, *c.Range, c.Text)
				} else {
					d.text = c.Text
				}
			}
		}
		d.version = p.TextDocument.Version
	}
	s.mu.Unlock()
	if d == nil {
		return fmt.Errorf("change of %s, which is not open", p.TextDocument.URI)
	}
	s.schedule(p.TextDocument.URI, s.opts.Debounce)
	return nil
}

func (s *Server) didSave(ctx *glsp.Context, p *protocol.DidSaveTextDocumentParams) error {
	s.mu.Lock()
	if d := s.docs[p.TextDocument.URI]; d != nil && p.Text != nil {
		d.text = *p.Text
	}
	s.mu.Unlock()
	s.schedule(p.TextDocument.URI, 0)
	return nil
}

func (s *Server) didClose(ctx *glsp.Context, p *protocol.DidCloseTextDocumentParams) error {
	uri := p.TextDocument.URI
	s.mu.Lock()
	delete(s.docs, uri)
	if t := s.timers[uri]; t != nil {
		t.Stop()
		delete(s.timers, uri)
	}
	s.seq[uri]++ // a check under way publishes nothing
	gone := s.published[uri]
	delete(s.published, uri)
	for _, u := range gone {
		delete(s.findings, u)
	}
	s.mu.Unlock()
	for _, u := range gone {
		s.publish(u, []protocol.Diagnostic{})
	}
	return nil
}

// schedule checks the document at uri after delay, replacing a check
// scheduled before that has not started.
func (s *Server) schedule(uri string, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq[uri]++
	n := s.seq[uri]
	if t := s.timers[uri]; t != nil {
		t.Stop()
	}
	s.timers[uri] = time.AfterFunc(delay, func() { s.run(uri, n) })
}

// run checks the document at uri unless a newer check was asked for, and
// publishes the diagnostics of every file the check covered.
func (s *Server) run(uri string, n int) {
	s.checking.Lock()
	defer s.checking.Unlock()
	s.mu.Lock()
	d := s.docs[uri]
	stale := s.seq[uri] != n
	var doc document
	if d != nil {
		doc = *d
	}
	open := s.openTexts()
	s.mu.Unlock()
	if d == nil || stale || s.ctx.Err() != nil {
		return
	}
	byURI, err := s.diagnose(s.ctx, doc, open)
	if err != nil {
		// The check could not run (an unreadable repository, say): the
		// document says so rather than keeping stale diagnostics.
		sev := protocol.DiagnosticSeverityError
		source := Name
		byURI = map[string]*fileDiagnostics{uri: {diags: []protocol.Diagnostic{{
			Range: protocol.Range{}, Severity: &sev, Source: &source, Message: "aiden could not check this file: " + err.Error(),
		}}}}
	}
	s.mu.Lock()
	if s.seq[uri] != n || s.docs[uri] == nil {
		s.mu.Unlock()
		return
	}
	prev := s.published[uri]
	var now []string
	for u, fd := range byURI {
		now = append(now, u)
		s.findings[u] = fd.findings
	}
	for _, u := range prev {
		if byURI[u] == nil {
			delete(s.findings, u)
		}
	}
	s.published[uri] = now
	s.mu.Unlock()
	for _, u := range prev {
		if byURI[u] == nil {
			s.publish(u, []protocol.Diagnostic{})
		}
	}
	for u, fd := range byURI {
		s.publish(u, fd.diags)
	}
}

// openTexts returns the open documents' texts by absolute path; the
// caller holds s.mu.
func (s *Server) openTexts() map[string]string {
	m := make(map[string]string, len(s.docs))
	for _, d := range s.docs {
		m[d.path] = d.text
	}
	return m
}

func (s *Server) publish(uri string, diags []protocol.Diagnostic) {
	s.mu.Lock()
	notify := s.notify
	s.mu.Unlock()
	if notify == nil {
		return
	}
	notify(protocol.ServerTextDocumentPublishDiagnostics, protocol.PublishDiagnosticsParams{URI: uri, Diagnostics: diags})
}

// applyChange replaces the range r of text (positions in UTF-16 code
// units, as the protocol counts them) with repl.
func applyChange(text string, r protocol.Range, repl string) string {
	a, b := offset(text, r.Start), offset(text, r.End)
	if b < a {
		a, b = b, a
	}
	return text[:a] + repl + text[b:]
}

// offset is the byte offset of a position in text; positions past a
// line's end or the text's end are clamped to it.
func offset(text string, p protocol.Position) int {
	o := 0
	for line := protocol.UInteger(0); line < p.Line; line++ {
		i := strings.IndexByte(text[o:], '\n')
		if i < 0 {
			return len(text)
		}
		o += i + 1
	}
	units := protocol.UInteger(0)
	for i, r := range text[o:] {
		if units >= p.Character || r == '\n' {
			return o + i
		}
		units += protocol.UInteger(len(utf16.Encode([]rune{r})))
	}
	return len(text)
}

// uriPath turns a file: URI into an absolute path.
func uriPath(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("document %s: %w", uri, err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("document %s: only file: URIs are checked", uri)
	}
	p := u.Path
	if runtime.GOOS == "windows" {
		p = strings.TrimPrefix(p, "/")
	}
	p = filepath.Clean(filepath.FromSlash(p))
	// Paths are compared resolved: the checks read the repository so.
	if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(dir, filepath.Base(p))
	}
	return p, nil
}

// pathURI turns an absolute path into a file: URI.
func pathURI(p string) string {
	s := filepath.ToSlash(p)
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return (&url.URL{Scheme: "file", Path: s}).String()
}
