package terraform

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

func TestParseFindsStructureProblems(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		summary string // want exactly one error with this summary
		line    int
	}{
		{name: "valid", src: `
variable "name" { type = string }
locals { tags = { app = var.name } }
resource "aws_s3_bucket" "b" {
  bucket = var.name
  tags   = local.tags
  dynamic "rule" {
    for_each = [1, 2]
    content { id = rule.value }
  }
  lifecycle { ignore_changes = [tags] }
}
resource "aws_s3_bucket_versioning" "v" {
  count  = 2
  bucket = aws_s3_bucket.b.id
  depends_on = [aws_s3_bucket.b]
}
output "ids" { value = aws_s3_bucket_versioning.v[*].id }
output "first" { value = [for v in aws_s3_bucket_versioning.v : v.id][0] }
`},
		{name: "syntax", src: "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\n}\n", summary: "Invalid multi-line string", line: 2},
		{name: "unclosed", src: "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n", summary: "Unclosed configuration block", line: 1},
		{name: "undeclared variable", src: "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.nope\n}\n", summary: "Reference to undeclared input variable", line: 2},
		{name: "undeclared local", src: "output \"o\" {\n  value = local.nope\n}\n", summary: "Reference to undeclared local value", line: 2},
		{name: "undeclared resource", src: "output \"o\" {\n  value = aws_vpc.main.id\n}\n", summary: "Reference to undeclared resource", line: 2},
		{name: "undeclared data", src: "output \"o\" {\n  value = data.aws_region.current.name\n}\n", summary: "Reference to undeclared resource", line: 2},
		{name: "undeclared module", src: "output \"o\" {\n  value = module.vpc.id\n}\n", summary: "Reference to undeclared module", line: 2},
		{name: "duplicate resource", src: "resource \"aws_vpc\" \"a\" {}\nresource \"aws_vpc\" \"a\" {}\n", summary: `Duplicate resource "aws_vpc" configuration`, line: 2},
		{name: "duplicate variable", src: "variable \"a\" {}\nvariable \"a\" {}\n", summary: "Duplicate variable declaration", line: 2},
		{name: "duplicate local", src: "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n", summary: "Duplicate local value definition", line: 5},
		{name: "attribute redefined", src: "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n  cidr_block = \"10.0.0.0/16\"\n}\n", summary: "Attribute redefined", line: 3},
		{name: "instance key", src: "resource \"aws_subnet\" \"s\" {\n  count = 2\n}\noutput \"o\" {\n  value = aws_subnet.s.id\n}\n", summary: "Missing resource instance key", line: 5},
		{name: "unknown block", src: "resources \"aws_vpc\" \"a\" {}\n", summary: "Unsupported block type", line: 1},
		{name: "missing label", src: "resource \"aws_vpc\" {}\n", summary: `Missing name for resource`, line: 1},
		{name: "top-level argument", src: "region = \"us-east-1\"\n", summary: "Unsupported argument", line: 1},
		{name: "output without value", src: "output \"o\" {\n  description = \"x\"\n}\n", summary: "Missing required argument", line: 1},
		{name: "variable default reference", src: "variable \"a\" {}\nvariable \"b\" {\n  default = var.a\n}\n", summary: "Variables not allowed", line: 3},
		{name: "quoted type", src: "variable \"a\" {\n  type = \"string\"\n}\n", summary: "Invalid quoted type constraints", line: 2},
		{name: "count and for_each", src: "resource \"aws_vpc\" \"a\" {\n  count = 1\n  for_each = {}\n}\n", summary: `Invalid combination of "count" and "for_each"`, line: 1},
		{name: "iterator outside dynamic", src: "resource \"aws_security_group\" \"g\" {\n  description = ingress.value\n}\n", summary: "Reference to undeclared resource", line: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse([]workspace.File{{Path: "mod/main.tf", Content: []byte(tt.src)}})
			errs := errorsOf(m)
			if tt.summary == "" {
				if len(errs) != 0 {
					t.Fatalf("got %d errors, want none: %+v", len(errs), errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("got no errors, want %q", tt.summary)
			}
			got := errs[0]
			if got.Summary != tt.summary || got.File != "mod/main.tf" || got.Line != tt.line {
				t.Errorf("got %s:%d %q, want mod/main.tf:%d %q (all: %+v)", got.File, got.Line, got.Summary, tt.line, tt.summary, errs)
			}
		})
	}
}

