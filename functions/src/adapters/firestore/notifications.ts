import { Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../../core/pipeline/names.js';
import type { NotificationRequest } from '../../core/pipeline/notification.js';
import { GRPC, grpcCode } from './client.js';

export type Channel = 'chat' | 'email';
/** Final states: a channel in one of them is never attempted again for this notification. */
export type ChannelState = 'delivered' | 'folded' | 'digested' | 'skipped' | 'failed';

/** A document of `notifications`: the outbox entry and, once delivered, its record. */
export interface NotificationRecord {
  status: 'pending' | 'delivered' | 'failed';
  request: NotificationRequest;
  createdAt: Timestamp;
  deliveredAt?: Timestamp;
  channels: Partial<Record<Channel, ChannelState>>;
  /** Top-level copy of the chat state: the emulator cannot filter on nested fields. */
  chatState?: ChannelState;
  errors?: Partial<Record<Channel, string>>;
}

export class NotificationStore {
  constructor(private readonly db: Firestore) {}

  private ref(id: string): DocumentReference {
    return this.db.collection(COLLECTIONS.notifications).doc(id);
  }

  /** The record for a request, created when the publisher had no outbox entry (deployment stages). */
  async ensure(request: NotificationRequest, now: Date): Promise<NotificationRecord> {
    const ref = this.ref(request.id);
    const snapshot = await ref.get();
    if (snapshot.exists) return snapshot.data() as NotificationRecord;
    const record: NotificationRecord = { status: 'pending', request, createdAt: Timestamp.fromDate(now), channels: {} };
    try {
      await ref.create(record);
      return record;
    } catch (error) {
      if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
      return (await ref.get()).data() as NotificationRecord;
    }
  }

  async setChannel(id: string, channel: Channel, state: ChannelState, error?: string): Promise<void> {
    const changes: Record<string, unknown> = { [`channels.${channel}`]: state };
    if (channel === 'chat') changes['chatState'] = state;
    if (error) changes[`errors.${channel}`] = error;
    await this.ref(id).update(changes);
  }

  async finish(id: string, status: NotificationRecord['status'], now: Date): Promise<void> {
    await this.ref(id).update({ status, deliveredAt: Timestamp.fromDate(now) });
  }

  async folded(): Promise<{ id: string; request: NotificationRequest }[]> {
    const snapshot = await this.db.collection(COLLECTIONS.notifications).where('chatState', '==', 'folded').get();
    return snapshot.docs.map((doc) => ({ id: doc.id, request: (doc.data() as NotificationRecord).request })).sort((a, b) => a.request.createdAt.localeCompare(b.request.createdAt));
  }

  /**
   * Up to `limit` records not yet handled. Equality only, so the indexes Firestore keeps by itself
   * serve it; which of them are due is decided on the caller's side.
   */
  async pending(limit: number): Promise<{ id: string; createdAtMs: number; request: NotificationRequest }[]> {
    const snapshot = await this.db.collection(COLLECTIONS.notifications).where('status', '==', 'pending').limit(limit).get();
    return snapshot.docs.map((doc) => {
      const record = doc.data() as NotificationRecord;
      return { id: doc.id, createdAtMs: record.createdAt.toMillis(), request: record.request };
    });
  }

  async list(): Promise<(NotificationRecord & { id: string })[]> {
    const snapshot = await this.db.collection(COLLECTIONS.notifications).get();
    return snapshot.docs.map((doc) => ({ id: doc.id, ...(doc.data() as NotificationRecord) }));
  }
}
