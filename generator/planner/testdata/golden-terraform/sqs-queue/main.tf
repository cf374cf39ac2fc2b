# SQS FIFO queue payments in eu-west-1 with a dead-letter queue after 3 receives, encrypted, environment production.
# Written by aiden's built-in planner (sqs-queue blueprint).

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
  # FIFO queue names end in .fifo.
  suffix = var.fifo ? ".fifo" : ""
}

# Messages that fail max_receive_count times move here instead of being
# retried for ever; it keeps them for the longest SQS allows.
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.queue_name}-dlq${local.suffix}"
  fifo_queue                = var.fifo
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "this" {
  name                       = "${var.queue_name}${local.suffix}"
  fifo_queue                 = var.fifo
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  # Encrypted at rest with SQS-managed keys.
  sqs_managed_sse_enabled = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only this queue may send its failures to the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}