func TestReferencesResolveAcrossFiles(t *testing.T) {
	m := Parse([]workspace.File{
		{Path: "m/variables.tf", Content: []byte("variable \"name\" {\n  type = string\n}\n")},
		{Path: "m/main.tf", Content: []byte("resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n")},
		{Path: "m/outputs.tf", Content: []byte("output \"arn\" {\n  value = aws_s3_bucket.b.arn\n}\n")},
	})
	if errs := errorsOf(m); len(errs) != 0 {
		t.Fatalf("got %+v, want no errors", errs)
	}
}

const testSchema = `{
  "format_version": "1.0",
  "provider_schemas": {
    "registry.terraform.io/hashicorp/aws": {
      "resource_schemas": {
        "aws_s3_bucket": {"block": {
          "attributes": {
            "bucket": {"type": "string", "optional": true, "computed": true},
            "arn": {"type": "string", "computed": true},
            "tags": {"type": ["map", "string"], "optional": true}
          },
          "block_types": {
            "logging": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {"target_bucket": {"type": "string", "required": true}}}}
          }
        }},
        "aws_s3_bucket_versioning": {"block": {
          "attributes": {"bucket": {"type": "string", "required": true}},
          "block_types": {"versioning_configuration": {"nesting_mode": "list", "min_items": 1, "max_items": 1, "block": {"attributes": {"status": {"type": "string", "required": true}}}}}
        }}
      }
    }
  }
}`

