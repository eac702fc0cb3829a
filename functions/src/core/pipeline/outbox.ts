/** An outbox entry still pending: its id and when it was written. */
export interface PendingEntry {
  id: string;
  createdAtMs: number;
}

/**
 * Re-publishing gives up after this long: Pub/Sub has retried the notification for as long as
 * Eventarc would, so it is failed and says so, instead of being re-published every sweep forever.
 */
export const OUTBOX_MAX_AGE_MS = 24 * 3_600_000;

/**
 * Which pending notifications the sweep re-publishes (a publish may have failed after its commit)
 * and which it gives up on. Entries younger than `graceMs` are left alone: their first publish is
 * probably still on its way. The notifier delivers each id once, so a re-published copy is harmless.
 */
export function outboxDue<T extends PendingEntry>(pending: readonly T[], now: Date, graceMs: number, batch: number): { republish: T[]; expired: T[] } {
  const age = (entry: PendingEntry) => now.getTime() - entry.createdAtMs;
  const oldestFirst = [...pending].sort((a, b) => a.createdAtMs - b.createdAtMs);
  return {
    expired: oldestFirst.filter((entry) => age(entry) > OUTBOX_MAX_AGE_MS),
    republish: oldestFirst.filter((entry) => age(entry) >= graceMs && age(entry) <= OUTBOX_MAX_AGE_MS).slice(0, batch),
  };
}
