package action

import (
	"testing"

	"github.com/stackgen/aiden/validators"
)

func TestFindingLine(t *testing.T) {
	tests := []struct {
		name string
		f    validators.Finding
		want string
	}{
		{name: "all parts", f: validators.Finding{File: "a/deploy.yaml", Line: 3, Resource: "Deployment/web", Path: "/spec/replicas", Message: "expected integer", Rule: "schema"},
			want: "a/deploy.yaml:3: Deployment/web: /spec/replicas: expected integer [schema]"},
		{name: "message only", f: validators.Finding{Message: "no files", Rule: "input"}, want: "no files [input]"},
		{name: "file without line", f: validators.Finding{File: "Chart.yaml", Message: "icon is recommended", Rule: "lint"}, want: "Chart.yaml: icon is recommended [lint]"},
	}
	for _, tt := range tests {
		if got := FindingLine(tt.f); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFailed(t *testing.T) {
	warn := validators.Finding{Severity: validators.SeverityWarning}
	fixedErr := validators.Finding{Severity: validators.SeverityError, Fixed: true}
	tests := []struct {
		failOn   string
		findings []validators.Finding
		want     bool
	}{
		{failOn: "error", findings: []validators.Finding{warn, fixedErr}, want: false},
		{failOn: "warning", findings: []validators.Finding{warn}, want: true},
		{failOn: "warn", findings: []validators.Finding{warn}, want: true},
		{failOn: "info", findings: nil, want: false},
		{failOn: "none", findings: []validators.Finding{{Severity: validators.SeverityError}}, want: false},
		{failOn: "ERROR", findings: []validators.Finding{{Severity: validators.SeverityError}}, want: true},
	}
	for _, tt := range tests {
		sev, err := ParseFailOn(tt.failOn)
		if err != nil {
			t.Fatalf("ParseFailOn(%q): %v", tt.failOn, err)
		}
		if got := Failed(tt.findings, sev); got != tt.want {
			t.Errorf("Failed(%v, %s) = %v, want %v", tt.findings, tt.failOn, got, tt.want)
		}
	}
	if _, err := ParseFailOn("fatal"); err == nil {
		t.Error("ParseFailOn(fatal): no error")
	}
}
