variable "region" {
  description = "AWS region of the VPC."
  type        = string
  default     = "us-west-2"
}

variable "name" {
  description = "Name of the VPC, prefixed to the names of its parts."
  type        = string
  default     = "network"
}

variable "environment" {
  description = "Environment the VPC belongs to, set as a tag."
  type        = string
  default     = "staging"
}

variable "cidr_block" {
  description = "Address range of the VPC; each subnet is a sixteenth of it."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0))
    error_message = "cidr_block must be an IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "az_count" {
  description = "Availability zones to spread subnets over; each gets one public and one private subnet."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 8
    error_message = "az_count must be between 1 and 8."
  }
}

variable "single_nat_gateway" {
  description = "Share one NAT gateway between all zones (cheaper, less available)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
