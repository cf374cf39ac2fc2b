variable "region" {
  description = "AWS region of the topic."
  type        = string
  default     = "us-east-1"
}

variable "topic_name" {
  description = "Name of the topic."
  type        = string
  default     = "alerts"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,251}$", var.topic_name))
    error_message = "Topic names are 1 to 251 letters, digits, hyphens and underscores."
  }
}

variable "fifo" {
  description = "A FIFO topic: ordered, deduplicated delivery to FIFO queues."
  type        = bool
  default     = false
}

variable "kms_key_id" {
  description = "KMS key (ID, ARN or alias) that encrypts messages at rest."
  type        = string
  default     = "alias/aws/sns"
}

variable "email_subscribers" {
  description = "Email addresses subscribed to the topic; each must confirm."
  type        = list(string)
  default     = ["ops@example.com"]
}

variable "environment" {
  description = "Environment the topic belongs to, set as a tag."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
