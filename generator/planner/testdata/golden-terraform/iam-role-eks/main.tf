# IAM role api assumed by the EKS service account shop/api, allowed only to send messages to the queue orders, read the secret prod/shop/db.
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
    actions = ["sts:AssumeRoleWithWebIdentity"]

    # Pods of one Kubernetes service account, through the cluster's OIDC
    # provider (IAM roles for service accounts).
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "IAM role api assumed by the EKS service account shop/api, allowed only to send messages to the queue orders, read the secret prod/shop/db"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
}

# Least privilege: only the actions asked for, only on the resources named.
data "aws_iam_policy_document" "permissions" {
  statement {
    # send messages to the queue orders
    sid       = "SendMessagesToTheQueueOrders"
    effect    = "Allow"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
    resources = ["arn:aws:sqs:${var.region}:${data.aws_caller_identity.current.account_id}:orders"]
  }
  statement {
    # read the secret prod/shop/db
    sid       = "ReadTheSecretProdShopDb"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = ["arn:aws:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:prod/shop/db-*"]
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
