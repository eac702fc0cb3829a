import { isFresh, liveNetwork, SnapshotError, type LiveNetwork, type SnapshotHead } from '../../core/pipeline/snapshot.js';
import type { RegisteredCluster } from '../../core/pipeline/registry.js';
import type { SnapshotStore } from '../firestore/snapshots.js';
import type { Logger } from '../logger.js';

interface Entry {
  checkedAt: number;
  head?: SnapshotHead;
  network?: LiveNetwork;
}

/**
 * Registered clusters' live networks, as their snapshots hold them: a cluster's head is read at
 * most once per `cacheMs`, its parts only when the sweep wrote another generation, and each
 * generation is built into an evaluator once. A snapshot past `maxAgeMinutes` is not used.
 */
export class LiveNetworks {
  private readonly entries = new Map<string, Entry>();
  /** Entries handled at once share one read: the local stack (and a function with concurrency) asks for a cluster many times before the first read answers. */
  private readonly reading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly store: SnapshotStore,
    private readonly cacheMs: number,
    private readonly maxAgeMinutes: number,
  ) {}

  async of(cluster: RegisteredCluster, now: Date, logger: Logger): Promise<LiveNetwork | undefined> {
    const cached = this.entries.get(cluster.key);
    const entry = cached && Date.now() - cached.checkedAt < this.cacheMs ? cached : await this.refreshOnce(cluster.key, cached, logger);
    return entry.head && entry.network && isFresh(entry.head, now, this.maxAgeMinutes) ? entry.network : undefined;
  }

  private refreshOnce(key: string, previous: Entry | undefined, logger: Logger): Promise<Entry> {
    const pending = this.reading.get(key) ?? this.refresh(key, previous, logger).finally(() => this.reading.delete(key));
    this.reading.set(key, pending);
    return pending;
  }

  private async refresh(key: string, previous: Entry | undefined, logger: Logger): Promise<Entry> {
    const entry: Entry = { checkedAt: Date.now() };
    try {
      const read = await this.store.read(key, previous?.network ? previous.head?.generation : undefined);
      if (read) {
        entry.head = read.head;
        const network = read.snapshot ? liveNetwork(read.snapshot) : previous?.network;
        if (network) entry.network = network;
        if (read.snapshot) logger.info(`loaded the live network of ${key}`, { cluster: key, generation: read.head.generation, rules: read.head.rules, takenAt: read.head.takenAt });
      }
    } catch (error) {
      // A broken snapshot must not stop the log events: they are diagnosed as if the cluster had none.
      if (!(error instanceof SnapshotError)) throw error;
      logger.warn(`the snapshot of ${key} cannot be used: ${error.message}`, { cluster: key });
    }
    this.entries.set(key, entry);
    return entry;
  }
}
