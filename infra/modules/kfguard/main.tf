data "google_project" "this" {
  project_id = var.project_id
}

locals {
  repository_root    = "${path.module}/../../.."
  bundles_dir        = coalesce(var.bundles_dir, "${local.repository_root}/build/functions")
  workflow_source    = coalesce(var.workflow_source, "${local.repository_root}/workflows/deploy-kubeflow.yaml")
  indexes_file       = coalesce(var.firestore_indexes_file, "${local.repository_root}/firestore.indexes.json")
  rules_file         = coalesce(var.firestore_rules_file, "${local.repository_root}/firestore.rules")
  management_project = coalesce(var.management_project, var.project_id)
  watched_projects   = distinct(concat([var.project_id], var.watched_projects))
  deploy_projects    = length(var.deploy_projects) > 0 ? var.deploy_projects : [var.project_id]
  toolbox_image      = coalesce(var.toolbox_image, "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.kfguard.repository_id}/toolbox:latest")
  pubsub_agent       = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  # Topic resource ids by topic name (the code's names, from names.tf.json).
  topic_ids = { for topic in google_pubsub_topic.topics : topic.name => topic.id }
}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "dns.googleapis.com",
    "eventarc.googleapis.com",
    "firebaserules.googleapis.com",
    "firestore.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "workflows.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
