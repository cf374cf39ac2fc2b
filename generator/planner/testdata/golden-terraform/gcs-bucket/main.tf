# Cloud Storage bucket acme-exports in europe-west1 with versioning, encryption at rest and public access prevention.
# Written by aiden's built-in planner (gcs-bucket blueprint).

provider "google" {
  project = var.project_id
}

locals {
  labels = merge(var.labels, {
    "managed-by"  = "terraform"
    "environment" = var.environment
  })
}

resource "google_storage_bucket" "this" {
  name     = var.bucket_name
  location = var.location
  labels   = local.labels

  storage_class = "STANDARD"
  # Access is granted by IAM on the bucket only (no object ACLs), and never
  # to allUsers or allAuthenticatedUsers.
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # A bucket that still holds objects is never deleted by terraform destroy.
  force_destroy = false

  versioning {
    enabled = true
  }

  # Data is encrypted at rest with Google-managed keys; a KMS key name
  # switches to customer-managed encryption (CMEK).
  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  # Old versions are kept for var.noncurrent_version_days, then deleted.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
    }
    action {
      type = "Delete"
    }
  }

  soft_delete_policy {
    retention_duration_seconds = 604800
  }
}
