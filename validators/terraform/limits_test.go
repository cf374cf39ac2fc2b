package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// deepParens and deepArrays are the crashers of issue 12: parsed, they
// overflowed the Go stack and ended the process.
func deepParens() []byte {
	return []byte("locals {\n  a = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "\n}\n")
}

func deepArrays() []byte {
	return []byte("{\"locals\": {\"a\":\n" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}}")
}

func TestTooDeepIsAProblem(t *testing.T) {
	tests := []struct {
		path     string
		content  []byte
		wantLine int
	}{
		{path: "main.tf", content: deepParens(), wantLine: 2},
		{path: "main.tf.json", content: deepArrays(), wantLine: 2},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := Parse([]workspace.File{
				{Path: tt.path, Content: tt.content},
				{Path: "ok.tf", Content: []byte("variable \"x\" {}\n")},
			})
			if len(m.Problems) != 1 {
				t.Fatalf("problems = %+v, want one", m.Problems)
			}
			p := m.Problems[0]
			if p.Rule != RuleTooDeep || p.File != tt.path || p.Line != tt.wantLine || p.Severity != Error {
				t.Errorf("got %+v, want rule %s at %s:%d", p, RuleTooDeep, tt.path, tt.wantLine)
			}
			if !strings.Contains(p.Message(), "limit of 256") {
				t.Errorf("message %q does not name the limit", p.Message())
			}
			if _, ok := m.Files["ok.tf"]; !ok {
				t.Error("the other file of the module was not parsed")
			}
		})
	}
}

// FuzzParse feeds the HCL entry point arbitrary files, native syntax and
// JSON: whatever the bytes, it returns problems and never crashes.
func FuzzParse(f *testing.F) {
	// The crashers are seeds in testdata/fuzz/FuzzParse; so are these.
	golden, _ := filepath.Glob(filepath.Join("..", "..", "generator", "planner", "testdata", "golden-terraform", "*", "*.tf"))
	for _, name := range golden {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(filepath.Base(name), b)
		}
	}
	f.Fuzz(func(t *testing.T, name string, src []byte) {
		if !strings.HasSuffix(name, ".json") {
			name = "main.tf"
		}
		Parse([]workspace.File{{Path: name, Content: src}})
	})
}
