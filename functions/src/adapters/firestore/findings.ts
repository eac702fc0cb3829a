import { FieldPath, FieldValue, Timestamp, type DocumentReference, type Firestore, type Query, type WriteBatch } from '@google-cloud/firestore';
import { MAX_PORTS_PER_CAUSE, type Observation } from '../../core/findings/finding.js';
import { findingId } from '../../core/pipeline/fingerprint.js';
import { isStale, planFindingWrite, planResolve, type FindingSample, type FindingScope, type FindingStatus, type StoredFinding } from '../../core/pipeline/finding-record.js';
import { COLLECTIONS } from '../../core/pipeline/names.js';
import type { NotificationRequest } from '../../core/pipeline/notification.js';
import { GRPC, grpcCode } from './client.js';

/** Event markers outlive Pub/Sub's 7-day retention, then Firestore's TTL policy deletes them. */
export const EVENT_TTL_DAYS = 8;
/** Concurrent first sightings of one finding race on `create`; the loser re-reads and counts. */
const MAX_ATTEMPTS = 5;

export interface RecordInput {
  scope: FindingScope;
  observation: Observation;
  /** The idempotency key: recording the same event twice counts it once. */
  eventId: string;
  eventKind: string;
  sample?: FindingSample;
  now: Date;
}

export type RecordResult =
  | { outcome: 'recorded'; findingId: string; notification?: NotificationRequest }
  | { outcome: 'duplicate'; findingId: string; notificationId?: string };

export class ContentionError extends Error {}

async function portFindings(group: DocumentReference): Promise<number> {
  return ((await group.get()).get('findings') as number | undefined) ?? 0;
}

interface EventMarker {
  findingId: string;
  kind: string;
  processedAt: Timestamp;
  expireAt: Timestamp;
  notificationId?: string;
}

export class FindingStore {
  constructor(private readonly db: Firestore) {}

  private findingRef(id: string): DocumentReference {
    return this.db.collection(COLLECTIONS.findings).doc(id);
  }

  private notificationRef(id: string): DocumentReference {
    return this.db.collection(COLLECTIONS.notifications).doc(id);
  }

  /** Outbox entry: the notifier delivers it; its id makes every state change notify once. */
  private addNotification(batch: WriteBatch, notification: NotificationRequest, now: Date): void {
    batch.create(this.notificationRef(notification.id), { status: 'pending', request: notification, createdAt: Timestamp.fromDate(now), channels: {} });
  }

