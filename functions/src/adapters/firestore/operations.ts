import type { Firestore } from '@google-cloud/firestore';
import { mergeOperation, type OperationState } from '../../core/gke/operation.js';
import { COLLECTIONS } from '../../core/pipeline/names.js';

export function operationKey(operation: OperationState): string {
  return [operation.project ?? '-', operation.location ?? '-', operation.name].join(':');
}

/**
 * The `operations` collection: what kfguard has learnt about each GKE operation, from audit
 * entries and from the sweep's API calls, merged (DONE is final).
 */
export class OperationStore {
  constructor(private readonly db: Firestore) {}

  async merge(update: OperationState, now: Date): Promise<OperationState> {
    const ref = this.db.collection(COLLECTIONS.operations).doc(operationKey(update));
    const snapshot = await ref.get();
    const merged = mergeOperation(snapshot.exists ? (snapshot.data() as OperationState) : undefined, update);
    await ref.set({ ...merged, updatedAt: now.toISOString() });
    return merged;
  }

  async notDone(): Promise<OperationState[]> {
    const snapshot = await this.db.collection(COLLECTIONS.operations).where('status', 'in', ['PENDING', 'RUNNING', 'ABORTING', 'UNKNOWN']).get();
    return snapshot.docs.map((doc) => doc.data() as OperationState);
  }
}
