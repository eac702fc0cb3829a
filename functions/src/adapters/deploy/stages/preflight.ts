import { formatClusterId } from '../../../core/model/cluster-id.js';
import { CONTAINER_CLUSTER_CRD, ipAllocationGaps, ipAllocationPatch } from '../../../core/deploy/crd.js';
import { getCluster } from '../../gcp/container.js';
import { kubeConfigFor, patchCustomResourceDefinition, readCustomResourceDefinition } from '../../gcp/kubernetes.js';
import { managementCluster, type StageHandler } from '../stage-handler.js';

const GRPC_NOT_FOUND = 5;

/**
 * The management cluster exists and is RUNNING, and Config Connector's ContainerCluster CRD has
 * the ipAllocationPolicy fields a private cluster needs; they are patched in when missing and the
 * request allows it (kubeflow/gcp-blueprints#32).
 */
export const preflightStage: StageHandler = async ({ request, logger }) => {
  const management = managementCluster(request);
  let status: string;
  try {
    status = String((await getCluster(management.project, management.location, management.name))['status'] ?? 'UNKNOWN');
  } catch (error) {
    if ((error as { code?: number }).code === GRPC_NOT_FOUND) return { status: 'failed', reason: `management cluster ${formatClusterId(management)} not found` };
    throw error;
  }
  if (status === 'PROVISIONING' || status === 'RECONCILING') return { status: 'waiting', reason: `management cluster ${management.name} is ${status}` };
  if (status !== 'RUNNING') return { status: 'failed', reason: `management cluster ${management.name} is ${status}, not RUNNING` };
  const kube = await kubeConfigFor(management);
  const crd = await readCustomResourceDefinition(kube, CONTAINER_CLUSTER_CRD);
  if (!crd) return { status: 'failed', reason: `Config Connector is not installed on ${management.name}: no ${CONTAINER_CLUSTER_CRD} CRD` };
  const gaps = ipAllocationGaps(crd);
  if (gaps.length === 0) return { status: 'succeeded', reason: `${management.name} is RUNNING and its ContainerCluster CRD has the ipAllocationPolicy fields` };
  const missing = [...new Set(gaps.flatMap((gap) => gap.fields))];
  if (!request.patchContainerClusterCrd) {
    return {
      status: 'failed',
      reason: `The ContainerCluster CRD on ${management.name} lacks ipAllocationPolicy.${missing.join(', ')} (kubeflow/gcp-blueprints#32): upgrade Config Connector, or set patchContainerClusterCrd: true to let kfguard add them.`,
    };
  }
  await patchCustomResourceDefinition(kube, CONTAINER_CLUSTER_CRD, ipAllocationPatch(gaps));
  logger.info('patched the ContainerCluster CRD (kubeflow/gcp-blueprints#32)', { fields: missing, versions: gaps.map((gap) => gap.version) });
  return { status: 'succeeded', reason: `added ipAllocationPolicy.${missing.join(', ')} to ${CONTAINER_CLUSTER_CRD} (${gaps.map((gap) => gap.version).join(', ')})`, outputs: { patchedFields: missing.join(',') } };
};