func TestProviderSchema(t *testing.T) {
	dir := t.TempDir()
	schemaFile := filepath.Join(dir, "schema.json")
	if err := os.WriteFile(schemaFile, []byte(testSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{SchemaFile: schemaFile})
	if err != nil {
		t.Fatal(err)
	}
	src := `resource "aws_s3_bucket" "b" {
  bucket = "x"
  arn    = "y"
  acl    = "private"
  logging {
    target_bucket = "z"
  }
  logging {
  }
}
resource "aws_s3_bucket_versioning" "v" {
  bucket = aws_s3_bucket.b.id
}
resource "aws_s3_bucket_policy" "p" {
}
resource "google_storage_bucket" "g" {
  anything = true
}
`
	res, err := c.Check(context.Background(), []workspace.File{{Path: "main.tf", Content: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, p.Address+" "+p.Summary)
	}
	want := []string{
		"aws_s3_bucket.b Value for unconfigurable attribute",
		"aws_s3_bucket.b Unsupported argument",
		"aws_s3_bucket.b Too many logging blocks",
		"aws_s3_bucket.b Missing required argument",
		"aws_s3_bucket_versioning.v Insufficient versioning_configuration blocks",
		"aws_s3_bucket_policy.p Invalid resource type",
	}
	if !res.SchemaChecked || !sameSet(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func sameSet(a, b []string) bool {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestInputLayoutIsConftests(t *testing.T) {
	src := `resource "aws_s3_bucket" "logs" {
  bucket = var.name
  acl    = "private"
  tags   = { team = "web", name = "${var.name}-logs" }
  versioning {
    enabled = true
  }
}
variable "name" {
  default = "x"
}
terraform {
  required_version = ">= 1.6"
}
`
	m := Parse([]workspace.File{{Path: "main.tf", Content: []byte(src)}})
	got, err := m.Input("main.tf")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(`{
  "resource": {"aws_s3_bucket": {"logs": [{
    "bucket": "${var.name}", "acl": "private",
    "tags": {"team": "web", "name": "${var.name}-logs"},
    "versioning": [{"enabled": true}]
  }]}},
  "variable": {"name": [{"default": "x"}]},
  "terraform": [{"required_version": ">= 1.6"}]
}`), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("got %s", g)
	}
}

func TestValidateBinaryMissing(t *testing.T) {
	c, err := New(Options{Binary: "aiden-no-such-terraform"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Check(context.Background(), []workspace.File{{Path: "main.tf", Content: []byte("variable \"a\" {}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Validate, "not found") || len(res.Problems) != 0 {
		t.Errorf("got %q %+v, want a not-found note and no problems", res.Validate, res.Problems)
	}
}

// TestJSONSyntax: .tf.json files get the structure checks .tf files get,
// alone and mixed with .tf files in one module.
func TestJSONSyntax(t *testing.T) {
	const variables = "variable \"name\" {\n  type = string\n}\n"
	const main = `{
  "//": "a ${comment}, not a reference",
  "locals": {"tags": {"app": "${var.name}"}},
  "variable": {"prefix": {"type": "string", "default": "${not-a-reference}"}},
  "resource": {
    "aws_s3_bucket": {"b": {
      "bucket": "${var.prefix}-${var.name}",
      "tags": "${local.tags}",
      "lifecycle": {"ignore_changes": ["tags"]},
      "dynamic": {"rule": {"for_each": "${[1, 2]}", "content": {"id": "${rule.value}"}}}
    }},
    "aws_security_group": {"g": {
      "dynamic": {"ingress": {"for_each": "${var.ports}", "iterator": "port", "content": {"from_port": "${port.value}"}}}
    }},
    "aws_s3_bucket_versioning": {"v": {
      "count": 2,
      "bucket": "${aws_s3_bucket.b.id}",
      "depends_on": ["aws_s3_bucket.b"]
    }}
  },
  "check": {"health": {
    "data": {"http": {"site": {"url": "https://${var.name}.example.com"}}},
    "assert": [{"condition": "${data.http.site.status_code == 200}", "error_message": "down"}]
  }}
}
`
	const outputs = "output \"ids\" {\n  value = aws_s3_bucket_versioning.v[*].id\n}\nvariable \"ports\" {\n  type = list(number)\n}\n"
	tests := []struct {
		name    string
		files   map[string]string
		summary string // want exactly this error first; "" wants none
		file    string
		line    int
	}{
		{name: "valid mixed module", files: map[string]string{"m/variables.tf": variables, "m/main.tf.json": main, "m/outputs.tf": outputs}},
		{name: "undeclared variable", files: map[string]string{"m/main.tf.json": "{\n  \"resource\": {\"aws_s3_bucket\": {\"b\": {\n    \"bucket\": \"${var.nope}\"\n  }}}\n}\n"},
			summary: "Reference to undeclared input variable", file: "m/main.tf.json", line: 3},
		{name: "undeclared local in nested block", files: map[string]string{"m/main.tf.json": "{\"resource\": {\"aws_s3_bucket\": {\"b\": {\n  \"logging\": [{\n    \"target_bucket\": \"${local.logs}\"\n  }]\n}}}}\n"},
			summary: "Reference to undeclared local value", file: "m/main.tf.json", line: 3},
		{name: "json refers to a resource no file declares", files: map[string]string{"m/variables.tf": variables, "m/outputs.tf.json": "{\"output\": {\"arn\": {\n  \"value\": \"${aws_s3_bucket.missing.arn}\"\n}}}\n"},
			summary: "Reference to undeclared resource", file: "m/outputs.tf.json", line: 2},
		{name: "tf refers to a variable the json file lacks", files: map[string]string{"m/variables.tf.json": "{\"variable\": {\"region\": {}}}\n", "m/main.tf": "provider \"aws\" {\n  region = var.regoin\n}\n"},
			summary: "Reference to undeclared input variable", file: "m/main.tf", line: 2},
		{name: "duplicate across syntaxes", files: map[string]string{"m/a.tf": "resource \"aws_vpc\" \"main\" {}\n", "m/b.tf.json": "{\n  \"resource\": {\"aws_vpc\": {\"main\": {}}}\n}\n"},
			summary: `Duplicate resource "aws_vpc" configuration`, file: "m/b.tf.json", line: 2},
		{name: "json iterator outside its dynamic block", files: map[string]string{"m/main.tf.json": "{\"resource\": {\"aws_security_group\": {\"g\": {\n  \"description\": \"${ingress.value}\"\n}}}}\n"},
			summary: "Reference to undeclared resource", file: "m/main.tf.json", line: 2},
		{name: "json instance key", files: map[string]string{"m/main.tf.json": "{\"resource\": {\"aws_subnet\": {\"s\": {\"count\": 2}}},\n \"output\": {\"o\": {\n  \"value\": \"${aws_subnet.s.id}\"\n}}}\n"},
			summary: "Missing resource instance key", file: "m/main.tf.json", line: 3},
		{name: "json dynamic without for_each", files: map[string]string{"m/main.tf.json": "{\"resource\": {\"aws_security_group\": {\"g\": {\n  \"dynamic\": {\"ingress\": {\"content\": {}}}\n}}}}\n"},
			summary: "Missing required argument", file: "m/main.tf.json", line: 2},
		{name: "json syntax error", files: map[string]string{"m/main.tf.json": "{\n  \"locals\": {\"a\": tru}\n}\n"},
			summary: "Invalid JSON keyword", file: "m/main.tf.json", line: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []workspace.File
			for p, c := range tt.files {
				files = append(files, workspace.File{Path: p, Content: []byte(c)})
			}
			errs := errorsOf(Parse(files))
			if tt.summary == "" {
				if len(errs) != 0 {
					t.Fatalf("got %d errors, want none: %+v", len(errs), errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want one %q: %+v", len(errs), tt.summary, errs)
			}
			if got := errs[0]; got.Summary != tt.summary || got.File != tt.file || got.Line != tt.line {
				t.Errorf("got %s:%d %q, want %s:%d %q", got.File, got.Line, got.Summary, tt.file, tt.line, tt.summary)
			}
		})
	}
}
