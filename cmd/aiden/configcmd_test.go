package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "generation-config.yaml")
	if err := os.WriteFile(bad, []byte("naming:\n  maxLength: sixty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"example repository", []string{"config", "validate", "../../examples/gitops"}, exitOK, "valid (version 1; 3 labels, 1 annotations, 1 preferred charts)"},
		{"broken file", []string{"config", "validate", bad}, exitFindings, bad + `:2:14: naming.maxLength: must be a whole number, not "sixty"`},
		{"missing", []string{"config", "validate", filepath.Join(t.TempDir(), "none")}, exitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.out) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.out)
			}
		})
	}
}
