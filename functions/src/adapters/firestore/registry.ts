import type { Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../../core/pipeline/names.js';
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

  async update(key: string, changes: Partial<RegisteredCluster>): Promise<void> {
    await this.db.collection(COLLECTIONS.clusters).doc(key).set(changes, { merge: true });
    this.cache = undefined;
  }
}
