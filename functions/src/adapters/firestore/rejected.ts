import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../../core/pipeline/names.js';
import { redactText } from '../../core/pipeline/redact.js';
import { GRPC, grpcCode } from './client.js';

const SAMPLE_BYTES = 2048;
const REJECTED_TTL_DAYS = 30;

export interface Rejection {
  function: string;
  eventId: string;
  messageId?: string;
  reason: string;
  /** The start of the payload, redacted, so an operator can see what arrived. */
  sample?: string;
}

/** Poison input is kept (once per event) for a month, for the operator to look at. */
export async function recordRejection(db: Firestore, rejection: Rejection, now: Date): Promise<void> {
  const record = {
    ...rejection,
    sample: rejection.sample === undefined ? undefined : redactText(rejection.sample.slice(0, SAMPLE_BYTES)),
    receivedAt: Timestamp.fromDate(now),
    expireAt: Timestamp.fromMillis(now.getTime() + REJECTED_TTL_DAYS * 86_400_000),
  };
  try {
    await db.collection(COLLECTIONS.rejected).doc(rejection.eventId).create(record);
  } catch (error) {
    if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
  }
}
