package action

import (
	"fmt"
	"strings"

	"github.com/stackgen/aiden/validators"
)

// FindingLine is the one text form of a finding for people, used by the
// CLI, Slack and MCP: file[:line[:column]]: resource: path: message [rule].
func FindingLine(f validators.Finding) string {
	var parts []string
	file := f.File
	if file != "" && f.Line > 0 {
		file = fmt.Sprintf("%s:%d", file, f.Line)
		if f.Column > 0 {
			file = fmt.Sprintf("%s:%d", file, f.Column)
		}
	}
	for _, s := range []string{file, f.Resource, f.Path} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	parts = append(parts, f.Message)
	return strings.Join(parts, ": ") + " [" + f.Rule + "]"
}

// SeverityWord is the word shown before a finding: its severity, or
// "fixed" when aiden fixed it.
func SeverityWord(f validators.Finding) string {
	if f.Fixed {
		return "fixed"
	}
	return f.Severity.String()
}

// ParseFailOn reads the severity at or above which remaining findings
// fail a run: info, warning, error, or none (0: never).
func ParseFailOn(s string) (validators.Severity, error) {
	switch strings.ToLower(s) {
	case "none", "never":
		return 0, nil
	}
	sev, err := validators.ParseSeverity(s)
	if err != nil || strings.TrimSpace(s) != s {
		return 0, fmt.Errorf("%q: want info, warning, error or none", s)
	}
	return sev, nil
}

// Failed is the findings exit rule every door applies: a run fails when an
// unfixed finding at or above failOn remains; failOn 0 never fails.
func Failed(findings []validators.Finding, failOn validators.Severity) bool {
	if failOn == 0 {
		return false
	}
	for _, f := range findings {
		if !f.Fixed && f.Severity >= failOn {
			return true
		}
	}
	return false
}
