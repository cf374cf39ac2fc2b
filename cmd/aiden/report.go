package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/validators"
)

// SARIF 2.1.0, the subset GitHub code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

func sarifLevel(s validators.Severity) string {
	switch s {
	case validators.SeverityError:
		return "error"
	case validators.SeverityWarning:
		return "warning"
	}
	return "note"
}

// writeSARIF writes findings as a SARIF 2.1.0 log with one run.
func writeSARIF(w io.Writer, findings []validators.Finding) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "aiden", InformationURI: "https://github.com/stackgen/aiden"}}}
	seen := map[string]bool{}
	run.Results = []sarifResult{}
	for _, f := range findings {
		if f.Fixed {
			continue
		}
		if !seen[f.Rule] {
			seen[f.Rule] = true
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: f.Rule, ShortDescription: sarifMessage{Text: f.Rule}})
		}
		msg := f.Message
		for _, p := range []string{f.Path, f.Resource} {
			if p != "" {
				msg = p + ": " + msg
			}
		}
		r := sarifResult{RuleID: f.Rule, Level: sarifLevel(f.Severity), Message: sarifMessage{Text: msg}}
		if f.File != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileOnly(f.File)}}}
			line := f.Line
			if line == 0 {
				line = lineOf(f.File)
			}
			if line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: line, StartColumn: f.Column}
			}
			r.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, r)
	}
	sort.Slice(run.Tool.Driver.Rules, func(i, j int) bool { return run.Tool.Driver.Rules[i].ID < run.Tool.Driver.Rules[j].ID })
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []sarifRule{}
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("encode sarif: %w", err)
	}
	return nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one test suite per check; each finding at or above
// failOn is a failed test case, and a check without such findings is one
// passing (or skipped) case.
func writeJUnit(w io.Writer, checks []validators.Check, findings []validators.Finding, failOn validators.Severity) error {
	byCheck := map[string][]validators.Finding{}
	for _, f := range findings {
		byCheck[checkOf(f.Rule, checks)] = append(byCheck[checkOf(f.Rule, checks)], f)
	}
	var out junitSuites
	for _, c := range checks {
		s := junitSuite{Name: c.Name}
		for _, f := range byCheck[c.Name] {
			if !action.Failed([]validators.Finding{f}, failOn) {
				continue
			}
			line := action.FindingLine(f)
			s.Cases = append(s.Cases, junitCase{Name: line, Classname: c.Name,
				Failure: &junitFailure{Message: f.Message, Type: f.Rule, Text: line}})
			s.Failures++
		}
		if len(s.Cases) == 0 {
			jc := junitCase{Name: c.Detail, Classname: c.Name}
			if c.Status == validators.CheckSkipped {
				jc.Skipped = &struct{}{}
				s.Skipped++
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// checkOf names the check a finding's rule belongs to.
func checkOf(rule string, checks []validators.Check) string {
	for _, c := range checks {
		if c.Name == rule {
			return rule
		}
	}
	switch rule {
	case "yaml":
		return "schema"
	}
	for _, c := range checks {
		if c.Name == "policy" {
			return "policy"
		}
	}
	if i := strings.Index(rule, "/"); i > 0 {
		return rule[:i]
	}
	return rule
}

// The wire Finding carries the line in its file as "path:line".
func fileOnly(file string) string {
	if i := strings.LastIndex(file, ":"); i > 0 && lineOf(file) > 0 {
		return file[:i]
	}
	return file
}

func lineOf(file string) int {
	i := strings.LastIndex(file, ":")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range file[i+1:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
