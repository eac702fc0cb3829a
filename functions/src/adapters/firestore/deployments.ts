import { FieldValue, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../../core/pipeline/names.js';
import type { StageName } from '../../core/deploy/stages.js';
import type { DeploymentRecord, StageRecord, StageStatus } from '../../core/deploy/records.js';
import { GRPC, grpcCode } from './client.js';

const HISTORY_LIMIT = 50;

export class DeploymentStore {
  constructor(private readonly db: Firestore) {}

  private ref(id: string): DocumentReference {
    return this.db.collection(COLLECTIONS.deployments).doc(id);
  }

  private stageRef(id: string, stage: StageName): DocumentReference {
    return this.ref(id).collection('stages').doc(stage);
  }

  /** Creates the record; false when it exists already (a redelivered request). */
  async create(record: DeploymentRecord): Promise<boolean> {
    try {
      await this.ref(record.id).create(record);
      return true;
    } catch (error) {
      if (grpcCode(error) === GRPC.ALREADY_EXISTS) return false;
      throw error;
    }
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const snapshot = await this.ref(id).get();
    return snapshot.exists ? (snapshot.data() as DeploymentRecord) : undefined;
  }

  async update(id: string, changes: Partial<DeploymentRecord>, now: Date): Promise<void> {
    await this.ref(id).update({ ...changes, updatedAt: now.toISOString() });
  }

  async list(): Promise<DeploymentRecord[]> {
    return (await this.db.collection(COLLECTIONS.deployments).get()).docs.map((doc) => doc.data() as DeploymentRecord);
  }

  /** The latest deployments, newest first. */
  async recent(limit: number): Promise<DeploymentRecord[]> {
    const snapshot = await this.db.collection(COLLECTIONS.deployments).orderBy('createdAt', 'desc').limit(limit).get();
    return snapshot.docs.map((doc) => doc.data() as DeploymentRecord);
  }

  async stage(id: string, stage: StageName): Promise<StageRecord | undefined> {
    const snapshot = await this.stageRef(id, stage).get();
    return snapshot.exists ? (snapshot.data() as StageRecord) : undefined;
  }

  async stages(id: string): Promise<StageRecord[]> {
    return (await this.ref(id).collection('stages').get()).docs.map((doc) => doc.data() as StageRecord);
  }

  /** Writes a stage's state and appends it to the stage's history. */
  async saveStage(id: string, stage: StageName, changes: Partial<StageRecord> & { status: StageStatus; attempt: number }, now: Date): Promise<void> {
    const at = now.toISOString();
    const existing = await this.stage(id, stage);
    const history = [...(existing?.history ?? []), { at, status: changes.status, attempt: changes.attempt, ...(changes.reason ? { reason: changes.reason } : {}) }].slice(-HISTORY_LIMIT);
    const base = existing && existing.attempt === changes.attempt ? existing : { stage, startedAt: at };
    await this.stageRef(id, stage).set({ ...base, ...changes, stage, updatedAt: at, history });
  }

  async markCallbackPosted(id: string, stage: StageName): Promise<void> {
    await this.stageRef(id, stage).update({ callbackPosted: true });
  }

  /**
   * Claims the right to start this stage attempt's Cloud Build job: `create()` succeeds for exactly
   * one delivery, so a redelivered StageRequest never starts a second build.
   */
  async claimBuild(id: string, stage: StageName, attempt: number): Promise<{ claimed: true } | { claimed: false; buildId?: string }> {
    const claim = this.ref(id).collection('builds').doc(`${stage}-${attempt}`);
    try {
      await claim.create({ stage, attempt, claimedAt: FieldValue.serverTimestamp() });
      return { claimed: true };
    } catch (error) {
      if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
      const buildId = (await claim.get()).get('buildId') as string | undefined;
      return buildId ? { claimed: false, buildId } : { claimed: false };
    }
  }

  async recordBuild(id: string, stage: StageName, attempt: number, buildId: string): Promise<void> {
    await this.ref(id).collection('builds').doc(`${stage}-${attempt}`).update({ buildId });
  }
}
