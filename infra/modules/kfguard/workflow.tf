resource "google_workflows_workflow" "deploy" {
  project         = var.project_id
  region          = var.region
  name            = local.kfguard.workflow
  description     = "kfguard: deploy Kubeflow on private GKE, stage by stage"
  service_account = google_service_account.identities["workflow"].id
  source_contents = file(local.workflow_source)
  call_log_level  = "LOG_ERRORS_ONLY"
  labels          = var.labels

  deletion_protection = var.workflow_deletion_protection
  depends_on          = [google_project_service.apis]
}
