// Backups bucket on GCS (hand-written).
resource "google_storage_bucket" "backups" {
  name     = "acme-backups"
  location = var.location

  uniform_bucket_level_access = true

  labels = {
    team = "sre" # hand
  }
}
