output "deploy_requests_topic" {
  description = "Publish a DeploymentRequest here (or use kfguard deploy)."
  value       = module.kfguard.topics["deployRequests"]
}

output "secrets_to_fill" {
  description = "Add a version to each: gcloud secrets versions add NAME --data-file=-"
  value       = module.kfguard.secrets
}

output "sweep_job" {
  description = "gcloud scheduler jobs run <this> --location=<region> runs a sweep now."
  value       = module.kfguard.sweep_job
}

output "service_accounts" {
  description = "kfguard's identities, for reviewing their grants."
  value       = module.kfguard.service_accounts
}

output "dashboard" {
  description = "Open the dashboard: gcloud run services proxy <service> --project=<project_id> --region=<region>, then http://localhost:8080."
  value       = { url = module.kfguard.dashboard_url, service = module.kfguard.dashboard_service }
}