  /**
   * Records one observation in one atomic commit: the event marker (`create`, so a redelivered
   * event fails instead of counting twice), the finding (created, or incremented), and the
   * notification outbox entry when the finding changed state.
   *
   * Preconditions come first in each batch: the local emulator applies writes one by one and stops
   * at the first failing one, so a failing `create` must not follow a write that already happened.
   * A new finding's `create` leads (the race two first sightings run); otherwise the event marker
   * leads, so a redelivered event fails before its notification or its increment is written.
   */
  async record(input: RecordInput): Promise<RecordResult> {
    const eventRef = this.db.collection(COLLECTIONS.events).doc(input.eventId);
    let observation = input.observation;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const id = findingId(input.scope.scope, observation.key);
      const snapshot = await this.findingRef(id).get();
      const existing = snapshot.exists ? (snapshot.data() as StoredFinding) : undefined;
      const portGroup = existing || !observation.portGroup ? undefined : this.portGroupRef(input.scope.scope, observation.portGroup.key);
      if (portGroup && (await portFindings(portGroup)) >= MAX_PORTS_PER_CAUSE) {
        observation = observation.portGroup!.folded();
        continue;
      }
      const plan = planFindingWrite(existing, id, observation, input.scope, input.sample, input.now);
      const marker: EventMarker = {
        findingId: id,
        kind: input.eventKind,
        processedAt: Timestamp.fromDate(input.now),
        expireAt: Timestamp.fromMillis(input.now.getTime() + EVENT_TTL_DAYS * 86_400_000),
      };
      if (plan.notification) marker.notificationId = plan.notification.id;
      const batch = this.db.batch();
      if (plan.kind === 'create') batch.create(this.findingRef(id), plan.finding);
      batch.create(eventRef, marker);
      if (plan.kind === 'create' && portGroup) batch.set(portGroup, { findings: FieldValue.increment(1) }, { merge: true });
      if (plan.notification) this.addNotification(batch, plan.notification, input.now);
      if (plan.kind === 'update') batch.update(this.findingRef(id), { ...plan.set, count: FieldValue.increment(plan.increment) });
      try {
        await batch.commit();
        return plan.notification ? { outcome: 'recorded', findingId: id, notification: plan.notification } : { outcome: 'recorded', findingId: id };
      } catch (error) {
        if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
        const seen = await eventRef.get();
        if (seen.exists) {
          const notificationId = (seen.data() as EventMarker).notificationId;
          return notificationId ? { outcome: 'duplicate', findingId: id, notificationId } : { outcome: 'duplicate', findingId: id };
        }
      }
    }
    throw new ContentionError(`finding ${findingId(input.scope.scope, observation.key)}: still contended after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Counts the per-port findings of one cause (a source, destination and rule seen on many ports),
   * in the same commit that creates each, like `analyze` folds past MAX_PORTS_PER_CAUSE. Two
   * concurrent first sightings can both pass the check: the limit is approximate by the
   * function's concurrency, which keeps it bounded.
   */
  private portGroupRef(scope: string, groupKey: string): DocumentReference {
    return this.db.collection(COLLECTIONS.portGroups).doc(findingId(scope, groupKey));
  }

  /** A notification still waiting in the outbox (to re-publish after a crash between commit and publish). */
  async pendingNotification(id: string): Promise<NotificationRequest | undefined> {
    const snapshot = await this.notificationRef(id).get();
    const data = snapshot.data() as { status?: string; request?: NotificationRequest } | undefined;
    return data && data.status !== 'delivered' ? data.request : undefined;
  }

  async list(filter: { status?: FindingStatus; scope?: string } = {}): Promise<StoredFinding[]> {
    let query: Query = this.db.collection(COLLECTIONS.findings);
    if (filter.status) query = query.where('status', '==', filter.status);
    if (filter.scope) query = query.where('scope', '==', filter.scope);
    const snapshot = await query.get();
    return snapshot.docs.map((doc) => doc.data() as StoredFinding);
  }

  /** Findings whose status changed at or after `sinceIso` (resolved or muted recently, for the dashboard's history). */
  async changedSince(sinceIso: string): Promise<StoredFinding[]> {
    const snapshot = await this.db.collection(COLLECTIONS.findings).where('statusChangedAt', '>=', sinceIso).get();
    return snapshot.docs.map((doc) => doc.data() as StoredFinding);
  }

  /** The `limit` findings in `status` whose status changed last, newest first (index: status, statusChangedAt descending). */
  async latestIn(status: FindingStatus, limit: number): Promise<StoredFinding[]> {
    const snapshot = await this.db.collection(COLLECTIONS.findings).where('status', '==', status).orderBy('statusChangedAt', 'desc').limit(limit).get();
    return snapshot.docs.map((doc) => doc.data() as StoredFinding);
  }

  /** The ids that start with `prefix`, at most `limit` of them: a short id names a finding only when one matches. */
  async idsStartingWith(prefix: string, limit = 2): Promise<string[]> {
    // Ids are lowercase hex, so every id with the prefix sorts below prefix + "g".
    const snapshot = await this.db.collection(COLLECTIONS.findings).where(FieldPath.documentId(), '>=', prefix).where(FieldPath.documentId(), '<', `${prefix}g`).limit(limit).select().get();
    return snapshot.docs.map((doc) => doc.id);
  }

  async get(id: string): Promise<StoredFinding | undefined> {
    const snapshot = await this.findingRef(id).get();
    return snapshot.exists ? (snapshot.data() as StoredFinding) : undefined;
  }

  /**
   * Resolves open findings not observed for `resolveAfterMinutes` that `judged` says could have
   * been, each in its own commit with its notification; the notification's `create` makes a
   * concurrent sweep a no-op.
   */
  async resolveStale(now: Date, resolveAfterMinutes: number, judged: (finding: StoredFinding) => boolean): Promise<NotificationRequest[]> {
    const notifications: NotificationRequest[] = [];
    for (const finding of await this.list({ status: 'open' })) {
      if (!isStale(finding, now, resolveAfterMinutes) || !judged(finding)) continue;
      const plan = planResolve(finding, now);
      const batch = this.db.batch();
      this.addNotification(batch, plan.notification, now);
      batch.update(this.findingRef(finding.id), plan.set);
      try {
        await batch.commit();
        notifications.push(plan.notification);
      } catch (error) {
        if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
      }
    }
    return notifications;
  }

  async setStatus(id: string, status: FindingStatus, now: Date): Promise<void> {
    await this.findingRef(id).update({ status, statusChangedAt: now.toISOString(), updatedAt: now.toISOString(), stateVersion: FieldValue.increment(1) });
  }
}
