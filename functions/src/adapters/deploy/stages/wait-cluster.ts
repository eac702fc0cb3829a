import { formatClusterId } from '../../../core/model/cluster-id.js';
import { emptyNetworkConfig } from '../../../core/config/specs.js';
import { addKubeObject, type ConfigSink } from '../../../core/config/kube.js';
import { buildContext } from '../../../core/check/context.js';
import { DEFAULT_STUCK_MINUTES, GkeOperationSchema, operationStateFromApi, type OperationState } from '../../../core/gke/operation.js';
import { operationObservation } from '../../../core/diagnosis/engine.js';
import { FindingAggregator, type Observation } from '../../../core/findings/finding.js';
import { clusterKey } from '../../../core/pipeline/registry.js';
import { eventId } from '../../../core/pipeline/fingerprint.js';
import { cnrmResourceNotReady } from '../../../core/rules/cnrm-resource-not-ready.js';
import { OPERATION_RULES } from '../../../core/rules/index.js';
import { runtimeConfig } from '../../config.js';
import { getCluster, listOperations } from '../../gcp/container.js';
import { kubeConfigFor, listConfigConnectorResources } from '../../gcp/kubernetes.js';
import { recordObservation } from '../../pipeline/recorder.js';
import { kubeflowCluster, managementCluster, summarizeFindings, type StageContext, type StageHandler } from '../stage-handler.js';

const GRPC_NOT_FOUND = 5;

/** Config Connector writes its resources' status within seconds of apply: none at all after this long means it is not watching them. */
const NO_RESOURCES_GRACE_MS = 5 * 60_000;

async function recordAll(observations: Observation[], context: StageContext): Promise<void> {
  const cluster = kubeflowCluster(context.inputs);
  const scope = { scope: clusterKey(cluster.project, cluster.location, cluster.name), ...cluster, cluster: cluster.name };
  for (const observation of observations) {
    await recordObservation({ scope, observation, eventId: eventId(undefined, `deployment/${context.deploymentId}/wait-cluster`, observation.key), eventKind: 'deployment', now: context.now }, context.logger);
  }
}

function failedWith(observations: Observation[], reason: string, cluster: string) {
  const aggregator = new FindingAggregator();
  for (const observation of observations) aggregator.add(observation);
  return { status: 'failed' as const, reason, findings: summarizeFindings(aggregator.findings(), cluster) };
}

/**
 * The blueprint's wait-gcp, made to fail with a diagnosis instead of hanging: the cluster and its
 * operations (one past its threshold fails the stage with `operation-stuck` and the describe
 * command), and every Config Connector resource labelled for this Kubeflow (one not Ready for too
 * long fails it with `cnrm-resource-not-ready`; a resource whose condition has no transition
 * time counts from the stage's start). Otherwise the workflow polls again.
 */
export const waitClusterStage: StageHandler = async (context) => {
  const { request, inputs, now, stageStartedAt } = context;
  const cluster = kubeflowCluster(inputs);
  const label = formatClusterId(cluster);
  const thresholds = { now, thresholds: DEFAULT_STUCK_MINUTES };
  const operations: OperationState[] = (await listOperations(cluster.project, cluster.location))
    .map((json) => GkeOperationSchema.safeParse(json))
    .flatMap((parsed) => (parsed.success ? [operationStateFromApi(parsed.data)] : []))
    .filter((operation) => operation.cluster === cluster.name);
  const operationProblems = operations.flatMap((operation) => OPERATION_RULES.filter((rule) => rule.matches(operation, thresholds)).map((rule) => operationObservation({ ...operation, project: cluster.project }, rule, thresholds)));
  if (operationProblems.length > 0) {
    await recordAll(operationProblems, context);
    return failedWith(operationProblems, operationProblems.map((observation) => observation.detail().explanation).join(' '), label);
  }
  const namespace = request.namespace ?? request.project;
  const sink: ConfigSink = { config: emptyNetworkConfig(), reject: () => undefined, kind: 'export' };
  for (const object of await listConfigConnectorResources(await kubeConfigFor(managementCluster(request)), namespace)) addKubeObject(object, `${namespace}/${String(object.kind)}`, sink);
  const ours = sink.config.cnrmStatuses.filter((status) => status.labels?.['kf-name'] === cluster.name);
  const notReady = ours.filter((status) => !status.ready);
  const { cnrmReadyMinutes } = runtimeConfig().deploy;
  const notReadySince = (since: string | undefined) => (since ? Date.parse(since) : stageStartedAt.getTime());
  const stale = notReady.filter((status) => now.getTime() - notReadySince(status.since) >= cnrmReadyMinutes * 60_000);
  if (stale.length > 0) {
    const observations = cnrmResourceNotReady.check(buildContext({ ...sink.config, cnrmStatuses: stale }, undefined));
    await recordAll(observations, context);
    return failedWith(observations, `${stale.length} Config Connector resource${stale.length === 1 ? '' : 's'} not Ready after ${cnrmReadyMinutes} minutes: ${stale.map((status) => `${status.kind}/${status.name} (${status.reason ?? 'no reason'})`).join(', ')}`, label);
  }
  let status = 'NOT_FOUND';
  try {
    status = String((await getCluster(cluster.project, cluster.location, cluster.name))['status'] ?? 'UNKNOWN');
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_NOT_FOUND) throw error;
  }
  if (status === 'ERROR' || status === 'DEGRADED') return { status: 'failed', reason: `cluster ${cluster.name} is ${status}` };
  if (status === 'RUNNING' && ours.length === 0 && now.getTime() - stageStartedAt.getTime() >= NO_RESOURCES_GRACE_MS) {
    return { status: 'failed', reason: `cluster ${cluster.name} is RUNNING but namespace ${namespace} of ${request.managementCluster.name} has no Config Connector resources labelled kf-name=${cluster.name}, though apply created them: is the request's namespace the one Config Connector manages for ${request.project}?` };
  }
  if (status === 'RUNNING' && notReady.length === 0 && ours.length > 0) return { status: 'succeeded', reason: `cluster ${cluster.name} is RUNNING and its ${ours.length} Config Connector resources are Ready` };
  return { status: 'waiting', reason: `cluster ${cluster.name} is ${status}; ${notReady.length} of ${ours.length} Config Connector resources not Ready yet` };
};
