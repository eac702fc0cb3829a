import { later } from '../findings/finding.js';

/** How far the sweep's Cloud Logging backstop got in one project (`cursors/backstop:PROJECT`). */
export interface BackstopCursor {
  project: string;
  /** Timestamp of the latest entry processed. */
  lastEntryAt: string;
  /** The last read reached the end of the results; false when it stopped at its bound. */
  caughtUp: boolean;
  updatedAt: string;
}

/** Entries reach Cloud Logging late; event ids make reading them twice harmless. */
export const BACKSTOP_OVERLAP_MS = 10 * 60_000;
/** A project's first backstop read looks this far back. */
export const BACKSTOP_FIRST_LOOKBACK_MS = 60 * 60_000;

/**
 * Where the next read starts: the overlap before the latest entry after a read that reached the
 * end; exactly at it after a read that stopped at its bound, so a flood larger than the bound
 * (even one inside the overlap) still moves forward.
 */
export function backstopStart(cursor: Pick<BackstopCursor, 'lastEntryAt' | 'caughtUp'> | undefined, now: Date): Date {
  if (!cursor) return new Date(now.getTime() - BACKSTOP_FIRST_LOOKBACK_MS);
  const last = Date.parse(cursor.lastEntryAt);
  return new Date(cursor.caughtUp ? last - BACKSTOP_OVERLAP_MS : last);
}

/**
 * The cursor after a read: at the latest entry processed, never behind the previous cursor
 * (re-reading the overlap moves nothing back); undefined while no entry was ever processed.
 */
export function advancedCursor(previous: BackstopCursor | undefined, read: { project: string; lastEntryAt?: string; caughtUp: boolean; now: Date }): BackstopCursor | undefined {
  const lastEntryAt = later(previous?.lastEntryAt ?? null, read.lastEntryAt);
  return lastEntryAt ? { project: read.project, lastEntryAt, caughtUp: read.caughtUp, updatedAt: read.now.toISOString() } : undefined;
}
