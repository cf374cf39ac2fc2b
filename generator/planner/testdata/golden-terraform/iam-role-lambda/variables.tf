variable "region" {
  description = "AWS region of the resources the role may use."
  type        = string
  default     = "us-east-1"
}

variable "role_name" {
  description = "Name of the role; the policy is <name>-policy."
  type        = string
  default     = "billing"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,57}$", var.role_name))
    error_message = "Role names are 1 to 57 letters, digits and +=,.@_- (the -policy suffix takes the rest)."
  }
}

variable "environment" {
  description = "Environment the role belongs to, set as a tag."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
