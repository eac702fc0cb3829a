import { diagnoseEntry, operationObservation } from '../../core/diagnosis/engine.js';
import { DEFAULT_STUCK_MINUTES, isFailed, type OperationState } from '../../core/gke/operation.js';
import { entryTime } from '../../core/logs/log-entry.js';
import { emptyClusterModel } from '../../core/model/cluster.js';
import { eventId } from '../../core/pipeline/fingerprint.js';
import type { FindingSample, FindingScope } from '../../core/pipeline/finding-record.js';
import { redact } from '../../core/pipeline/redact.js';
import type { LiveNetwork } from '../../core/pipeline/snapshot.js';
import { entryOrigin, matchCluster, modelFromStored, unregisteredScope, type RegisteredCluster } from '../../core/pipeline/registry.js';
import { operationFailed } from '../../core/rules/operation-failed.js';
import { runtimeConfig, type RuntimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { OperationStore } from '../firestore/operations.js';
import { ClusterRegistry } from '../firestore/registry.js';
import { SnapshotStore } from '../firestore/snapshots.js';
import { decodeJsonMessage, PoisonMessageError, pubsubMessage, type PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';
import { LiveNetworks } from './live-networks.js';
import { recordObservation } from './recorder.js';

const SAMPLE_BYTES = 4096;
/** Set by the Logging sink on every message: the entry's time, even when the entry has no `timestamp`. */
const TIMESTAMP_ATTRIBUTE = 'logging.googleapis.com/timestamp';

let caches: { db: ReturnType<typeof firestore>; config: RuntimeConfig; registry: ClusterRegistry; networks: LiveNetworks } | undefined;
/** The registry, the clusters' live networks and their caches live as long as the Firestore client and the configuration they read with. */
function readers(): NonNullable<typeof caches> {
  const db = firestore();
  const config = runtimeConfig();
  if (caches?.db !== db || caches.config !== config) {
    caches = { db, config, registry: new ClusterRegistry(db, config.registryCacheMs), networks: new LiveNetworks(new SnapshotStore(db), config.registryCacheMs, config.snapshotMaxAgeMinutes) };
  }
  return caches;
}

function scopeOf(cluster: RegisteredCluster | undefined, project: string | undefined): FindingScope {
  if (cluster) return { scope: cluster.key, project: cluster.project, location: cluster.location, cluster: cluster.name };
  return project ? { scope: unregisteredScope(project), project } : { scope: unregisteredScope(undefined) };
}

function entryIdentity(entry: Record<string, unknown>): { logName?: string; insertId?: string; timestamp?: string } {
  const { logName, insertId, timestamp } = entry;
  return {
    ...(typeof logName === 'string' ? { logName } : {}),
    ...(typeof insertId === 'string' ? { insertId } : {}),
    ...(typeof timestamp === 'string' ? { timestamp } : {}),
  };
}

export function sampleOf(entry: unknown, source: string): FindingSample {
  const time = entryTime(entry as Parameters<typeof entryTime>[0]) ?? null;
  return { time, source, entry: JSON.stringify(redact(entry)).slice(0, SAMPLE_BYTES) };
}

/**
 * An entry without `timestamp` takes the sink's timestamp attribute, so its time and its event id
 * are the ones Cloud Logging gave it (and the sweep's backstop, reading the entry back, agrees).
 */
function withSinkTimestamp(entry: Record<string, unknown>, attributes: Record<string, string> | undefined): Record<string, unknown> {
  const timestamp = attributes?.[TIMESTAMP_ATTRIBUTE];
  if (!timestamp || Number.isNaN(Date.parse(timestamp)) || entry['timestamp'] !== undefined) return entry;
  return { ...entry, timestamp };
}

/** A completed operation that failed becomes a finding now; stuck ones are the sweep's to judge. */
async function handleOperation(operation: OperationState, scope: FindingScope, id: string, context: HandlerContext): Promise<void> {
  const merged = await new OperationStore(firestore()).merge(operation, context.now);
  if (!isFailed(merged)) return;
  const observation = operationObservation(merged, operationFailed, { now: context.now, thresholds: DEFAULT_STUCK_MINUTES });
  await recordObservation({ scope, observation, eventId: id, eventKind: 'gke-audit', now: context.now }, context.logger);
}

export interface EntryDiagnosis {
  diagnosis: ReturnType<typeof diagnoseEntry>;
  scope: FindingScope;
  identity: ReturnType<typeof entryIdentity>;
}

/** Where a registered cluster's live network comes from, once the sweep has read it. */
export type LiveNetworkOf = (cluster: RegisteredCluster) => Promise<LiveNetwork | undefined>;

/**
 * An entry diagnosed against the live network of the registered cluster it belongs to, or with
 * its registered model alone while it has none (the sink and the sweep's backstop agree).
 */
export async function diagnoseWithRegistry(entry: Record<string, unknown>, registered: readonly RegisteredCluster[], liveNetworkOf: LiveNetworkOf): Promise<EntryDiagnosis> {
  const origin = entryOrigin(entry);
  const cluster = matchCluster(origin, registered);
  const live = cluster ? await liveNetworkOf(cluster) : undefined;
  const diagnosis = diagnoseEntry(entry, live ?? { model: cluster ? modelFromStored(cluster.model) : emptyClusterModel() });
  return { diagnosis, scope: scopeOf(cluster, origin.project), identity: entryIdentity(entry) };
}

/**
 * The log sink's handler: one LogEntry per message, diagnosed against the live network of the
 * cluster it belongs to (its model alone before its first sweep), recorded once per entry however
 * often it is delivered.
 */
export async function handleLogEvent(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const entry = withSinkTimestamp(decodeJsonMessage(event), pubsubMessage(event).attributes);
  const { registry, networks } = readers();
  const { diagnosis, scope, identity } = await diagnoseWithRegistry(entry, await registry.list(), (cluster) => networks.of(cluster, context.now, context.logger));
  const id = eventId(identity, event.source, event.id);
  switch (diagnosis.kind) {
    case 'rejected':
      throw new PoisonMessageError(diagnosis.reason, JSON.stringify(entry).slice(0, 512));
    case 'ignored':
      context.logger.log('DEBUG', `entry ignored (${diagnosis.reason})`, { insertId: identity.insertId });
      return;
    case 'operation':
      await handleOperation(diagnosis.operation, scope, id, context);
      return;
    case 'finding':
      await recordObservation({ scope, observation: diagnosis.observation, eventId: id, eventKind: 'log-entry', sample: sampleOf(entry, identity.insertId ?? event.id), now: context.now }, context.logger);
  }
}
