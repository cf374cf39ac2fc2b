variable "region" {
  description = "AWS region of the repository."
  type        = string
  default     = {{q .T.Region}}
}

variable "repository_name" {
  description = "Name of the repository (acme/api for a namespace)."
  type        = string
  default     = {{q .T.Name}}

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "Repository names are lowercase letters and digits, separated by . _ - or /."
  }
}

variable "keep_images" {
  description = "How many of the newest images to keep."
  type        = number
  default     = {{.T.KeepImages}}
}

variable "environment" {
  description = "Environment the repository belongs to, set as a tag."
  type        = string
  default     = {{q .Environment}}
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
