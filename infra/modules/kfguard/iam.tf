# One service account per function, one for the workflow, one the build stages run as, one
# Eventarc uses to invoke the functions, and one the functions' own builds run as. Each gets only
# what its code calls; no basic roles.
locals {
  function_ids = { for name in concat(keys(local.kfguard.event_functions), keys(local.kfguard.http_functions)) : name => lower(replace(name, "/([A-Z])/", "-$1")) }
  identities = merge(
    { for name, id in local.function_ids : name => { id = "kfguard-${id}", description = "kfguard ${name} function" } },
    # Cloud Functions builds run as functionBuilds rather than the default compute account (often an Editor).
    {
      workflow       = { id = "kfguard-workflow", description = "kfguard deployment workflow" }
      builds         = { id = "kfguard-builds", description = "kfguard deployment build stages (kpt, make apply)" }
      events         = { id = "kfguard-events", description = "Eventarc: delivers Pub/Sub messages to the kfguard functions" }
      functionBuilds = { id = "kfguard-function-builds", description = "Builds the kfguard functions' containers" }
    },
  )
  crd_patcher_role = "kfguardCrdPatcher"
  member           = { for key, account in google_service_account.identities : key => "serviceAccount:${account.email}" }

  # What the sweep reads in a watched project, and the stage runner (wait-cluster, verify) in a deploy project.
  watch_roles = ["roles/container.viewer", "roles/compute.networkViewer", "roles/dns.reader", "roles/logging.viewer"]

  project_roles = concat(
    [for name in keys(local.kfguard.event_functions) : { project = var.project_id, role = "roles/datastore.user", who = name }],
    # The dashboard only reads.
    [for name in keys(local.kfguard.http_functions) : { project = var.project_id, role = "roles/datastore.viewer", who = name }],
    [for pair in setproduct(local.watched_projects, local.watch_roles) : { project = pair[0], role = pair[1], who = "healthSweep" }],
    [for pair in setproduct(local.deploy_projects, local.watch_roles) : { project = pair[0], role = pair[1], who = "stageRunner" }],
    [
      # preflight: the management cluster, and the #32 ContainerCluster CRD patch.
      { project = local.management_project, role = "roles/container.viewer", who = "stageRunner" },
      { project = local.management_project, role = "projects/${local.management_project}/roles/${local.crd_patcher_role}", who = "stageRunner" },
      { project = var.project_id, role = "roles/workflows.invoker", who = "deployTrigger" },
      # A start taken over after a crash first looks for the execution by its deployment label.
      { project = var.project_id, role = "roles/workflows.viewer", who = "deployTrigger" },
      # workflows.callbacks.send, to report a stage's result.
      { project = var.project_id, role = "roles/workflows.invoker", who = "stageRunner" },
      { project = var.project_id, role = "roles/cloudbuild.builds.editor", who = "stageRunner" },
      { project = var.project_id, role = "roles/logging.logWriter", who = "workflow" },
      { project = var.project_id, role = "roles/logging.logWriter", who = "builds" },
      { project = var.project_id, role = "roles/logging.logWriter", who = "functionBuilds" },
      # Function builds read their source from Cloud Functions' own gcf-v2-sources bucket, which
      # the module does not manage; Google's guide gives a custom build account Storage Object Admin.
      { project = var.project_id, role = "roles/storage.objectAdmin", who = "functionBuilds" },
      # The sweep reads Config Connector status on the management cluster.
      { project = local.management_project, role = "roles/container.viewer", who = "healthSweep" },
      # mirror submits the blueprint's own image-copy build.
      { project = var.project_id, role = "roles/cloudbuild.builds.editor", who = "builds" },
      # apply: Config Connector resources into the management cluster's namespace.
      { project = local.management_project, role = "roles/container.developer", who = "builds" },
    ],
    # endpoint: Kubeflow into the new cluster and the IAP cloud endpoint (#36).
    # mirror: the blueprint's image-copy build runs in the Kubeflow project.
    [for pair in setproduct(local.deploy_projects, ["roles/container.developer", "roles/servicemanagement.admin", "roles/cloudbuild.builds.editor"]) : { project = pair[0], role = pair[1], who = "builds" }],
  )
}

