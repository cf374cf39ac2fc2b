// Package validators checks generated or existing infrastructure files:
// it renders Helm charts, validates Kubernetes objects against their
// schemas, and reports everything it finds as data.
package validators

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity orders findings; a gate fails on findings at or above a level.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityError
)

// String returns the lowercase name used in output and flags.
func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "info", "warning" (or "warn") and "error".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info":
		return SeverityInfo, nil
	case "warning", "warn":
		return SeverityWarning, nil
	case "error":
		return SeverityError, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// MarshalText makes severities read as words in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one thing a check found. Findings are data, not errors: a
// bad input yields findings, a broken tool yields an error.
type Finding struct {
	// File is the path of the file the finding is about, relative to the
	// repository (or as given on the command line).
	File string `json:"file,omitempty"`
	// Line is the 1-based line in File the finding points at (for a
	// schema finding, where the object's document starts), or 0.
	Line int `json:"line,omitempty"`
	// Column is the 1-based column in Line of the YAML node the finding
	// is about (the key of the offending field), or 0 when only the line
	// is known.
	Column int `json:"column,omitempty"`
	// Resource names the Kubernetes object as Kind/namespace/name or
	// Kind/name, when the finding is about one.
	Resource string `json:"resource,omitempty"`
	// Path is the JSON path inside the object (for example
	// /spec/template/spec/containers/0/image).
	Path string `json:"path,omitempty"`
	// Rule identifies the check: "schema", "render", "lint", "yaml", or a
	// policy rule id.
	Rule string `json:"rule"`
	// Severity is how bad it is.
	Severity Severity `json:"severity"`
	// Message says what is wrong in words a person can act on.
	Message string `json:"message"`
	// Fixable says whether aiden could fix it mechanically.
	Fixable bool `json:"fixable,omitempty"`
	// Fixed says whether aiden already fixed it in the returned files.
	Fixed bool `json:"fixed,omitempty"`
}

// String formats a finding on one line: file[:line]: resource: path: message (rule).
func (f Finding) String() string {
	var b strings.Builder
	file := f.File
	if file != "" && f.Line > 0 {
		file = fmt.Sprintf("%s:%d", file, f.Line)
		if f.Column > 0 {
			file = fmt.Sprintf("%s:%d", file, f.Column)
		}
	}
	for _, part := range []string{file, f.Resource, f.Path} {
		if part != "" {
			b.WriteString(part)
			b.WriteString(": ")
		}
	}
	b.WriteString(f.Message)
	fmt.Fprintf(&b, " (%s)", f.Rule)
	return b.String()
}

// CheckStatus is the outcome of one check as a whole.
type CheckStatus string

// Check outcomes.
const (
	CheckPassed  CheckStatus = "passed"  // ran and found nothing at error level
	CheckFailed  CheckStatus = "failed"  // ran and found errors
	CheckSkipped CheckStatus = "skipped" // did not run (nothing to check, or turned off)
)

// Check records that one check ran (or did not) and what it covered, so a
// report says exactly what was checked, not only what failed.
type Check struct {
	// Name is the check: "render", "lint", "schema", "policy".
	Name string `json:"name"`
	// Status is its outcome.
	Status CheckStatus `json:"status"`
	// Checked counts what it looked at (objects, charts, files).
	Checked int `json:"checked"`
	// Skipped counts what it could not look at (for example kinds without
	// a schema); a skipped object is never counted as valid.
	Skipped int `json:"skipped,omitempty"`
	// Detail is a short human summary ("12 objects valid, 1 kind without schema").
	Detail string `json:"detail,omitempty"`
}

// Report is what a validation run returns.
type Report struct {
	Checks   []Check   `json:"checks"`
	Findings []Finding `json:"findings"`
}

// Add appends another report's checks and findings.
func (r *Report) Add(o Report) {
	r.Checks = append(r.Checks, o.Checks...)
	r.Findings = append(r.Findings, o.Findings...)
}

// Worst returns the highest severity among unfixed findings, or 0 when
// there are none.
func (r Report) Worst() Severity {
	var worst Severity
	for _, f := range r.Findings {
		if !f.Fixed && f.Severity > worst {
			worst = f.Severity
		}
	}
	return worst
}

// Count returns how many unfixed findings are at or above min.
func (r Report) Count(min Severity) int {
	n := 0
	for _, f := range r.Findings {
		if !f.Fixed && f.Severity >= min {
			n++
		}
	}
	return n
}

// Plural returns noun, with an s unless n is 1: the one English plural of
// check details and messages.
func Plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// Count returns n and noun in the plural unless n is 1: "1 file", "3 files".
func Count(n int, noun string) string {
	return strconv.Itoa(n) + " " + Plural(n, noun)
}

// RequireSchemas makes the findings about objects without a schema errors
// (--fail-on-missing-schema, or the generation config's
// failOnMissingSchema) and fails the schema check when there are any.
func (r *Report) RequireSchemas() {
	n := 0
	for i, f := range r.Findings {
		if IsMissingSchema(f.Rule, f.Message) && !f.Fixed {
			r.Findings[i].Severity = SeverityError
			n++
		}
	}
	if n == 0 {
		return
	}
	for i, c := range r.Checks {
		if c.Name == "schema" {
			r.Checks[i].Status = CheckFailed
			if !strings.HasSuffix(c.Detail, "errors") {
				r.Checks[i].Detail += "; objects without schema are errors"
			}
		}
	}
}
