import { firewallView } from '../../core/check/context.js';
import { collectCheckObservations } from '../../core/check/run.js';
import { addExportValue } from '../../core/config/gcloud.js';
import { addKubeObject, type ConfigSink } from '../../core/config/kube.js';
import { fillRangesFromSubnetwork, finalizeConfig } from '../../core/config/finalize.js';
import { emptyNetworkConfig, type NetworkConfig } from '../../core/config/specs.js';
import { operationObservation } from '../../core/diagnosis/engine.js';
import { later, type Observation } from '../../core/findings/finding.js';
import { DEFAULT_STUCK_MINUTES, GkeOperationSchema, operationStateFromApi, type OperationState } from '../../core/gke/operation.js';
import { clusterModelFromGke, GkeClusterSchema, networkProjectOf, refreshedModel, regionOfLocation, type ClusterModel } from '../../core/model/cluster.js';
import { advancedCursor, backstopStart } from '../../core/pipeline/backstop-cursor.js';
import { eventId, shortHash } from '../../core/pipeline/fingerprint.js';
import type { FindingScope } from '../../core/pipeline/finding-record.js';
import { outboxDue } from '../../core/pipeline/outbox.js';
import { modelFromStored, storedModel, unregisteredScope, type RegisteredCluster } from '../../core/pipeline/registry.js';
import { SnapshotError, type NetworkSnapshot } from '../../core/pipeline/snapshot.js';
import { canResolve, sourcesOfRule, type SweepSource } from '../../core/pipeline/sweep-sources.js';
import { OPERATION_RULES } from '../../core/rules/index.js';
import { runtimeConfig } from '../config.js';
import { firestore, GRPC, grpcCode } from '../firestore/client.js';
import { FindingStore } from '../firestore/findings.js';
import { NotificationStore } from '../firestore/notifications.js';
import { OperationStore } from '../firestore/operations.js';
import { BackstopCursorStore, ClusterRegistry } from '../firestore/registry.js';
import { SnapshotStore } from '../firestore/snapshots.js';
import { getCluster, getOperation, listOperations } from '../gcp/container.js';
import { kubeConfigFor, listConfigConnectorResources, listWebhookObjects } from '../gcp/kubernetes.js';
import { deniedEntryPages } from '../gcp/logging.js';
import { diagnoseWithRegistry, sampleOf } from './log-sink.js';
import { readLiveNetwork } from '../gcp/network.js';
import type { Logger } from '../logger.js';
import type { PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';
import { LiveNetworks } from './live-networks.js';
import { publishNotification, recordObservation } from './recorder.js';

/** Cloud Logging answers at most 1,000 entries a page. */
const BACKSTOP_PAGE_SIZE = 1000;
/** Operations GKE's list no longer shows are asked for by name, at most this many per cluster and sweep. */
const OPERATION_REFRESH_LIMIT = 20;
/** Pending outbox entries looked at per sweep, and the most re-published at once (oldest first). */
const OUTBOX_SCAN_LIMIT = 500;
const REPUBLISH_BATCH = 50;

/**
 * What one sweep could and could not read. A failing source is an error on this sweep, not the
 * end of it: the rest is still judged, and findings from the failed source are held open.
 */
class SweepReads {
  readonly errors: string[] = [];
  readonly unread = new Set<SweepSource>();

  constructor(inherited?: SweepReads) {
    inherited?.errors.forEach((error) => this.errors.push(error));
    inherited?.unread.forEach((source) => this.unread.add(source));
  }

  failed(source: SweepSource, what: string, error: unknown): void {
    this.unread.add(source);
    this.errors.push(`${what}: ${(error as Error).message.split('\n')[0]}`);
  }

  async attempt<T>(source: SweepSource, what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.failed(source, what, error);
      return undefined;
    }
  }

  /** A check judged without one of its sources would see a partial network: no finding from it this time. */
  judged(observation: Observation): boolean {
    return !sourcesOfRule(observation.rule).some((source) => this.unread.has(source));
  }
}

interface SweepResult {
  observations: { observation: Observation; eventId: string; kind: string }[];
  model: ClusterModel;
  /** The network as the checks judged it, when the Compute API could be read. */
  snapshot?: NetworkSnapshot;
  notes: string[];
}

function targetsCluster(operation: OperationState, cluster: RegisteredCluster): boolean {
  return operation.cluster === undefined || operation.cluster === cluster.name;
}

async function liveModel(cluster: RegisteredCluster, registered: ClusterModel, reads: SweepReads): Promise<ClusterModel> {
  const json = await reads.attempt('gke-cluster', 'GKE API', () => getCluster(cluster.project, cluster.location, cluster.name));
  const parsed = json ? GkeClusterSchema.safeParse(json) : undefined;
  if (!parsed?.success) return registered;
  const live = clusterModelFromGke(parsed.data);
  live.project = cluster.project;
  return refreshedModel(registered, live);
}

