import { diagnoseEntry, operationObservation } from '../../core/diagnosis/engine.js';
import { DEFAULT_STUCK_MINUTES, isFailed, type OperationState } from '../../core/gke/operation.js';
import { entryTime } from '../../core/logs/log-entry.js';
import { emptyClusterModel } from '../../core/model/cluster.js';
import { eventId } from '../../core/pipeline/fingerprint.js';
import type { FindingSample, FindingScope } from '../../core/pipeline/finding-record.js';
import { redact } from '../../core/pipeline/redact.js';
import { entryOrigin, matchCluster, modelFromStored, unregisteredScope, type RegisteredCluster } from '../../core/pipeline/registry.js';
import { operationFailed } from '../../core/rules/operation-failed.js';
import { runtimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { OperationStore } from '../firestore/operations.js';
import { ClusterRegistry } from '../firestore/registry.js';
import { decodeJsonMessage, PoisonMessageError, pubsubMessage, type PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';
import { recordObservation } from './recorder.js';

const SAMPLE_BYTES = 4096;
/** Set by the Logging sink on every message: the entry's time, even when the entry has no `timestamp`. */
const TIMESTAMP_ATTRIBUTE = 'logging.googleapis.com/timestamp';

let registry: { db: ReturnType<typeof firestore>; registry: ClusterRegistry } | undefined;
/** The registry and its cache live as long as the Firestore client they read through. */
function clusters(): Promise<RegisteredCluster[]> {
  const db = firestore();
  if (registry?.db !== db) registry = { db, registry: new ClusterRegistry(db, runtimeConfig().registryCacheMs) };
  return registry.registry.list();
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

/** An entry diagnosed with the model of the registered cluster it belongs to (the sink and the sweep's backstop agree). */
export function diagnoseWithRegistry(entry: Record<string, unknown>, registered: readonly RegisteredCluster[]): EntryDiagnosis {
  const origin = entryOrigin(entry);
  const cluster = matchCluster(origin, registered);
  const diagnosis = diagnoseEntry(entry, { model: cluster ? modelFromStored(cluster.model) : emptyClusterModel() });
  return { diagnosis, scope: scopeOf(cluster, origin.project), identity: entryIdentity(entry) };
}

/**
 * The log sink's handler: one LogEntry per message, diagnosed with the model of the cluster it
 * belongs to, recorded once per entry however often it is delivered.
 */
export async function handleLogEvent(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const entry = withSinkTimestamp(decodeJsonMessage(event), pubsubMessage(event).attributes);
  const { diagnosis, scope, identity } = diagnoseWithRegistry(entry, await clusters());
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
