package terraform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/stackgen/aiden/workspace"
)

// findBinary resolves Options.Binary to an executable path, or "".
func findBinary(name string) string {
	switch name {
	case "":
		return ""
	case "auto":
		for _, n := range []string{"terraform", "tofu"} {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// validateOutput is the part of `terraform validate -json` read here.
type validateOutput struct {
	Valid       bool `json:"valid"`
	Diagnostics []struct {
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
		Detail   string `json:"detail"`
		Range    *struct {
			Filename string `json:"filename"`
			Start    struct {
				Line int `json:"line"`
			} `json:"start"`
		} `json:"range"`
	} `json:"diagnostics"`
}

// validate runs init (without a backend) and validate on a copy of one
// module. When the binary is missing or init cannot get the providers
// (no network, no plugin cache), it says so and returns no problems.
func (c *Checker) validate(ctx context.Context, files []workspace.File) (string, []Problem, error) {
	if c.binary == "" {
		return fmt.Sprintf("%s not found on PATH, not run", c.opts.Binary), nil, nil
	}
	name := filepath.Base(c.binary)
	dir, err := os.MkdirTemp("", "aiden-terraform-")
	if err != nil {
		return "", nil, fmt.Errorf("terraform validate: %w", err)
	}
	defer os.RemoveAll(dir)
	byBase := map[string]string{}
	for _, f := range files {
		base := path.Base(f.Path)
		byBase[base] = f.Path
		if err := os.WriteFile(filepath.Join(dir, base), f.Content, 0o600); err != nil {
			return "", nil, fmt.Errorf("terraform validate: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, c.binary, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		return cmd.Output()
	}
	if _, err := run("init", "-backend=false", "-input=false", "-no-color"); err != nil {
		return name + " init could not install the providers (offline?), validate not run", nil, nil
	}
	out, err := run("validate", "-json", "-no-color")
	var v validateOutput
	if jerr := json.Unmarshal(out, &v); jerr != nil {
		if err != nil {
			return "", nil, fmt.Errorf("%s validate: %w", name, err)
		}
		return "", nil, fmt.Errorf("%s validate: read output: %w", name, jerr)
	}
	var problems []Problem
	for _, d := range v.Diagnostics {
		p := Problem{Rule: RuleValidate, Severity: Error, Summary: d.Summary, Detail: strings.TrimSpace(d.Detail)}
		if d.Severity == "warning" {
			p.Severity = Warning
		}
		if d.Range != nil {
			p.File, p.Line = byBase[d.Range.Filename], d.Range.Start.Line
		}
		problems = append(problems, p)
	}
	return name + " validate ran", problems, nil
}
