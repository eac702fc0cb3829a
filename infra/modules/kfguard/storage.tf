# Function sources, uploaded from `npm run build`. The object name carries the zip's hash, so a
# changed bundle redeploys its function and an unchanged one does not.
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-kfguard-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "bundles" {
  for_each = merge(local.kfguard.event_functions, local.kfguard.http_functions)
  name     = "${each.key}-${filemd5("${local.bundles_dir}/${each.key}.zip")}.zip"
  bucket   = google_storage_bucket.sources.name
  source   = "${local.bundles_dir}/${each.key}.zip"
}

# The blueprint package and hydrated manifests of each deployment, between build stages.
resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.project_id}-kfguard-artifacts"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }
}

# The toolbox image the build stages run, and the images mirrored for private nodes.
resource "google_artifact_registry_repository" "kfguard" {
  project       = var.project_id
  location      = var.region
  repository_id = "kfguard"
  format        = "DOCKER"
  description   = "kfguard toolbox and Kubeflow images mirrored for private GKE nodes"
  labels        = var.labels
  depends_on    = [google_project_service.apis]
}
