variable "project_id" {
  description = "The project kfguard runs in: its functions, topics, Firestore database, workflow and builds."
  type        = string
}

variable "region" {
  description = "Region of the functions, the workflow, the scheduler job and the buckets."
  type        = string
  default     = "us-central1"
}

variable "watched_projects" {
  description = "Projects whose private GKE clusters kfguard watches (a log sink in each, read-only roles for the sweep). The kfguard project is always watched."
  type        = list(string)
  default     = []
}

variable "deploy_projects" {
  description = "Projects kfguard may deploy Kubeflow into (roles for the stage runner and the build service account). Empty: the kfguard project."
  type        = list(string)
  default     = []
}

variable "management_project" {
  description = "Project of the Config Connector management cluster. Null: the kfguard project."
  type        = string
  default     = null
}

variable "create_firestore_database" {
  description = "Create the (default) Firestore database. Set false when the project already has one in Native mode."
  type        = bool
  default     = true
}

variable "firestore_location" {
  description = "Firestore location (a multi-region such as nam5, or a region)."
  type        = string
  default     = "nam5"
}

variable "email_from" {
  description = "Sender of notification emails."
  type        = string
  default     = "kfguard <kfguard@example.com>"
}

variable "email_to" {
  description = "Recipients of every notification email (deployments add their own)."
  type        = list(string)
  default     = []
}

variable "sweep_schedule" {
  description = "Cron schedule (UTC) of the health sweep."
  type        = string
  default     = "*/15 * * * *"
}

variable "resolve_after_minutes" {
  description = "An open finding not observed again for this long is resolved by the sweep."
  type        = number
  default     = 60
}

variable "cnrm_ready_minutes" {
  description = "A Config Connector resource not Ready for this long fails the wait-cluster stage."
  type        = number
  default     = 20
}

variable "stage_settings" {
  description = "Per-stage overrides of the workflow's timeout, poll and budget (seconds), e.g. { mirror = { timeout = 7200 } }."
  type        = map(object({ timeout = optional(number), poll = optional(number), budget = optional(number) }))
  default     = {}
}

variable "toolbox_image" {
  description = "Image the build stages run (kpt, kustomize, make, yq, kubectl, gcloud and the kfguard CLI; infra/toolbox). Null: toolbox:latest in the kfguard Artifact Registry repository."
  type        = string
  default     = null
}

variable "vpc_connector" {
  description = "Serverless VPC Access connector for the sweep and the stage runner, when clusters accept control-plane calls only from their VPC (then set kube_endpoint to private)."
  type        = string
  default     = null
}

variable "kube_endpoint" {
  description = "Which GKE control-plane endpoint the functions call: public or private."
  type        = string
  default     = "public"
  validation {
    condition     = contains(["public", "private"], var.kube_endpoint)
    error_message = "kube_endpoint is public or private."
  }
}

variable "configure_dead_letter" {
  description = "Attach the dead-letter topic to the Eventarc subscriptions with gcloud (the provider cannot: hashicorp/terraform-provider-google#25069). Needs gcloud where terraform runs."
  type        = bool
  default     = true
}

variable "dashboard_viewers" {
  description = "IAM members allowed to open the dashboard, e.g. [\"group:ml-platform@example.com\"]. Empty: nobody until you grant roles/run.invoker."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for member in var.dashboard_viewers : !contains(["allUsers", "allAuthenticatedUsers"], member)])
    error_message = "The dashboard shows your network's findings: grant it to people or groups, not allUsers or allAuthenticatedUsers."
  }
}

variable "dashboard_url" {
  description = "The address people open the dashboard at (for example an IAP-protected load balancer in front of it), linked from every notification. Null: notifications carry no link, since the function's own URL answers a plain browser visit with 403."
  type        = string
  default     = null
}

variable "bundles_dir" {
  description = "Where `npm run build` wrote the function zips."
  type        = string
  default     = null
}

variable "workflow_source" {
  description = "The Workflows definition."
  type        = string
  default     = null
}

variable "firestore_indexes_file" {
  description = "firestore.indexes.json: composite indexes, TTL policies and index exemptions."
  type        = string
  default     = null
}

variable "firestore_rules_file" {
  description = "firestore.rules: denies every client SDK (kfguard uses only server SDKs)."
  type        = string
  default     = null
}

variable "workflow_deletion_protection" {
  description = "Refuse to delete the deployment workflow (the provider's deletion_protection, which defaults to true). Off by default: the workflow holds no state, an execution's record outlives a redeploy, and with protection on `terraform destroy` and any change that replaces the workflow fail until it is turned off and applied."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels on every resource that takes them."
  type        = map(string)
  default     = { app = "kfguard" }
}
