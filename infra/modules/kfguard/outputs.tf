output "topics" {
  description = "Topic ids by the code's names (publish deployment requests to deploy_requests)."
  value       = { for key, topic in google_pubsub_topic.topics : key => topic.id }
}

output "functions" {
  description = "Function names by entry point."
  value       = { for key, fn in merge(google_cloudfunctions2_function.event, google_cloudfunctions2_function.http) : key => fn.name }
}

output "dashboard_url" {
  description = "The dashboard (IAM-protected). From a workstation: gcloud run services proxy <dashboard_service> --region=<region>, then open http://localhost:8080."
  value       = google_cloudfunctions2_function.http["dashboard"].service_config[0].uri
}

output "dashboard_service" {
  description = "The dashboard's Cloud Run service, for gcloud run services proxy."
  value       = google_cloudfunctions2_function.http["dashboard"].service_config[0].service
}

output "workflow" {
  description = "The deployment workflow."
  value       = google_workflows_workflow.deploy.id
}

output "service_accounts" {
  description = "Service account emails by identity."
  value       = { for key, account in google_service_account.identities : key => account.email }
}

output "secrets" {
  description = "Secrets to fill with `gcloud secrets versions add` (their values are never in Terraform)."
  value       = { for key, secret in google_secret_manager_secret.secrets : key => secret.id }
}

output "artifacts_bucket" {
  description = "Bucket holding each deployment's package and hydrated manifests."
  value       = google_storage_bucket.artifacts.name
}

output "sweep_job" {
  description = "Run a sweep now: gcloud scheduler jobs run <this> --location=<region>."
  value       = google_cloud_scheduler_job.sweep.name
}
