package lsp_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nvimResult is what testdata/nvim.lua reports.
type nvimResult struct {
	Error       string   `json:"error"`
	Titles      []string `json:"titles"`
	Fixed       bool     `json:"fixed"`
	Diagnostics []struct {
		Line     int    `json:"line"`
		Col      int    `json:"col"`
		EndCol   int    `json:"end_col"`
		Severity int    `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Source   string `json:"source"`
	} `json:"diagnostics"`
}

// nvim runs Neovim headless with testdata/nvim.lua on the file, its
// built-in LSP client talking to `aiden lsp`. It is skipped only where
// Neovim is missing outside CI; CI installs it (.ci/run).
func nvim(t *testing.T, root, file, mode, fix string) nvimResult {
	t.Helper()
	bin, err := exec.LookPath("nvim")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and nvim is missing: .ci/run installs Debian's neovim")
		}
		t.Skip("nvim is not installed (apt-get install neovim)")
	}
	script, err := filepath.Abs("testdata/nvim.lua")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "result.json")
	// A guard against a hung editor, not a measurement.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--clean", "-n", "-c", "luafile "+script)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "AIDEN_BIN="+aidenBin, "AIDEN_ROOT="+root, "AIDEN_FILE="+file,
		"AIDEN_OUT="+out, "AIDEN_MODE="+mode, "AIDEN_FIX="+fix, "XDG_STATE_HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nvim: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("nvim wrote no result: %v", err)
	}
	var r nvimResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("nvim's result %s: %v", b, err)
	}
	if r.Error != "" {
		t.Fatalf("nvim: %s (%s)", r.Error, b)
	}
	return r
}

func TestNeovimDiagnostics(t *testing.T) {
	root := repo(t, map[string]string{"apps/web/deployment.yaml": deployment})
	file := filepath.Join(root, "apps/web/deployment.yaml")
	r := nvim(t, root, file, "diagnostics", "")
	type want struct {
		line, col, endCol, severity int
		text                        string
	}
	// Neovim's severities: 1 error, 2 warning; lines and columns 0-based.
	for code, w := range map[string]want{
		"schema":    {18, 10, 16, 1, "colour"},
		"resources": {21, 10, 19, 2, "limits.memory"},
		"probes":    {16, 10, 14, 2, "livenessProbe"},
	} {
		found := false
		for _, d := range r.Diagnostics {
			if d.Code == code {
				found = true
				if d.Line != w.line || d.Col != w.col || d.EndCol != w.endCol || d.Severity != w.severity ||
					!strings.Contains(d.Message, w.text) || d.Source != "aiden" {
					t.Errorf("%s: %+v, want line %d, columns %d-%d, severity %d, naming %q", code, d, w.line, w.col, w.endCol, w.severity, w.text)
				}
			}
		}
		if !found {
			t.Errorf("no %s diagnostic in Neovim: %+v", code, r.Diagnostics)
		}
	}
}

func TestNeovimCodeAction(t *testing.T) {
	root := repo(t, map[string]string{"apps/web/deployment.yaml": deployment})
	file := filepath.Join(root, "apps/web/deployment.yaml")
	r := nvim(t, root, file, "fix", "Add limits.memory")
	if !r.Fixed {
		t.Errorf("the resources diagnostic stayed after the fix was saved: %+v", r.Diagnostics)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(deployment, "              memory: 64Mi\n", "              memory: 64Mi\n            limits:\n              memory: 64Mi\n", 1)
	if string(b) != want {
		t.Errorf("the file Neovim saved:\n%s\nwant:\n%s", b, want)
	}
	for _, d := range r.Diagnostics {
		if d.Code == "resources" {
			t.Errorf("resources diagnostic left: %+v", d)
		}
	}
}
