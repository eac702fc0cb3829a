# The health sweep's clock. Cloud Scheduler's service agent publishes; the message body is not read.
resource "google_cloud_scheduler_job" "sweep" {
  project   = var.project_id
  region    = var.region
  name      = "kfguard-health-sweep"
  schedule  = var.sweep_schedule
  time_zone = "Etc/UTC"
  pubsub_target {
    topic_name = google_pubsub_topic.topics["sweepTicks"].id
    data       = base64encode(jsonencode({ source = "cloud-scheduler" }))
    attributes = { source = "cloud-scheduler" }
  }
  depends_on = [google_project_service.apis]
}
