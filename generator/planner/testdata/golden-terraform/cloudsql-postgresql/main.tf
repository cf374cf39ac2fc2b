# Cloud SQL PostgreSQL 16 (db-custom-2-7680, 50GB) in europe-west1, regional (standby in another zone), private IP only, 14 days of backups, environment production.
# Written by aiden's built-in planner (cloudsql-postgresql blueprint).

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  labels = merge(var.labels, {
    "managed-by"  = "terraform"
    "environment" = var.environment
  })
}

resource "google_sql_database_instance" "this" {
  name             = var.instance_name
  database_version = "POSTGRES_${var.postgres_version}"
  region           = var.region
  # terraform destroy cannot delete the instance while this is on.
  deletion_protection = true

  settings {
    tier              = var.tier
    availability_type = var.high_availability ? "REGIONAL" : "ZONAL"
    disk_type         = "PD_SSD"
    disk_size         = var.disk_size_gb
    disk_autoresize   = true
    user_labels       = local.labels

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "03:00"

      backup_retention_settings {
        retained_backups = var.backup_days
        retention_unit   = "COUNT"
      }
    }

    # Reachable on the VPC's private addresses only, over TLS.
    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    database_flags {
      name  = "log_min_duration_statement"
      value = "1000"
    }
  }
}

resource "google_sql_database" "this" {
  name     = var.database_name
  instance = google_sql_database_instance.this.name
}
