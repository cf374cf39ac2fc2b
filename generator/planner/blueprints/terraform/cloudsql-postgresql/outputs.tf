output "connection_name" {
  description = "project:region:instance, for the Cloud SQL Auth Proxy and connectors."
  value       = google_sql_database_instance.this.connection_name
}

output "private_ip_address" {
  description = "Private address of the instance."
  value       = google_sql_database_instance.this.private_ip_address
}
