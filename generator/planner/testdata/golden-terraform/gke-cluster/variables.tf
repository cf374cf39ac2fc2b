variable "project_id" {
  description = "Google Cloud project that owns the cluster."
  type        = string
}

variable "region" {
  description = "Region of the (regional) cluster."
  type        = string
  default     = "europe-west4"
}

variable "cluster_name" {
  description = "Name of the GKE cluster."
  type        = string
  default     = "web"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.cluster_name))
    error_message = "Cluster names here are 2 to 24 lowercase letters, digits and hyphens (the node service account adds -nodes)."
  }
}

variable "network" {
  description = "VPC network of the cluster."
  type        = string
}

variable "subnetwork" {
  description = "Subnetwork of the nodes, with secondary ranges for pods and services."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "A /28 for the control plane's private endpoint."
  type        = string
  default     = "172.16.0.0/28"
}

variable "machine_type" {
  description = "Machine type of the nodes."
  type        = string
  default     = "e2-standard-8"
}

variable "min_nodes" {
  description = "Fewest nodes per zone."
  type        = number
  default     = 2
}

variable "max_nodes" {
  description = "Most nodes per zone."
  type        = number
  default     = 4
}

variable "environment" {
  description = "Environment the cluster belongs to, set as a label."
  type        = string
  default     = "production"
}

variable "labels" {
  description = "Extra labels."
  type        = map(string)
  default     = {}
}
