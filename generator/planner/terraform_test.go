package planner

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators/terraform"
)

// terraformCases cover every Terraform blueprint; TestTerraformValidates
// proves their modules clean and TestTerraformGolden keeps them under
// testdata/golden-terraform.
var terraformCases = []struct {
	name      string
	intent    string
	hints     Hints
	blueprint string
	want      []string // strings the module must hold
}{
	{name: "s3-bucket", intent: "an S3 bucket called acme-invoices with versioning, encryption and public access blocked in eu-west-1 for production",
		blueprint: BlueprintS3Bucket,
		want:      []string{`status = "Enabled"`, "block_public_acls       = true", "restrict_public_buckets = true", `sse_algorithm`, `default     = "eu-west-1"`, `default     = "acme-invoices"`}},
	{name: "gcs-bucket", intent: "a Google Cloud Storage bucket named acme-exports in europe-west1 with versioning",
		blueprint: BlueprintGCSBucket,
		want:      []string{`public_access_prevention    = "enforced"`, "uniform_bucket_level_access = true", "enabled = true", `default     = "europe-west1"`, `source  = "hashicorp/google"`}},
	{name: "rds-postgresql", intent: "a managed PostgreSQL database on AWS RDS with 100 GB storage, db.r6g.large, 14 days of backups, Multi-AZ and encryption in production",
		hints:     Hints{TargetPath: "terraform/production/orders-db"},
		blueprint: BlueprintRDSPostgreSQL,
		want:      []string{"multi_az               = true", "storage_encrypted     = true", "manage_master_user_password         = true", "default     = 14", "default     = 100", `default     = "db.r6g.large"`, "publicly_accessible    = false"}},
	{name: "vpc", intent: "a VPC with public and private subnets across 3 availability zones with CIDR 10.20.0.0/16 in us-west-2",
		hints:     Hints{TargetPath: "terraform/staging/network"},
		blueprint: BlueprintVPC,
		want:      []string{`default     = "10.20.0.0/16"`, "default     = 3", `resource "aws_subnet" "public"`, `resource "aws_subnet" "private"`, `resource "aws_nat_gateway" "this"`}},
	{name: "sqs-queue", intent: "a FIFO SQS queue called payments with a dead-letter queue after 3 receives in eu-west-1 for production",
		blueprint: BlueprintSQSQueue,
		want:      []string{`resource "aws_sqs_queue" "dlq"`, "redrive_policy = jsonencode", `redrivePermission = "byQueue"`, "sqs_managed_sse_enabled = true", "default     = 3", `default     = "eu-west-1"`}},
	{name: "sns-topic", intent: "an SNS topic called alerts notifying ops@example.com",
		blueprint: BlueprintSNSTopic,
		want:      []string{`resource "aws_sns_topic" "this"`, `protocol  = "email"`, `default     = "alias/aws/sns"`, `default     = ["ops@example.com"]`}},
	{name: "ecr-repository", intent: "an ECR repository called acme/api keeping the last 50 images",
		blueprint: BlueprintECRRepository,
		want:      []string{`image_tag_mutability = "IMMUTABLE"`, "scan_on_push = true", `encryption_type = "KMS"`, "default     = 50"}},
	{name: "iam-role-eks", intent: "an IAM role called api for the service account shop/api on EKS that can read the secret prod/shop/db and send to the queue orders",
		blueprint: BlueprintIAMRole,
		want:      []string{`actions = ["sts:AssumeRoleWithWebIdentity"]`, `"secretsmanager:GetSecretValue"`, `"sqs:SendMessage"`, `data "aws_caller_identity" "current" {}`, `variable "oidc_provider_arn"`}},
	{name: "iam-role-lambda", intent: "an IAM role for the billing service on Lambda that can read the S3 bucket acme-invoices",
		blueprint: BlueprintIAMRole,
		want:      []string{`identifiers = ["lambda.amazonaws.com"]`, `resources = ["arn:aws:s3:::acme-invoices/*"]`, `actions   = ["s3:ListBucket"]`, `sid       = "ReadObjectsOfTheBucketAcmeInvoices"`}},
	{name: "eks-cluster", intent: "an EKS cluster called core with a managed node group of 3 t3.large nodes in eu-west-1 for production",
		blueprint: BlueprintEKSCluster,
		want:      []string{`resource "aws_eks_node_group" "this"`, `default     = "t3.large"`, "endpoint_private_access = true", `authentication_mode = "API"`, `ami_type        = "AL2023_x86_64_STANDARD"`}},
	{name: "cloudsql-postgresql", intent: "a Cloud SQL PostgreSQL 16 database called orders with 50 GB storage and 14 days of backups in production",
		blueprint: BlueprintCloudSQL,
		want:      []string{`database_version = "POSTGRES_${var.postgres_version}"`, "default     = 16", "ipv4_enabled    = false", `ssl_mode        = "ENCRYPTED_ONLY"`, "point_in_time_recovery_enabled = true", `source  = "hashicorp/google"`}},
	{name: "gke-cluster", intent: "a GKE cluster called web with 6 e2-standard-8 nodes in europe-west4 for production",
		blueprint: BlueprintGKECluster,
		want:      []string{`resource "google_container_node_pool" "this"`, "remove_default_node_pool = true", "enable_private_nodes    = true", `mode = "GKE_METADATA"`, `default     = "e2-standard-8"`}},
}

