# {{.Summary}}.
# Written by aiden's built-in planner (gke-cluster blueprint).

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  labels = merge(var.labels, {
    "managed-by"  = "terraform"
    "environment" = var.environment
  })
}

resource "google_container_cluster" "this" {
  name     = var.cluster_name
  location = var.region
  # The cluster's own pool is removed; google_container_node_pool.this
  # holds the nodes, so they can change without replacing the cluster.
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = true

  network    = var.network
  subnetwork = var.subnetwork

  release_channel {
    channel = "REGULAR"
  }

  # Pods reach Google APIs as Kubernetes service accounts.
  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  # Nodes have private addresses only.
  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block
  }

  ip_allocation_policy {}

  resource_labels = local.labels
}

resource "google_service_account" "nodes" {
  account_id   = "${var.cluster_name}-nodes"
  display_name = "Nodes of ${var.cluster_name}"
}

resource "google_container_node_pool" "this" {
  name     = "${var.cluster_name}-default"
  cluster  = google_container_cluster.this.id
  location = var.region
  # Nodes per zone of the region.
  initial_node_count = var.min_nodes

  autoscaling {
    min_node_count = var.min_nodes
    max_node_count = var.max_nodes
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = var.machine_type
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = local.labels

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot = true
    }
  }
}
