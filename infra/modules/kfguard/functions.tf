locals {
  # One environment for every function: names and references only, never a secret's value.
  function_environment = {
    NODE_OPTIONS                  = "--enable-source-maps"
    KFGUARD_PROJECT               = var.project_id
    KFGUARD_REGION                = var.region
    KFGUARD_RESOLVE_AFTER_MINUTES = tostring(var.resolve_after_minutes)
    KFGUARD_CHAT_WEBHOOK_SECRET   = "${google_secret_manager_secret.secrets["chat_webhook"].id}/versions/latest"
    KFGUARD_SMTP_URL_SECRET       = "${google_secret_manager_secret.secrets["smtp_url"].id}/versions/latest"
    KFGUARD_EMAIL_FROM            = var.email_from
    KFGUARD_EMAIL_TO              = join(",", var.email_to)
    KFGUARD_WORKFLOW              = google_workflows_workflow.deploy.name
    KFGUARD_ARTIFACTS_BUCKET      = google_storage_bucket.artifacts.name
    KFGUARD_TOOLBOX_IMAGE         = local.toolbox_image
    KFGUARD_BUILD_SERVICE_ACCOUNT = google_service_account.identities["builds"].id
    KFGUARD_CNRM_READY_MINUTES    = tostring(var.cnrm_ready_minutes)
    KFGUARD_STAGE_SETTINGS        = jsonencode({ for stage, settings in var.stage_settings : stage => { for key, value in settings : key => value if value != null } })
    KFGUARD_KUBE_ENDPOINT         = var.kube_endpoint
  }
  # Notifications link to the dashboard only where a browser can open it: Cloud Run IAM answers a
  # plain browser visit with 403, so the link is the address people actually use (an IAP load
  # balancer, say), or none.
  dashboard_link = var.dashboard_url == null ? {} : { KFGUARD_DASHBOARD_URL = var.dashboard_url }
  # Functions that call cluster control planes.
  needs_cluster_network = ["healthSweep", "stageRunner"]
}

# One 2nd gen function per entry point, shaped by the code's EVENT_FUNCTIONS (names.tf.json):
# topic, instances, concurrency, timeout, memory. Every handler relies on redelivery for transient
# failures (it throws), hence RETRY_POLICY_RETRY; poison messages are acknowledged by the code.
resource "google_cloudfunctions2_function" "event" {
  for_each    = local.kfguard.event_functions
  project     = var.project_id
  location    = var.region
  name        = "kfguard-${local.function_ids[each.key]}"
  description = "kfguard ${each.key}"
  labels      = var.labels

  build_config {
    runtime           = "nodejs20"
    entry_point       = each.key
    service_account   = google_service_account.identities["functionBuilds"].id
    docker_repository = google_artifact_registry_repository.kfguard.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.bundles[each.key].name
      }
    }
  }

  service_config {
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    available_memory                 = each.value.memory
    timeout_seconds                  = each.value.timeout_seconds
    service_account_email            = google_service_account.identities[each.key].email
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    vpc_connector                    = contains(local.needs_cluster_network, each.key) ? var.vpc_connector : null
    vpc_connector_egress_settings    = contains(local.needs_cluster_network, each.key) && var.vpc_connector != null ? "PRIVATE_RANGES_ONLY" : null
    environment_variables = merge(local.function_environment, local.dashboard_link, {
      KFGUARD_HANDLER_DEADLINE_MS = tostring(each.value.handler_deadline_ms)
    })
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = local.topic_ids[each.value.topics[0]]
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.identities["events"].email
  }

  depends_on = [google_project_iam_member.roles]
}

# A function fed by more than one topic (stageRunner: stage requests and Cloud Build's status)
# gets an Eventarc trigger per extra topic, delivering the same CloudEvents.
locals {
  extra_triggers = merge([
    for name, spec in local.kfguard.event_functions : {
      for topic in slice(spec.topics, 1, length(spec.topics)) : "${name}/${topic}" => { function = name, topic = topic }
    }
  ]...)
}

resource "google_eventarc_trigger" "extra" {
  for_each        = local.extra_triggers
  project         = var.project_id
  location        = var.region
  name            = "kfguard-${local.function_ids[each.value.function]}-${each.value.topic}"
  service_account = google_service_account.identities["events"].email
  labels          = var.labels
  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }
  transport {
    pubsub {
      topic = local.topic_ids[each.value.topic]
    }
  }
  # Eventarc addresses a Cloud Run service by its name; the function reports the service as
  # projects/P/locations/R/services/NAME, so the last segment is what the trigger is given.
  destination {
    cloud_run_service {
      service = reverse(split("/", google_cloudfunctions2_function.event[each.value.function].service_config[0].service))[0]
      region  = var.region
    }
  }
}

# HTTP functions (the dashboard): served to the invokers in dashboard_viewers only, read-only
# Firestore access, no secret in their environment.
resource "google_cloudfunctions2_function" "http" {
  for_each    = local.kfguard.http_functions
  project     = var.project_id
  location    = var.region
  name        = "kfguard-${local.function_ids[each.key]}"
  description = "kfguard ${each.key} (read-only, behind IAM)"
  labels      = var.labels

  build_config {
    runtime           = "nodejs20"
    entry_point       = each.key
    service_account   = google_service_account.identities["functionBuilds"].id
    docker_repository = google_artifact_registry_repository.kfguard.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.bundles[each.key].name
      }
    }
  }

  # Reached through `gcloud run services proxy` or an identity-aware load balancer; IAM decides who.
  service_config {
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    available_memory                 = each.value.memory
    timeout_seconds                  = each.value.timeout_seconds
    service_account_email            = google_service_account.identities[each.key].email
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    environment_variables = {
      NODE_OPTIONS    = "--enable-source-maps"
      KFGUARD_PROJECT = var.project_id
    }
  }

  depends_on = [google_project_iam_member.roles]
}
