variable "region" {
  description = "AWS region of the cluster."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_name" {
  description = "Name of the EKS cluster."
  type        = string
  default     = "core"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "Cluster names are 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes version of the control plane and nodes."
  type        = string
  default     = "1.35"
}

variable "subnet_ids" {
  description = "Private subnets, in two availability zones or more, for the control plane's interfaces and the nodes."
  type        = list(string)
}

variable "endpoint_public_access" {
  description = "Whether the API server is reachable from the internet (from public_access_cidrs)."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "Addresses that may reach a public API server endpoint."
  type        = list(string)
  default     = []
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
  default     = "t3.large"
}

variable "node_count" {
  description = "Nodes the group starts with."
  type        = number
  default     = 3
}

variable "min_nodes" {
  description = "Fewest nodes of the group."
  type        = number
  default     = 3
}

variable "max_nodes" {
  description = "Most nodes of the group."
  type        = number
  default     = 6
}

variable "environment" {
  description = "Environment the cluster belongs to, set as a tag."
  type        = string
  default     = "production"
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
