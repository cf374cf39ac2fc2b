# IAM role billing assumed by lambda, allowed only to read objects of the bucket acme-invoices, list the bucket acme-invoices.
# Written by aiden's built-in planner (iam-role blueprint).

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

locals {
  tags = merge(var.tags, {
    "managed-by"  = "terraform"
    "environment" = var.environment
  })
}

data "aws_caller_identity" "current" {}

# Who may assume the role.
data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "IAM role billing assumed by lambda, allowed only to read objects of the bucket acme-invoices, list the bucket acme-invoices"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
}

# Least privilege: only the actions asked for, only on the resources named.
data "aws_iam_policy_document" "permissions" {
  statement {
    # read objects of the bucket acme-invoices
    sid       = "ReadObjectsOfTheBucketAcmeInvoices"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::acme-invoices/*"]
  }
  statement {
    # list the bucket acme-invoices
    sid       = "ListTheBucketAcmeInvoices"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::acme-invoices"]
  }
}

resource "aws_iam_policy" "this" {
  name        = "${var.role_name}-policy"
  description = "What ${var.role_name} may do."
  policy      = data.aws_iam_policy_document.permissions.json
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this.arn
}
