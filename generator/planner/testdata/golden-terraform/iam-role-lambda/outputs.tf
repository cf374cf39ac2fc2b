output "role_arn" {
  description = "ARN of the role, to assume or to annotate a service account with."
  value       = aws_iam_role.this.arn
}

output "policy_arn" {
  description = "ARN of the role's policy."
  value       = aws_iam_policy.this.arn
}
