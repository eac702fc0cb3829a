# Every topic the code publishes to or is triggered by. `cloud-builds` is the topic Cloud Build
# publishes build status to when it exists in the project.
resource "google_pubsub_topic" "topics" {
  for_each   = local.kfguard.topics
  project    = var.project_id
  name       = each.value
  labels     = var.labels
  depends_on = [google_project_service.apis]
}

# Messages a function could not handle after max_delivery_attempts land here, kept a week for
# inspection and replay (`gcloud pubsub subscriptions pull kfguard-dead-letter`).
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = local.kfguard.topics.deadLetter
  topic                      = google_pubsub_topic.topics["deadLetter"].id
  message_retention_duration = "604800s"
  retain_acked_messages      = false
  ack_deadline_seconds       = 60
  labels                     = var.labels
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.topics["deadLetter"].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}
