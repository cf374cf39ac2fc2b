output "cluster_name" {
  description = "Name of the cluster."
  value       = google_container_cluster.this.name
}

output "endpoint" {
  description = "Address of the Kubernetes API server."
  value       = google_container_cluster.this.endpoint
}

output "node_service_account" {
  description = "Service account of the nodes."
  value       = google_service_account.nodes.email
}
