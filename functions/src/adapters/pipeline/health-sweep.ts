import { collectCheckObservations } from '../../core/check/run.js';
import { addExportValue } from '../../core/config/gcloud.js';
import { addKubeObject, type ConfigSink } from '../../core/config/kube.js';
import { fillRangesFromSubnetwork, finalizeConfig } from '../../core/config/finalize.js';
import { emptyNetworkConfig, type NetworkConfig } from '../../core/config/specs.js';
import { operationObservation } from '../../core/diagnosis/engine.js';
import type { Observation } from '../../core/findings/finding.js';
import { DEFAULT_STUCK_MINUTES, GkeOperationSchema, operationStateFromApi, type OperationState } from '../../core/gke/operation.js';
import { clusterModelFromGke, GkeClusterSchema, refreshedModel, type ClusterModel } from '../../core/model/cluster.js';
import { eventId, shortHash } from '../../core/pipeline/fingerprint.js';
import type { FindingScope } from '../../core/pipeline/finding-record.js';
import { modelFromStored, storedModel, type RegisteredCluster } from '../../core/pipeline/registry.js';
import { regionOf } from '../../core/check/network.js';
import { OPERATION_RULES } from '../../core/rules/index.js';
import { runtimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { FindingStore } from '../firestore/findings.js';
import { OperationStore } from '../firestore/operations.js';
import { ClusterRegistry } from '../firestore/registry.js';
import { getCluster, listOperations } from '../gcp/container.js';
import { kubeConfigFor, listConfigConnectorResources, listWebhookObjects } from '../gcp/kubernetes.js';
import { deniedEntriesSince } from '../gcp/logging.js';
import { diagnoseWithRegistry, sampleOf } from './log-sink.js';
import { readLiveNetwork } from '../gcp/network.js';
import type { PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';
import { publishNotification, recordObservation } from './recorder.js';

/** The backstop reads at most this many DENIED entries per cluster and sweep. */
const BACKSTOP_LIMIT = 5000;
/** The first sweep of a cluster looks this far back for DENIED entries. */
const FIRST_LOOKBACK_MS = 60 * 60_000;

interface SweepResult {
  observations: { observation: Observation; eventId: string; kind: string }[];
  model: ClusterModel;
  /** Sources that could not be read this time. */
  errors: string[];
  notes: string[];
}

/** Runs one source of evidence; a failing source is a note on this sweep, not the end of it. */
async function attempt<T>(what: string, notes: string[], work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    notes.push(`${what}: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function targetsCluster(operation: OperationState, cluster: RegisteredCluster): boolean {
  return operation.cluster === undefined || operation.cluster === cluster.name;
}

async function liveModel(cluster: RegisteredCluster, registered: ClusterModel, notes: string[]): Promise<ClusterModel> {
  const json = await attempt('GKE API', notes, () => getCluster(cluster.project, cluster.location, cluster.name));
  const parsed = json ? GkeClusterSchema.safeParse(json) : undefined;
  if (!parsed?.success) return registered;
  const live = clusterModelFromGke(parsed.data);
  live.project = cluster.project;
  return refreshedModel(registered, live);
}

async function operationObservations(cluster: RegisteredCluster, now: Date, tick: string, notes: string[]): Promise<SweepResult['observations']> {
  const store = new OperationStore(firestore());
  const fromApi = (await attempt('GKE operations', notes, () => listOperations(cluster.project, cluster.location))) ?? [];
  const operations = new Map<string, OperationState>();
  for (const json of fromApi) {
    const parsed = GkeOperationSchema.safeParse(json);
    if (!parsed.success) continue;
    const state = operationStateFromApi(parsed.data);
    if (targetsCluster(state, cluster)) operations.set(state.name, await store.merge({ ...state, project: cluster.project }, now));
  }
  for (const known of await store.notDone()) if (known.project === cluster.project && targetsCluster(known, cluster) && !operations.has(known.name)) operations.set(known.name, known);
  const context = { now, thresholds: DEFAULT_STUCK_MINUTES };
  return [...operations.values()].flatMap((operation) =>
    OPERATION_RULES.filter((rule) => rule.matches(operation, context)).map((rule) => {
      const observation = operationObservation(operation, rule, context);
      return { observation, eventId: eventId(undefined, `sweep/${tick}`, observation.key), kind: 'sweep' };
    }),
  );
}

/** Live firewall rules, routes, routers, DNS, Config Connector status and webhooks, as `kfguard check` reads exports. */
async function liveConfig(cluster: RegisteredCluster, model: ClusterModel, notes: string[]): Promise<NetworkConfig> {
  const sink: ConfigSink = { config: emptyNetworkConfig(), reject: (source, reason) => notes.push(`${source}: ${reason}`), kind: 'export' };
  const network = await attempt('Compute and DNS APIs', notes, () => readLiveNetwork(cluster.project, regionOf(model.location ?? cluster.location) ?? cluster.location));
  if (network) for (const [name, items] of Object.entries(network) as [string, Record<string, unknown>[]][]) items.forEach((item, index) => addExportValue(item, `${name}[${index}]`, sink));
  const management = cluster.management;
  if (management) {
    const target = { project: management.project ?? cluster.project, location: management.location ?? cluster.location, name: management.name ?? cluster.name };
    const cnrm = await attempt('Config Connector', notes, async () => listConfigConnectorResources(await kubeConfigFor(target), management.namespace));
    cnrm?.forEach((object, index) => addKubeObject(object, `${management.namespace}/${object.kind}[${index}]`, sink));
  }
  const webhooks = await attempt('Kubernetes API', notes, async () => listWebhookObjects(await kubeConfigFor(cluster)));
  webhooks?.forEach((object, index) => addKubeObject(object, `webhooks[${index}]`, sink));
  return finalizeConfig(sink.config);
}

async function sweepCluster(cluster: RegisteredCluster, tick: string, context: HandlerContext): Promise<SweepResult> {
  const notes: string[] = [];
  const model = await liveModel(cluster, modelFromStored(cluster.model), notes);
  const config = await liveConfig(cluster, model, notes);
  // GKE's view has no node range: the live subnetwork's primary range is it.
  fillRangesFromSubnetwork({ model, podRangeName: undefined, serviceRangeName: undefined }, config);
  const checks = collectCheckObservations(config, { clusters: [model] });
  const observations = [
    ...(await operationObservations(cluster, context.now, tick, notes)),
    ...checks.observations.map((observation) => ({ observation, eventId: eventId(undefined, `sweep/${tick}`, observation.key), kind: 'sweep' })),
  ];
  return { observations, model, errors: notes, notes: checks.notes };
}

/** Sweeps one cluster and records what it found; the registry keeps the refreshed model and the sweep's outcome. */
export async function sweepAndRecord(cluster: RegisteredCluster, tick: string, context: HandlerContext): Promise<{ open: number; errors: string[] }> {
  const logger = context.logger.child({ cluster: cluster.key });
  const result = await sweepCluster(cluster, tick, { ...context, logger });
  const scope: FindingScope = { scope: cluster.key, project: cluster.project, location: cluster.location, cluster: cluster.name };
  for (const { observation, eventId: id, kind } of result.observations) {
    await recordObservation({ scope, observation, eventId: id, eventKind: kind, sample: { time: observation.time ?? null, source: `sweep ${shortHash(tick)}` }, now: context.now }, logger);
  }
  const open = (await new FindingStore(firestore()).list({ status: 'open', scope: cluster.key })).length;
  await new ClusterRegistry(firestore(), 0).update(cluster.key, {
    model: storedModel(result.model),
    lastSweep: { at: context.now.toISOString(), status: result.errors.length > 0 ? 'error' : 'ok', openFindings: open, ...(result.errors.length > 0 ? { error: result.errors.join('; ').slice(0, 2000) } : {}) },
  });
  logger.log(result.errors.length > 0 ? 'WARNING' : 'INFO', `swept ${cluster.name}`, { observations: result.observations.length, open, errors: result.errors, notes: result.notes });
  return { open, errors: result.errors };
}

/**
 * The scheduled sweep: for each registered cluster, GKE's view (status, operations), the live
 * network against the flows a private cluster needs, Config Connector readiness, and the DENIED
 * entries the sink may have missed; then findings not seen again are resolved.
 */
export async function handleSweepTick(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const clusters = await new ClusterRegistry(firestore(), 0).list();
  for (const cluster of clusters) await sweepAndRecord(cluster, event.id, context);
  for (const project of new Set(clusters.map((cluster) => cluster.project))) await backstop(project, clusters, context);
  // Findings of every scope, registered clusters or not, resolve once their cause stops showing up.
  const resolved = await new FindingStore(firestore()).resolveStale(context.now, runtimeConfig().resolveAfterMinutes);
  for (const notification of resolved) await publishNotification(notification);
  await publishNotification({ id: `flush-${shortHash(event.id)}`, kind: 'flush', createdAt: context.now.toISOString() });
  context.logger.info('sweep done', { clusters: clusters.length, resolved: resolved.length });
}

/**
 * The sink's backstop: DENIED entries since the project's oldest sweep, diagnosed and recorded
 * exactly as the sink does (same registry match, same event key), so an entry both paths see
 * counts once.
 */
async function backstop(project: string, registered: readonly RegisteredCluster[], context: HandlerContext): Promise<void> {
  const sweeps = registered.filter((cluster) => cluster.project === project).map((cluster) => (cluster.lastSweep ? Date.parse(cluster.lastSweep.at) : context.now.getTime() - FIRST_LOOKBACK_MS));
  const since = new Date(Math.min(...sweeps));
  let entries: Record<string, unknown>[];
  try {
    entries = await deniedEntriesSince(project, since, BACKSTOP_LIMIT);
  } catch (error) {
    context.logger.warn(`Cloud Logging backstop for ${project} failed`, { error });
    return;
  }
  for (const entry of entries) {
    const { diagnosis, scope, identity } = diagnoseWithRegistry(entry, registered);
    if (diagnosis.kind !== 'finding') continue;
    const id = eventId(identity, 'sweep-backstop', identity.insertId ?? '');
    await recordObservation({ scope, observation: diagnosis.observation, eventId: id, eventKind: 'log-backstop', sample: sampleOf(entry, identity.insertId ?? 'backstop'), now: context.now }, context.logger);
  }
}
