package validators

import (
	"context"
	"fmt"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

const kDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: "http"
`

// TestValidateKustomize builds both overlays; the schema error is found
// in each overlay's output, and a broken base is reported once, at the
// base's kustomization.
func TestValidateKustomize(t *testing.T) {
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	files := []workspace.File{
		{Path: "app/base/kustomization.yaml", Content: []byte("resources:\n  - deployment.yaml\n")},
		{Path: "app/base/deployment.yaml", Content: []byte(kDeployment)},
		{Path: "app/overlays/dev/kustomization.yaml", Content: []byte("resources:\n  - ../../base\n")},
		{Path: "app/overlays/prod/kustomization.yaml", Content: []byte("resources:\n  - ../../base\n")},
	}
	rep, err := v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The error is in the base's file, which both overlays build: one
	// finding, at the field's key there.
	var schemaAt []string
	for _, f := range rep.Findings {
		if f.Rule == "schema" && f.Severity == SeverityError {
			schemaAt = append(schemaAt, fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column))
		}
	}
	if len(schemaAt) != 1 || schemaAt[0] != "app/base/deployment.yaml:16:15" {
		t.Errorf("schema findings at %q, want app/base/deployment.yaml:16:15", schemaAt)
	}

	files[0].Content = []byte("resources:\n  - deployment.yaml\n  - missing.yaml\n")
	rep, err = v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Finding
	for _, f := range rep.Findings {
		if f.Rule == "kustomize" {
			got = append(got, f)
		}
	}
	// At the resources: entry of the missing file, line 3 column 5.
	if len(got) != 1 || got[0].File != "app/base/kustomization.yaml" || got[0].Severity != SeverityError || got[0].Line != 3 || got[0].Column != 5 {
		t.Errorf("got kustomize findings %s, want one error at app/base/kustomization.yaml:3:5", findings(got))
	}
}

func TestValidateTerraform(t *testing.T) {
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	files := []workspace.File{
		{Path: "infra/main.tf", Content: []byte("resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n")},
		{Path: "infra/outputs.tf", Content: []byte("output \"arn\" {\n  value = aws_s3_bucket.b.arn\n}\n")},
	}
	rep, err := v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]Check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	if c := checks["terraform"]; c.Status != CheckFailed || c.Checked != 1 {
		t.Errorf("terraform check %+v, want failed on 1 module", c)
	}
	if c := checks["terraform-schema"]; c.Status != CheckSkipped {
		t.Errorf("terraform-schema check %+v, want skipped without an export", c)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("got findings %s, want one", findings(rep.Findings))
	}
	f := rep.Findings[0]
	if f.File != "infra/main.tf" || f.Line != 2 || f.Resource != "aws_s3_bucket.b" || f.Severity != SeverityError {
		t.Errorf("got %s, want an error at infra/main.tf:2 in aws_s3_bucket.b", f)
	}
}