function apiOperation(json: Record<string, unknown>, project: string): OperationState | undefined {
  const parsed = GkeOperationSchema.safeParse(json);
  return parsed.success ? { ...operationStateFromApi(parsed.data), project } : undefined;
}

/**
 * An operation stored as not done that GKE's list no longer shows (its last audit entry was
 * missed, or it ran elsewhere than the cluster's location): asked for by name, so it does not stay
 * RUNNING here forever. One GKE no longer knows is left out of this sweep's judgement.
 */
async function refreshedOperation(known: OperationState, cluster: RegisteredCluster, now: Date, store: OperationStore, reads: SweepReads): Promise<OperationState | undefined> {
  let json: Record<string, unknown>;
  try {
    json = await getOperation(cluster.project, known.location ?? cluster.location, known.name);
  } catch (error) {
    if (grpcCode(error) === GRPC.NOT_FOUND) return undefined;
    reads.failed('gke-operations', `GKE operation ${known.name}`, error);
    return known;
  }
  const current = apiOperation(json, cluster.project);
  return current ? store.merge(current, now) : known;
}

async function clusterOperations(cluster: RegisteredCluster, now: Date, reads: SweepReads): Promise<OperationState[]> {
  const store = new OperationStore(firestore());
  const listed = await reads.attempt('gke-operations', 'GKE operations', () => listOperations(cluster.project, cluster.location));
  const operations = new Map<string, OperationState>();
  for (const json of listed ?? []) {
    const state = apiOperation(json, cluster.project);
    if (state && targetsCluster(state, cluster)) operations.set(state.name, await store.merge(state, now));
  }
  const unlisted = (await store.notDone()).filter((known) => known.project === cluster.project && targetsCluster(known, cluster) && !operations.has(known.name));
  // Only a list that answered says an operation is missing from it.
  const toRefresh = new Set(listed ? unlisted.slice(0, OPERATION_REFRESH_LIMIT) : []);
  for (const known of unlisted) {
    const current = toRefresh.has(known) ? await refreshedOperation(known, cluster, now, store, reads) : known;
    if (current) operations.set(known.name, current);
  }
  return [...operations.values()];
}

async function operationObservations(cluster: RegisteredCluster, now: Date, tick: string, reads: SweepReads): Promise<SweepResult['observations']> {
  const context = { now, thresholds: DEFAULT_STUCK_MINUTES };
  return (await clusterOperations(cluster, now, reads)).flatMap((operation) =>
    OPERATION_RULES.filter((rule) => rule.matches(operation, context)).map((rule) => {
      const observation = operationObservation(operation, rule, context);
      return { observation, eventId: eventId(undefined, `sweep/${tick}`, observation.key), kind: 'sweep' };
    }),
  );
}

/** Live firewall rules, routes, routers, DNS, Config Connector status and webhooks, as `kfguard check` reads exports. */
async function liveConfig(cluster: RegisteredCluster, model: ClusterModel, reads: SweepReads): Promise<NetworkConfig> {
  const sink: ConfigSink = { config: emptyNetworkConfig(), reject: (source, reason) => reads.errors.push(`${source}: ${reason}`), kind: 'export' };
  const target = { project: networkProjectOf(model) ?? cluster.project, network: model.network ?? 'default', region: model.subnetworkRegion ?? regionOfLocation(model.location ?? cluster.location) ?? cluster.location, clusterProject: cluster.project };
  const network = await reads.attempt('compute-dns', 'Compute and DNS APIs', () => readLiveNetwork(target));
  if (network) for (const [name, items] of Object.entries(network) as [string, Record<string, unknown>[]][]) items.forEach((item, index) => addExportValue(item, `${name}[${index}]`, sink));
  const management = cluster.management;
  if (management) {
    const target = { project: management.project ?? cluster.project, location: management.location ?? cluster.location, name: management.name ?? cluster.name };
    const cnrm = await reads.attempt('config-connector', 'Config Connector', async () => listConfigConnectorResources(await kubeConfigFor(target), management.namespace));
    cnrm?.forEach((object, index) => addKubeObject(object, `${management.namespace}/${object.kind}[${index}]`, sink));
  }
  const webhooks = await reads.attempt('kubernetes', 'Kubernetes API', async () => listWebhookObjects(await kubeConfigFor(cluster)));
  webhooks?.forEach((object, index) => addKubeObject(object, `webhooks[${index}]`, sink));
  return finalizeConfig(sink.config);
}

