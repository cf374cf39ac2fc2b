variable "region" {
  description = "AWS region of the bucket."
  type        = string
  default     = "us-east-1"
}

variable "bucket_name" {
  description = "Name of the bucket; S3 bucket names are global, so it must be unused in every AWS account."
  type        = string
  default     = "acme-logs" # hand: do not rename, Athena reads it

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "Bucket names are 3 to 63 lowercase letters, digits, dots and hyphens."
  }
}

variable "environment" {
  description = "Environment the bucket belongs to, set as a tag."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "ARN of a KMS key for SSE-KMS; null encrypts with S3-managed keys (SSE-S3)."
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it expires."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
