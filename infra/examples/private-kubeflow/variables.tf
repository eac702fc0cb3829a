variable "project_id" {
  description = "Project kfguard runs in."
  type        = string
}

variable "region" {
  description = "Region for kfguard's functions, workflow and buckets."
  type        = string
  default     = "us-central1"
}

variable "watched_projects" {
  description = "Other projects with Kubeflow clusters to watch."
  type        = list(string)
  default     = []
}

variable "deploy_projects" {
  description = "Projects kfguard may deploy Kubeflow into (default: project_id)."
  type        = list(string)
  default     = []
}

variable "management_project" {
  description = "Project of the Config Connector management cluster (default: project_id)."
  type        = string
  default     = null
}

variable "email_from" {
  description = "Sender of notification emails."
  type        = string
}

variable "email_to" {
  description = "Who receives every notification email."
  type        = list(string)
}

variable "sweep_schedule" {
  description = "Cron schedule (UTC) of the health sweep."
  type        = string
  default     = "*/15 * * * *"
}

variable "vpc_connector" {
  description = "Serverless VPC Access connector for clusters whose control plane is reachable only from their VPC."
  type        = string
  default     = null
}

variable "kube_endpoint" {
  description = "public or private GKE control-plane endpoint."
  type        = string
  default     = "public"
}

variable "dashboard_viewers" {
  description = "Who may open the findings dashboard (IAM members, e.g. group:ml-platform@acme.example)."
  type        = list(string)
  default     = []
}

variable "dashboard_url" {
  description = "Where people open the dashboard (an IAP-protected load balancer in front of it, say); notifications link to it. Null: no link."
  type        = string
  default     = null
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

variable "workflow_deletion_protection" {
  description = "Refuse to delete the deployment workflow; turn it off and apply before destroying or replacing it."
  type        = bool
  default     = false
}

variable "stage_settings" {
  description = "Per-stage overrides of the workflow's timeout, poll and budget (seconds), e.g. { mirror = { timeout = 7200 } }."
  type        = map(object({ timeout = optional(number), poll = optional(number), budget = optional(number) }))
  default     = {}
}