/** The cluster's model and network as GKE, Compute, DNS and Kubernetes show them now. */
async function clusterState(cluster: RegisteredCluster, reads: SweepReads): Promise<{ model: ClusterModel; config: NetworkConfig }> {
  const model = await liveModel(cluster, modelFromStored(cluster.model), reads);
  const config = await liveConfig(cluster, model, reads);
  // GKE's view has no node range: the live subnetwork's primary range is it.
  fillRangesFromSubnetwork({ model, podRangeName: undefined, serviceRangeName: undefined }, config);
  return { model, config };
}

/** What the sweep reads of a cluster, for others that judge it as the sweep does (its plan); `errors` names what could not be read. */
export async function readClusterState(cluster: RegisteredCluster): Promise<{ model: ClusterModel; config: NetworkConfig; errors: string[] }> {
  const reads = new SweepReads();
  return { ...(await clusterState(cluster, reads)), errors: reads.errors };
}

async function sweepCluster(cluster: RegisteredCluster, tick: string, context: HandlerContext, reads: SweepReads): Promise<SweepResult> {
  const { model, config } = await clusterState(cluster, reads);
  const checks = collectCheckObservations(config, { clusters: [model] });
  const observations = [
    ...(await operationObservations(cluster, context.now, tick, reads)),
    ...checks.observations.filter((observation) => reads.judged(observation)).map((observation) => ({ observation, eventId: eventId(undefined, `sweep/${tick}`, observation.key), kind: 'sweep' })),
  ];
  const result: SweepResult = { observations, model, notes: checks.notes };
  // What the checks ran on (the model as they took it), for the log sink to diagnose against; a network not read is no snapshot.
  const checked = checks.clusters.find((each) => each.name === model.name);
  if (checked && !reads.unread.has('compute-dns')) result.snapshot = { cluster: cluster.key, takenAt: context.now.toISOString(), model: checked, view: firewallView(config, checked).view };
  return result;
}

/** Keeps the sweep's view of the network for the log sink; one too large to keep leaves none, rather than an outdated one. */
async function saveSnapshot(cluster: RegisteredCluster, snapshot: NetworkSnapshot | undefined, logger: Logger): Promise<Record<string, unknown>> {
  if (!snapshot) return {};
  const store = new SnapshotStore(firestore());
  try {
    const head = await store.save(snapshot);
    return { snapshot: { generation: head.generation, rules: head.rules, parts: head.parts } };
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    await store.remove(cluster.key);
    logger.warn(`no snapshot kept for ${cluster.name}: ${error.message}; its log entries are diagnosed without the live rules`);
    return {};
  }
}

/**
 * Sweeps one cluster and records what it found; the registry keeps the refreshed model and the
 * sweep's outcome, with what could not be read (`projectReads`: the project's backstop), and
 * `snapshots` the network the checks judged.
 */
export async function sweepAndRecord(cluster: RegisteredCluster, tick: string, context: HandlerContext, projectReads?: SweepReads): Promise<{ open: number; errors: string[]; unread: Set<SweepSource> }> {
  const logger = context.logger.child({ cluster: cluster.key });
  const reads = new SweepReads(projectReads);
  const result = await sweepCluster(cluster, tick, { ...context, logger }, reads);
  const scope: FindingScope = { scope: cluster.key, project: cluster.project, location: cluster.location, cluster: cluster.name };
  for (const { observation, eventId: id, kind } of result.observations) {
    await recordObservation({ scope, observation, eventId: id, eventKind: kind, sample: { time: observation.time ?? null, source: `sweep ${shortHash(tick)}` }, now: context.now }, logger);
  }
  const snapshot = await saveSnapshot(cluster, result.snapshot, logger);
  const open = (await new FindingStore(firestore()).list({ status: 'open', scope: cluster.key })).length;
  const failed = reads.errors.length > 0;
  await new ClusterRegistry(firestore(), 0).update(cluster.key, {
    model: storedModel(result.model),
    lastSweep: {
      at: context.now.toISOString(),
      status: failed ? 'error' : 'ok',
      openFindings: open,
      ...(failed ? { error: reads.errors.join('; ').slice(0, 2000) } : {}),
      ...(reads.unread.size > 0 ? { unreadSources: [...reads.unread] } : {}),
    },
  });
  logger.log(failed ? 'WARNING' : 'INFO', `swept ${cluster.name}`, { observations: result.observations.length, open, errors: reads.errors, unreadSources: [...reads.unread], notes: result.notes, ...snapshot });
  return { open, errors: reads.errors, unread: reads.unread };
}

/**
 * Re-publishes outbox notifications still pending after the grace period: a publish can fail
 * after its commit (the resolve below, a log event whose redelivery never came), and nothing else
 * would send them. The notifier delivers each id once, so a copy still on its way is harmless.
 */
