variable "region" {
  description = "AWS region of the resources the role may use."
  type        = string
  default     = {{q .T.Region}}
}

variable "role_name" {
  description = "Name of the role; the policy is <name>-policy."
  type        = string
  default     = {{q .T.Name}}

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,57}$", var.role_name))
    error_message = "Role names are 1 to 57 letters, digits and +=,.@_- (the -policy suffix takes the rest)."
  }
}
{{- if eq .T.Principal "eks" }}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider."
  type        = string
}

variable "oidc_provider" {
  description = "The OIDC provider's URL without https:// (oidc.eks.REGION.amazonaws.com/id/ID)."
  type        = string
}

variable "namespace" {
  description = "Namespace of the Kubernetes service account that assumes the role."
  type        = string
  default     = {{q .T.Namespace}}
}

variable "service_account" {
  description = "Name of the Kubernetes service account that assumes the role."
  type        = string
  default     = {{q .T.ServiceAccount}}
}
{{- end }}

variable "environment" {
  description = "Environment the role belongs to, set as a tag."
  type        = string
  default     = {{q .Environment}}
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
