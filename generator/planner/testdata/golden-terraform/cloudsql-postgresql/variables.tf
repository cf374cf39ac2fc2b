variable "project_id" {
  description = "Google Cloud project that owns the instance."
  type        = string
}

variable "region" {
  description = "Google Cloud region of the instance."
  type        = string
  default     = "europe-west1"
}

variable "instance_name" {
  description = "Name of the Cloud SQL instance (unused names only: a deleted name stays taken for a week)."
  type        = string
  default     = "orders"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,96}[a-z0-9]$", var.instance_name))
    error_message = "Instance names are lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "database_name" {
  description = "Database created in the instance."
  type        = string
  default     = "orders"
}

variable "postgres_version" {
  description = "PostgreSQL major version."
  type        = number
  default     = 16
}

variable "tier" {
  description = "Machine type of the instance (db-custom-CPUS-MEMORY_MB)."
  type        = string
  default     = "db-custom-2-7680"
}

variable "high_availability" {
  description = "A standby in another zone of the region, with automatic failover."
  type        = bool
  default     = true
}

variable "disk_size_gb" {
  description = "Initial disk size in GB; it grows automatically."
  type        = number
  default     = 50
}

variable "backup_days" {
  description = "Daily backups kept."
  type        = number
  default     = 14
}

variable "network" {
  description = "Self link of the VPC network whose private services access the instance uses."
  type        = string
}

variable "environment" {
  description = "Environment the instance belongs to, set as a label."
  type        = string
  default     = "production"
}

variable "labels" {
  description = "Extra labels for the instance."
  type        = map(string)
  default     = {}
}
