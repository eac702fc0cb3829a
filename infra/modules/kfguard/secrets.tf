# The secrets are declared here; their values never are. Add them out of band, e.g.
#   printf %s "$WEBHOOK_URL" | gcloud secrets versions add kfguard-chat-webhook --data-file=-
# so they stay out of Terraform state. The functions read them at run time.
resource "google_secret_manager_secret" "secrets" {
  for_each = {
    chat_webhook      = "kfguard-chat-webhook"
    smtp_url          = "kfguard-smtp-url"
    iap_client_secret = "kfguard-iap-client-secret"
  }
  project   = var.project_id
  secret_id = each.value
  labels    = var.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}
