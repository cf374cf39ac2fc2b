package nesting

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHCL(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		max      int
		wantLine int // 0: within the limit
	}{
		{name: "plain", src: "resource \"a\" \"b\" {\n  x = [1, (2), {y = 3}]\n}\n", max: 3},
		{name: "too deep", src: "a = [\n[\n[\n[1]]]]\n", max: 3, wantLine: 4},
		{name: "brackets in strings", src: "a = \"((((((((\"\n", max: 2},
		{name: "escaped quote", src: "a = \"\\\"((((\"\nb = 1\n", max: 2},
		{name: "brackets in comments", src: "# ((((((\n// [[[[[[\n/* {{{{{{\n */\na = 1\n", max: 1},
		{name: "literal template escapes", src: "a = \"$${((((( %%{\"\n", max: 2},
		{name: "interpolation nests", src: "a = \"${(((1)))}\"\n", max: 4, wantLine: 1},
		{name: "interpolation within", src: "a = \"${(1)}\"\n", max: 3},
		{name: "heredoc text", src: "a = <<EOT\n((((((\n[[[[\nEOT\nb = (1)\n", max: 2},
		{name: "indented heredoc", src: "a = <<-EOT\n  ((((((\n  EOT\nb = [[1]]\n", max: 2},
		{name: "heredoc interpolation", src: "a = <<EOT\nx\n${((((1))))}\nEOT\n", max: 4, wantLine: 3},
		{name: "unbalanced closers", src: ")))]]]}}}\na = [[1]]\n", max: 2},
		{name: "deep parens", src: "a = " + strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000) + "\n", max: 0, wantLine: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := HCL([]byte(tt.src), tt.max)
			check(t, err, tt.wantLine)
		})
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		max      int
		wantLine int
	}{
		{name: "plain", src: `{"a": [1, {"b": [2]}]}`, max: 4},
		{name: "too deep", src: "{\n\"a\": [[[\n1]]]}", max: 3, wantLine: 2},
		{name: "brackets in strings", src: `{"a": "[[[[[{{{{\"[[["}`, max: 1},
		{name: "deep arrays", src: strings.Repeat("[", 100000) + strings.Repeat("]", 100000), max: 0, wantLine: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, JSON([]byte(tt.src), tt.max), tt.wantLine)
		})
	}
}

func check(t *testing.T, err error, wantLine int) {
	t.Helper()
	if wantLine == 0 {
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		return
	}
	var ne *Error
	if !errors.As(err, &ne) {
		t.Fatalf("got %v, want *Error", err)
	}
	if ne.Line != wantLine {
		t.Errorf("line = %d, want %d (%v)", ne.Line, wantLine, err)
	}
	if !strings.Contains(err.Error(), "limit of") {
		t.Errorf("message %q does not name the limit", err)
	}
}

// Every Terraform file the project and its corpora hold is within the
// default limit: the scanner turns away no real configuration.
func TestHCLRealFiles(t *testing.T) {
	n := 0
	for _, root := range []string{"../..", "../../../shared/corpora"} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") && !strings.HasSuffix(p, ".tf.json") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			n++
			scan := HCL
			if strings.HasSuffix(p, ".json") {
				scan = JSON
			}
			if err := scan(b, 16); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			return nil
		})
	}
	if n == 0 {
		t.Skip("no Terraform files found")
	}
	t.Logf("%d files", n)
}
