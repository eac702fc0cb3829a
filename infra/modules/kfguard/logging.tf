# One sink per watched project, all into the log-events topic, with the code's filter: DENIED
# firewall entries, GKE operation audit entries and "failed calling webhook" errors.
resource "google_logging_project_sink" "events" {
  for_each               = toset(local.watched_projects)
  project                = each.value
  name                   = "kfguard-log-events"
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.topics["logEvents"].id}"
  filter                 = local.kfguard.log_sink_filter
  unique_writer_identity = true
  description            = "kfguard: DENIED firewall logs, GKE operations and webhook failures"
}

resource "google_pubsub_topic_iam_member" "sink_writer" {
  for_each = google_logging_project_sink.events
  project  = var.project_id
  topic    = google_pubsub_topic.topics["logEvents"].name
  role     = "roles/pubsub.publisher"
  member   = each.value.writer_identity
}
