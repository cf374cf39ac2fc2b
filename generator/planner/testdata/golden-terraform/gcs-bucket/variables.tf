variable "project_id" {
  description = "Google Cloud project that owns the bucket."
  type        = string
}

variable "location" {
  description = "Location of the bucket: a region (europe-west1) or a multi-region (EU, US)."
  type        = string
  default     = "europe-west1"
}

variable "bucket_name" {
  description = "Name of the bucket; bucket names are global, so it must be unused in every project."
  type        = string
  default     = "acme-exports"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "Bucket names are 3 to 63 lowercase letters, digits, dots, underscores and hyphens."
  }
}

variable "environment" {
  description = "Environment the bucket belongs to, set as a label."
  type        = string
  default     = ""
}

variable "kms_key_name" {
  description = "Cloud KMS key for customer-managed encryption; null keeps Google-managed keys."
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it is deleted."
  type        = number
  default     = 90
}

variable "labels" {
  description = "Extra labels for the bucket."
  type        = map(string)
  default     = {}
}
