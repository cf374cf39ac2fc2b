package lsp

import (
	"strings"
	"testing"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/stackgen/aiden/validators"
)

func TestFindingRangeInMultiDocumentFiles(t *testing.T) {
	text := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  \"k\": v\n"
	for _, c := range []struct {
		line          int
		pointer, msg  string
		wantLine, col protocol.UInteger
		width         protocol.UInteger
	}{
		{1, "/metadata/name", "", 3, 2, 4},                                         // the key name in the first document
		{5, "/metadata/name", "", 8, 2, 4},                                         // the separator's line names the second
		{6, "/data/k", "", 10, 2, 3},                                               // a quoted key
		{6, "", "additional properties 'x' not allowed", 5, 0, 14},                 // no path: the line's text
		{5, "/metadata", "additional properties 'name', 'x' not allowed", 8, 2, 4}, // the first field named
		{0, "/nope", "", 0, 0, 14},                                                 // a path that is not there
	} {
		r := findingRange(text, c.line, c.pointer, c.msg)
		want := protocol.Range{Start: protocol.Position{Line: c.wantLine, Character: c.col}, End: protocol.Position{Line: c.wantLine, Character: c.col + c.width}}
		if r != want {
			t.Errorf("line %d %q %q: %+v, want %+v", c.line, c.pointer, c.msg, r, want)
		}
	}
}

func TestAddResourcesAtTheEndOfAFileWithoutNewline(t *testing.T) {
	text := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x:1\n    resources: {}"
	edits, title := addResources(text, validators.Finding{Line: 1, Path: "/spec/containers/0/resources", Rule: "resources"})
	if len(edits) != 1 || title != "Add requests.cpu: 100m, requests.memory: 128Mi, limits.memory: 128Mi (policy rule resources)" {
		t.Fatalf("edits %+v, title %q", edits, title)
	}
	got := applyChange(text, edits[0].Range, edits[0].NewText)
	want := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x:1\n    resources:\n      requests:\n        cpu: 100m\n        memory: 128Mi\n      limits:\n        memory: 128Mi"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMinimalEdit(t *testing.T) {
	old := "a\nb\nc\nd\n"
	for _, now := range []string{"a\nB\nc\nd\n", "a\nb\nc\nd\ne\n", "x\n", "a\nb\nc\nd"} {
		e := minimalEdit(old, now)
		if got := applyChange(old, e.Range, e.NewText); got != now {
			t.Errorf("%q -> %q: the edit %+v gives %q", old, now, e, got)
		}
	}
}

func TestApplyChangeCountsUTF16(t *testing.T) {
	text := "a: \"é𝄞x\"\nb: 1\n"
	// 𝄞 is two UTF-16 code units: x is at character 7 of line 0.
	got := applyChange(text, protocol.Range{Start: protocol.Position{Line: 0, Character: 7}, End: protocol.Position{Line: 0, Character: 8}}, "y")
	if got != "a: \"é𝄞y\"\nb: 1\n" {
		t.Errorf("got %q", got)
	}
}

// A CRLF file's separators ("---\r") separate too: a finding in the second
// document lands there, not on the same path in the first.
func TestFindingRangeInACRLFFile(t *testing.T) {
	lf := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  \"k\": v\n"
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	for _, c := range []struct {
		line     int
		pointer  string
		wantLine protocol.UInteger
	}{
		{1, "/metadata/name", 3},
		{6, "/metadata/name", 8},
		{6, "/data/k", 10},
	} {
		if got, want := findingRange(crlf, c.line, c.pointer, ""), findingRange(lf, c.line, c.pointer, ""); got != want || got.Start.Line != c.wantLine {
			t.Errorf("line %d %s: %+v in the CRLF file, %+v in the LF one; want line %d", c.line, c.pointer, got, want, c.wantLine)
		}
	}
}
