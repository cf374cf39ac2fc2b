variable "region" {
  description = "AWS region of the database."
  type        = string
  default     = "us-east-1"
}

variable "identifier" {
  description = "Name of the DB instance and of the resources around it."
  type        = string
  default     = "orders-db"
}

variable "environment" {
  description = "Environment the database belongs to, set as a tag."
  type        = string
  default     = "production"
}

variable "engine_version" {
  description = "PostgreSQL version; a major version (17) lets RDS pick the newest minor release."
  type        = string
  default     = "17"
}

variable "instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.r6g.large"
}

variable "allocated_storage" {
  description = "Storage in GiB; it grows automatically up to twice this."
  type        = number
  default     = 100
}

variable "database_name" {
  description = "Name of the database created in the instance."
  type        = string
  default     = "orders_db"
}

variable "master_username" {
  description = "Name of the master user; its password is managed by RDS in Secrets Manager."
  type        = string
  default     = "dbadmin"
}

variable "vpc_id" {
  description = "VPC the database runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, in at least two availability zones, for the DB subnet group."
  type        = list(string)
}

variable "allowed_cidr_blocks" {
  description = "Networks allowed to connect on port 5432, such as the VPC's private subnets."
  type        = list(string)

  validation {
    condition     = !contains(var.allowed_cidr_blocks, "0.0.0.0/0")
    error_message = "The database must not be reachable from the whole internet."
  }
}

variable "backup_retention_days" {
  description = "Days automated backups (and point-in-time recovery) are kept."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "RDS keeps automated backups for 1 to 35 days."
  }
}

variable "kms_key_arn" {
  description = "KMS key for storage encryption; null uses the AWS-managed RDS key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
