/** The guide's filter for blocked traffic; the sweep adds a time bound to it. */
export const DENIED_FIREWALL_FILTER = 'logName:"compute.googleapis.com%2Ffirewall" AND jsonPayload.disposition="DENIED"';

/** ClusterManager admin-activity entries: CREATE_CLUSTER, UPGRADE_MASTER... with operation.first/last. */
export const GKE_OPERATION_FILTER = 'logName:"cloudaudit.googleapis.com%2Factivity" AND protoPayload.serviceName="container.googleapis.com"';

/** API server errors when an admission webhook cannot be called. */
export const WEBHOOK_FAILURE_FILTER = '(resource.type="k8s_cluster" OR resource.type="k8s_control_plane_component") AND "failed calling webhook"';

/**
 * The Cloud Logging sink's filter: one constant, used by Terraform (google_logging_project_sink),
 * by the health sweep's backstop query and by the tests.
 */
export const LOG_SINK_FILTER = `(${DENIED_FIREWALL_FILTER}) OR (${GKE_OPERATION_FILTER}) OR (${WEBHOOK_FAILURE_FILTER})`;
