# SNS topic alerts in us-east-1, encrypted, emailing ops@example.com.
# Written by aiden's built-in planner (sns-topic blueprint).

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

resource "aws_sns_topic" "this" {
  name       = var.fifo ? "${var.topic_name}.fifo" : var.topic_name
  fifo_topic = var.fifo
  # Encrypted at rest with the AWS-managed SNS key unless another is given.
  kms_master_key_id = var.kms_key_id
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.email_subscribers)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}
