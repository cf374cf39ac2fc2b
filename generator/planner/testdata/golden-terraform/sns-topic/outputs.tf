output "topic_arn" {
  description = "ARN of the topic, for publishers and subscriptions."
  value       = aws_sns_topic.this.arn
}
