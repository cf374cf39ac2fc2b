variable "region" {
  description = "AWS region of the queue."
  type        = string
  default     = {{q .T.Region}}
}

variable "queue_name" {
  description = "Name of the queue; the dead-letter queue is <name>-dlq."
  type        = string
  default     = {{q .T.Name}}

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,70}$", var.queue_name))
    error_message = "Queue names are 1 to 70 letters, digits, hyphens and underscores (the -dlq and .fifo suffixes take the rest)."
  }
}

variable "fifo" {
  description = "A FIFO queue: exactly-once processing, in order."
  type        = bool
  default     = {{.T.FIFO}}
}

variable "max_receive_count" {
  description = "Receives of a message before it moves to the dead-letter queue."
  type        = number
  default     = {{.T.MaxReceiveCount}}
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other consumers; longer than the slowest processing."
  type        = number
  default     = 30
}

variable "message_retention_seconds" {
  description = "How long the queue keeps a message (4 days)."
  type        = number
  default     = 345600
}

variable "environment" {
  description = "Environment the queue belongs to, set as a tag."
  type        = string
  default     = {{q .Environment}}
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
