# kfguard for one platform team: it watches the Kubeflow clusters of the given projects and
# deploys new ones through the management cluster. Run `npm ci && npm run build` first: the
# functions are deployed from build/functions/*.zip.
module "kfguard" {
  source = "../../modules/kfguard"

  project_id         = var.project_id
  region             = var.region
  watched_projects   = var.watched_projects
  deploy_projects    = var.deploy_projects
  management_project = var.management_project
  email_from         = var.email_from
  email_to           = var.email_to
  sweep_schedule     = var.sweep_schedule
  vpc_connector      = var.vpc_connector
  kube_endpoint      = var.kube_endpoint
  dashboard_viewers  = var.dashboard_viewers
  dashboard_url      = var.dashboard_url

  resolve_after_minutes = var.resolve_after_minutes
  cnrm_ready_minutes    = var.cnrm_ready_minutes
  stage_settings        = var.stage_settings

  workflow_deletion_protection = var.workflow_deletion_protection
}
