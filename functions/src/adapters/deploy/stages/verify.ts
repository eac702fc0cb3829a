import { clusterKey, storedModel, type RegisteredCluster } from '../../../core/pipeline/registry.js';
import { clusterModelFromGke, GkeClusterSchema } from '../../../core/model/cluster.js';
import { findingSummary } from '../../../core/pipeline/finding-record.js';
import { firestore } from '../../firestore/client.js';
import { FindingStore } from '../../firestore/findings.js';
import { ClusterRegistry } from '../../firestore/registry.js';
import { getCluster } from '../../gcp/container.js';
import { sweepAndRecord } from '../../pipeline/health-sweep.js';
import { kubeflowCluster, type StageHandler } from '../stage-handler.js';

/**
 * Registers the new cluster as GKE describes it (so the scheduled sweep and the log sink know it
 * from now on) and runs the health sweep on it: any open error finding fails the deployment.
 */
export const verifyStage: StageHandler = async ({ deploymentId, request, inputs, now, logger }) => {
  const cluster = kubeflowCluster(inputs);
  const key = clusterKey(cluster.project, cluster.location, cluster.name);
  const live = GkeClusterSchema.safeParse(await getCluster(cluster.project, cluster.location, cluster.name));
  if (!live.success) return { status: 'failed', reason: `GKE describes ${cluster.name} in a form kfguard cannot read: ${live.error.issues[0]?.message ?? ''}` };
  const registered: RegisteredCluster = {
    key,
    ...cluster,
    model: storedModel({ ...clusterModelFromGke(live.data), ...cluster }),
    management: { namespace: request.namespace ?? request.project, project: request.managementCluster.project ?? request.project, location: request.managementCluster.location, name: request.managementCluster.name },
    registeredAt: now.toISOString(),
  };
  await new ClusterRegistry(firestore(), 0).put(registered);
  const sweep = await sweepAndRecord(registered, `deployment-${deploymentId}-verify`, { now, logger });
  const errors = (await new FindingStore(firestore()).list({ status: 'open', scope: key })).filter((finding) => finding.severity === 'error');
  if (errors.length > 0) return { status: 'failed', reason: `the health sweep of ${cluster.name} found ${errors.length} open error finding${errors.length === 1 ? '' : 's'}: ${errors.map((finding) => finding.rule).join(', ')}`, findings: errors.slice(0, 20).map(findingSummary) };
  return { status: 'succeeded', reason: `${cluster.name} is registered and healthy (${sweep.open} open findings, none an error)${sweep.errors.length > 0 ? `; could not read: ${sweep.errors.join('; ')}` : ''}` };
};
