import type { Firestore } from '@google-cloud/firestore';
import { zodIssueText } from '../../core/logs/log-entry.js';
import { COLLECTIONS, SNAPSHOT_PARTS } from '../../core/pipeline/names.js';
import { decodeSnapshot, encodeSnapshot, partId, SnapshotError, SnapshotHeadSchema, type NetworkSnapshot, type SnapshotHead } from '../../core/pipeline/snapshot.js';

/** Parts per commit: eight of 512 KiB stay well under Firestore's 10 MiB request. */
const PARTS_PER_COMMIT = 8;
/** Firestore's most writes in one batch. */
const DELETES_PER_COMMIT = 500;
/** A sweep can replace the generation between a reader's head and its parts: the head is read again, once. */
const READ_ATTEMPTS = 2;

/**
 * The `snapshots` collection: per registered cluster a head document naming the generation in
 * force, and below it that generation's parts. A new generation's parts are all written before the
 * head points at it, and the others are deleted only after, so a reader that follows the head never
 * sees half of two snapshots.
 */
export class SnapshotStore {
  constructor(private readonly db: Firestore) {}

  private head(cluster: string) {
    return this.db.collection(COLLECTIONS.snapshots).doc(cluster);
  }

  private parts(cluster: string) {
    return this.head(cluster).collection(SNAPSHOT_PARTS);
  }

  /** Throws SnapshotError for a network too large to keep. The same network read again writes no part, only the head's time. */
  async save(snapshot: NetworkSnapshot): Promise<SnapshotHead> {
    const { head, parts } = encodeSnapshot(snapshot);
    const current = await this.head(snapshot.cluster).get();
    if (current.get('generation') !== head.generation) {
      for (let start = 0; start < parts.length; start += PARTS_PER_COMMIT) {
        const batch = this.db.batch();
        for (const part of parts.slice(start, start + PARTS_PER_COMMIT)) batch.set(this.parts(snapshot.cluster).doc(partId(part.generation, part.index)), part);
        await batch.commit();
      }
    }
    await this.head(snapshot.cluster).set(head);
    // Also what a sweep that died between its parts and its head left behind.
    await this.deleteParts(snapshot.cluster, head.generation);
    return head;
  }

  /** No snapshot at all: one that can no longer be refreshed must not stand for the live network. */
  async remove(cluster: string): Promise<void> {
    await this.head(cluster).delete();
    await this.deleteParts(cluster);
  }

  private async deleteParts(cluster: string, keep?: string): Promise<void> {
    // An empty projection: the ids, without the parts' text.
    const listed = await this.parts(cluster).select().get();
    const stale = listed.docs.map((doc) => doc.ref).filter((ref) => keep === undefined || !ref.id.startsWith(`${keep}-`));
    for (let start = 0; start < stale.length; start += DELETES_PER_COMMIT) {
      const batch = this.db.batch();
      for (const ref of stale.slice(start, start + DELETES_PER_COMMIT)) batch.delete(ref);
      await batch.commit();
    }
  }

  /**
   * The head, and the snapshot it names unless that is generation `known` (the caller has it).
   * Throws SnapshotError when what is stored is not a whole snapshot.
   */
  async read(cluster: string, known?: string): Promise<{ head: SnapshotHead; snapshot?: NetworkSnapshot } | undefined> {
    for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
      const document = await this.head(cluster).get();
      if (!document.exists) return undefined;
      const parsed = SnapshotHeadSchema.safeParse(document.data());
      if (!parsed.success) throw new SnapshotError(`snapshot head of ${cluster}: ${zodIssueText(parsed.error)}`);
      const head = parsed.data;
      if (head.generation === known) return { head };
      const refs = Array.from({ length: head.parts }, (_, index) => this.parts(cluster).doc(partId(head.generation, index)));
      const parts = await this.db.getAll(...refs);
      if (parts.every((part) => part.exists)) return { head, snapshot: decodeSnapshot(head, parts.map((part) => part.data())) };
    }
    throw new SnapshotError(`snapshot of ${cluster}: its parts went missing twice while being read`);
  }
}
