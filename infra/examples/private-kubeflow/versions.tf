terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14, < 8.0"
    }
  }
  # Keep state in a bucket your team shares, e.g.:
  # backend "gcs" {
  #   bucket = "acme-terraform-state"
  #   prefix = "kfguard"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
