package lsp

import (
	"fmt"
	"strings"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/stackgen/aiden/validators/schema"
)

// hover describes the field under the cursor from the Kubernetes schemas
// embedded in aiden (and the CRDs bundled with them): its path, type and
// documentation. Anything else gets no hover.
func (s *Server) hover(ctx *glsp.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	var text string
	if d != nil {
		text = d.text
	}
	s.mu.Unlock()
	if d == nil {
		return nil, nil
	}
	root, path, ok := pathAt(text, p.Position)
	if !ok {
		return nil, nil
	}
	_, av := get(root, "apiVersion")
	_, k := get(root, "kind")
	if av == nil || k == nil {
		return nil, nil
	}
	f, found, err := schema.Describe("", av.Value, k.Value, path)
	if err != nil {
		return nil, fmt.Errorf("hover: %w", err)
	}
	if !found || f.Description == "" {
		return nil, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**", f.Path)
	if f.Type != "" {
		fmt.Fprintf(&b, " (%s)", f.Type)
	}
	fmt.Fprintf(&b, " — %s %s\n\n%s", av.Value, k.Value, f.Description)
	return &protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: b.String()}}, nil
}
