import type { Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../../core/pipeline/names.js';
import type { BackstopCursor } from '../../core/pipeline/backstop-cursor.js';
import type { RegisteredCluster } from '../../core/pipeline/registry.js';

/**
 * The `clusters` collection. Every log event needs it, so reads are cached per process for a
 * short time: a cluster registered now is matched within `cacheMs`.
 */
export class ClusterRegistry {
  private cache: { at: number; clusters: RegisteredCluster[] } | undefined;

  constructor(
    private readonly db: Firestore,
    private readonly cacheMs: number,
  ) {}

  async list(): Promise<RegisteredCluster[]> {
    if (this.cache && Date.now() - this.cache.at < this.cacheMs) return this.cache.clusters;
    const snapshot = await this.db.collection(COLLECTIONS.clusters).get();
    const clusters = snapshot.docs.map((doc) => doc.data() as RegisteredCluster);
    this.cache = { at: Date.now(), clusters };
    return clusters;
  }

  async put(cluster: RegisteredCluster): Promise<void> {
    await this.db.collection(COLLECTIONS.clusters).doc(cluster.key).set(cluster);
    this.cache = undefined;
  }

  /**
   * Replaces the given top-level fields whole: `merge: true` would merge nested maps, and an old
   * `lastSweep.error` would outlive the sweep that succeeded after it.
   */
  async update(key: string, changes: Partial<RegisteredCluster>): Promise<void> {
    await this.db.collection(COLLECTIONS.clusters).doc(key).set(changes, { mergeFields: Object.keys(changes) });
    this.cache = undefined;
  }
}

/** The sweep's Cloud Logging backstop cursors, one per project, next to the clusters it reads for. */
export class BackstopCursorStore {
  constructor(private readonly db: Firestore) {}

  private ref(project: string) {
    return this.db.collection(COLLECTIONS.cursors).doc(`backstop:${project}`);
  }

  async get(project: string): Promise<BackstopCursor | undefined> {
    const snapshot = await this.ref(project).get();
    return snapshot.exists ? (snapshot.data() as BackstopCursor) : undefined;
  }

  async save(cursor: BackstopCursor): Promise<void> {
    await this.ref(cursor.project).set(cursor);
  }
}
