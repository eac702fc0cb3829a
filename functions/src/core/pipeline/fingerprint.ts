import { createHash } from 'node:crypto';

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A finding's document id: stable for the same cause in the same cluster, across every path that sees it. */
export function findingId(scope: string, observationKey: string): string {
  return digest(`${scope}\n${observationKey}`, 32);
}

/**
 * The idempotency key of an event. A LogEntry is identified by its log and insertId, so one entry
 * seen through the sink and again by the sweep's backstop counts once; anything else by its
 * CloudEvent source and id.
 */
export function eventId(parts: { logName?: string; insertId?: string; timestamp?: string } | undefined, source: string, id: string): string {
  if (parts?.insertId && parts.logName) return digest(`log\n${parts.logName}\n${parts.insertId}\n${parts.timestamp ?? ''}`, 40);
  return digest(`event\n${source}\n${id}`, 40);
}

export function shortHash(text: string): string {
  return digest(text, 12);
}