func terraformPlan(t *testing.T, intent string, h Hints) *Plan {
	t.Helper()
	h.Format = "terraform"
	plan, err := Parse(intent, h)
	if err != nil {
		t.Fatalf("Parse(%q): %v", intent, err)
	}
	return plan
}

func TestTerraformValidates(t *testing.T) {
	for _, tc := range terraformCases {
		t.Run(tc.name, func(t *testing.T) {
			plan := terraformPlan(t, tc.intent, tc.hints)
			if plan.Blueprint != tc.blueprint {
				t.Fatalf("blueprint %s, want %s", plan.Blueprint, tc.blueprint)
			}
			files, err := plan.Files("terraform")
			if err != nil {
				t.Fatalf("Files(terraform): %v", err)
			}
			var names []string
			all := ""
			for _, f := range files {
				names = append(names, f.Path)
				all += string(f.Content)
			}
			if got := strings.Join(names, " "); got != "main.tf outputs.tf variables.tf versions.tf" {
				t.Errorf("files %s, want main.tf outputs.tf variables.tf versions.tf", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("module has no %q", w)
				}
			}
			if !strings.Contains(all, `version = "~> `) {
				t.Error("providers are not pinned")
			}
			c, err := terraform.New(terraform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Check(context.Background(), place("infra/"+plan.App, files))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Problems {
				t.Errorf("%s:%d: %s: %s", p.File, p.Line, p.Address, p.Message())
			}
		})
	}
}

func TestTerraformGolden(t *testing.T) {
	for _, tc := range terraformCases {
		t.Run(tc.name, func(t *testing.T) {
			plan := terraformPlan(t, tc.intent, tc.hints)
			files, err := plan.Files("terraform")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{"plan.txt": describePlan(tc.intent, plan)}
			for _, f := range files {
				got[f.Path] = string(f.Content)
			}
			golden(t, filepath.Join("testdata", "golden-terraform", tc.name), got)
		})
	}
}

func TestTerraformNotCovered(t *testing.T) {
	tests := []struct {
		intent string
		want   error
		words  string
	}{
		{intent: "an AKS cluster with 3 nodes", want: ErrNotCovered, words: "AKS"},
		{intent: "a public S3 bucket for our website", want: ErrNotCovered, words: "public"},
		{intent: "a Spanner database on GCP", want: ErrNotCovered, words: "Spanner"},
		{intent: "an Azure storage account", want: ErrNotCovered, words: "Azure"},
		{intent: "a VPC and an RDS PostgreSQL database", want: ErrNotCovered, words: "one component"},
		{intent: "make it fast", want: ErrNotCovered, words: "does not understand \"fast\""},
		{intent: "a VPC on GCP", want: ErrNotCovered, words: "gcp"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.intent, Hints{Format: "terraform", TargetPath: "infra/x"})
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.words) {
			t.Errorf("Parse(%q): got %v, want %v mentioning %q", tt.intent, err, tt.want, tt.words)
		}
	}
}

func TestTerraformFilesOfWorkload(t *testing.T) {
	plan, err := Parse("a redis cache", Hints{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Files("terraform"); !errors.Is(err, ErrNotCovered) {
		t.Errorf("got %v, want ErrNotCovered", err)
	}
}