resource "google_service_account" "identities" {
  for_each     = local.identities
  project      = var.project_id
  account_id   = each.value.id
  display_name = each.value.description
}

resource "google_project_iam_custom_role" "crd_patcher" {
  project     = local.management_project
  role_id     = local.crd_patcher_role
  title       = "kfguard ContainerCluster CRD patcher"
  description = "Adds the ipAllocationPolicy fields Config Connector's ContainerCluster CRD lacks (kubeflow/gcp-blueprints#32)."
  permissions = ["container.customResourceDefinitions.get", "container.customResourceDefinitions.update"]
}

resource "google_project_iam_member" "roles" {
  # distinct: the same grant can arise twice (the management project is often also watched or deployed to).
  for_each = { for binding in distinct(local.project_roles) : "${binding.project}/${binding.role}/${binding.who}" => binding }
  project  = each.value.project
  role     = each.value.role
  member   = local.member[each.value.who]
  # The custom role is named, not referenced, so the bindings' keys are known at plan time.
  depends_on = [google_project_iam_custom_role.crd_patcher]
}

resource "google_pubsub_topic_iam_member" "publishers" {
  for_each = {
    "notifications/logSink"     = { topic = "notifications", who = "logSink" }
    "notifications/healthSweep" = { topic = "notifications", who = "healthSweep" }
    "notifications/stageRunner" = { topic = "notifications", who = "stageRunner" }
    "notifications/workflow"    = { topic = "notifications", who = "workflow" }
    "stageRequests/workflow"    = { topic = "stageRequests", who = "workflow" }
  }
  project = var.project_id
  topic   = google_pubsub_topic.topics[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = local.member[each.value.who]
}

resource "google_secret_manager_secret_iam_member" "accessors" {
  for_each = {
    "chat_webhook/notifier"    = { secret = "chat_webhook", who = "notifier" }
    "smtp_url/notifier"        = { secret = "smtp_url", who = "notifier" }
    "iap_client_secret/builds" = { secret = "iap_client_secret", who = "builds" }
  }
  project   = var.project_id
  secret_id = google_secret_manager_secret.secrets[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.member[each.value.who]
}

resource "google_storage_bucket_iam_member" "artifacts" {
  for_each = {
    builds      = "roles/storage.objectAdmin"
    stageRunner = "roles/storage.objectViewer"
  }
  bucket = google_storage_bucket.artifacts.name
  role   = each.value
  member = local.member[each.key]
}

resource "google_artifact_registry_repository_iam_member" "writers" {
  for_each   = toset(["builds", "functionBuilds"])
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.kfguard.name
  role       = "roles/artifactregistry.writer"
  member     = local.member[each.value]
}

# The stage runner creates builds that run as the builds account.
resource "google_service_account_iam_member" "stage_runner_acts_as_builds" {
  service_account_id = google_service_account.identities["builds"].name
  role               = "roles/iam.serviceAccountUser"
  member             = local.member["stageRunner"]
}

# Pub/Sub signs the push requests Eventarc makes with the events account's OIDC token.
resource "google_service_account_iam_member" "pubsub_signs_for_events" {
  service_account_id = google_service_account.identities["events"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_cloud_run_service_iam_member" "events_invoke" {
  for_each = google_cloudfunctions2_function.event
  project  = var.project_id
  location = var.region
  service  = each.value.service_config[0].service
  role     = "roles/run.invoker"
  member   = local.member["events"]
}

# The dashboard is reachable only by the people and groups named here (Cloud Run IAM; no allUsers).
resource "google_cloud_run_service_iam_member" "dashboard_viewers" {
  for_each = toset(var.dashboard_viewers)
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.http["dashboard"].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}