async function republishPending(context: HandlerContext): Promise<void> {
  const store = new NotificationStore(firestore());
  const due = outboxDue(await store.pending(OUTBOX_SCAN_LIMIT), context.now, runtimeConfig().sweep.outboxGraceMs, REPUBLISH_BATCH);
  for (const entry of due.republish) await publishNotification(entry.request);
  for (const entry of due.expired) await store.finish(entry.id, 'failed', context.now);
  if (due.expired.length > 0) context.logger.warn('gave up on notifications pending for a day', { notificationIds: due.expired.map((entry) => entry.id) });
  if (due.republish.length > 0) context.logger.info('re-published pending notifications', { notificationIds: due.republish.map((entry) => entry.id) });
}

/**
 * The scheduled sweep: pending notifications first; then for each project the DENIED entries the
 * sink may have missed, and for each of its registered clusters GKE's view (status, operations),
 * the live network against the flows a private cluster needs and Config Connector readiness; then
 * findings not seen again are resolved, unless a source they come from could not be read.
 */
export async function handleSweepTick(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  await republishPending(context);
  const clusters = await new ClusterRegistry(firestore(), 0).list();
  const unread = new Map<string, ReadonlySet<SweepSource>>();
  // The backstop diagnoses as the sink does, against the snapshots the previous sweep left: each read once this tick.
  const networks = new LiveNetworks(new SnapshotStore(firestore()), Number.POSITIVE_INFINITY, runtimeConfig().snapshotMaxAgeMinutes);
  for (const project of new Set(clusters.map((cluster) => cluster.project))) {
    const logs = await backstop(project, clusters, networks, context);
    unread.set(unregisteredScope(project), logs.unread);
    for (const cluster of clusters.filter((each) => each.project === project)) unread.set(cluster.key, (await sweepAndRecord(cluster, event.id, context, logs)).unread);
  }
  // Findings of every scope, registered clusters or not, resolve once their cause stops showing up.
  const resolved = await new FindingStore(firestore()).resolveStale(context.now, runtimeConfig().resolveAfterMinutes, (finding) => canResolve(finding, unread));
  for (const notification of resolved) await publishNotification(notification);
  await publishNotification({ id: `flush-${shortHash(event.id)}`, kind: 'flush', createdAt: context.now.toISOString() });
  context.logger.info('sweep done', { clusters: clusters.length, resolved: resolved.length });
}

/**
 * The sink's backstop: DENIED entries from the project's cursor on (less an overlap for entries
 * that reach Cloud Logging late), diagnosed and recorded exactly as the sink does (same registry
 * match, same event key), so an entry both paths see counts once. The cursor moves only as far as
 * the entries processed: a failed read, or one that stopped at its bound, continues next sweep.
 */
async function backstop(project: string, registered: readonly RegisteredCluster[], networks: LiveNetworks, context: HandlerContext): Promise<SweepReads> {
  const reads = new SweepReads();
  const cursors = new BackstopCursorStore(firestore());
  const previous = await cursors.get(project);
  const limit = runtimeConfig().sweep.backstopMaxEntries;
  const progress: { processed: number; lastEntryAt?: string; caughtUp: boolean } = { processed: 0, caughtUp: false };
  await reads.attempt('cloud-logging', 'Cloud Logging backstop', async () => {
    for await (const page of deniedEntryPages(project, backstopStart(previous, context.now), Math.min(BACKSTOP_PAGE_SIZE, limit))) {
      for (const entry of page) {
        if (progress.processed >= limit) return;
        await recordBackstopEntry(entry, registered, networks, context);
        progress.processed += 1;
        progress.lastEntryAt = later(progress.lastEntryAt ?? null, entryTimestamp(entry)) ?? undefined;
      }
    }
    progress.caughtUp = true;
  });
  const cursor = advancedCursor(previous, { project, lastEntryAt: progress.lastEntryAt, caughtUp: progress.caughtUp, now: context.now });
  if (cursor) await cursors.save(cursor);
  if (reads.errors.length === 0 && !progress.caughtUp) context.logger.warn(`Cloud Logging backstop for ${project} stopped at ${limit} entries; the next sweep continues`, { project, cursor });
  return reads;
}

function entryTimestamp(entry: Record<string, unknown>): string | undefined {
  return typeof entry['timestamp'] === 'string' ? entry['timestamp'] : undefined;
}

async function recordBackstopEntry(entry: Record<string, unknown>, registered: readonly RegisteredCluster[], networks: LiveNetworks, context: HandlerContext): Promise<void> {
  const { diagnosis, scope, identity } = await diagnoseWithRegistry(entry, registered, (cluster) => networks.of(cluster, context.now, context.logger));
  if (diagnosis.kind !== 'finding') return;
  const id = eventId(identity, 'sweep-backstop', identity.insertId ?? '');
  await recordObservation({ scope, observation: diagnosis.observation, eventId: id, eventKind: 'log-backstop', sample: sampleOf(entry, identity.insertId ?? 'backstop'), now: context.now }, context.logger);
}
