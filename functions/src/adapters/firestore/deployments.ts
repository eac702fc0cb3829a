import { FieldValue, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../../core/pipeline/names.js';
import type { StageName } from '../../core/deploy/stages.js';
import type { DeploymentRecord, StageRecord } from '../../core/deploy/records.js';
import { GRPC, grpcCode } from './client.js';

const HISTORY_LIMIT = 50;

export type BuildClaim = { claimed: true } | { claimed: false; buildId?: string; claimedAt: string; generation: number };

export class DeploymentStore {
  constructor(private readonly db: Firestore) {}

  private ref(id: string): DocumentReference {
    return this.db.collection(COLLECTIONS.deployments).doc(id);
  }

  private stageRef(id: string, stage: StageName): DocumentReference {
    return this.ref(id).collection('stages').doc(stage);
  }

  private buildRef(id: string, stage: StageName, attempt: number): DocumentReference {
    return this.ref(id).collection('builds').doc(`${stage}-${attempt}`);
  }

  /**
   * `create()` succeeds for exactly one caller, even against concurrent ones: the claims below are
   * all made of it (update-time preconditions would do too, but the local emulator ignores them).
   */
  private async createOnce(ref: DocumentReference, data: Record<string, unknown>): Promise<boolean> {
    try {
      await ref.create(data);
      return true;
    } catch (error) {
      if (grpcCode(error) === GRPC.ALREADY_EXISTS) return false;
      throw error;
    }
  }

  /** Creates the record; false when it exists already (a redelivered request). */
  async create(record: DeploymentRecord): Promise<boolean> {
    return this.createOnce(this.ref(record.id), { ...record });
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const snapshot = await this.ref(id).get();
    return snapshot.exists ? (snapshot.data() as DeploymentRecord) : undefined;
  }

  async update(id: string, changes: Partial<DeploymentRecord>, now: Date): Promise<void> {
    await this.ref(id).update({ ...changes, updatedAt: now.toISOString() });
  }

  /**
   * Takes over a start of the workflow that crashed: start `generation` is claimed by at most one
   * delivery, however many find the crashed start at the same time.
   */
  async takeOverStart(id: string, generation: number, now: Date): Promise<boolean> {
    const at = now.toISOString();
    if (!(await this.createOnce(this.ref(id).collection('starts').doc(String(generation)), { generation, at }))) return false;
    await this.update(id, { startingAt: at, startGeneration: generation }, now);
    return true;
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

  /**
   * A new ask of the stage (its first, a retry, or a poll): what the previous ask left (result,
   * build, errors) goes, while the stage's start and history stay.
   */
  async beginAsk(id: string, stage: StageName, ask: { attempt: number; poll: number; callbackUrl: string }, now: Date): Promise<void> {
    const at = now.toISOString();
    const existing = await this.stage(id, stage);
    const record: StageRecord = {
      stage,
      status: 'running',
      attempt: ask.attempt,
      polls: ask.poll,
      startedAt: existing?.startedAt ?? at,
      updatedAt: at,
      callbackUrl: ask.callbackUrl,
      callbackPosted: false,
      deliveries: 0,
      reason: null,
      finishedAt: null,
      lastError: null,
      buildId: null,
      outputs: null,
      result: null,
      history: [...(existing?.history ?? []), { at, status: 'running' as const, attempt: ask.attempt, poll: ask.poll }].slice(-HISTORY_LIMIT),
    };
    await this.stageRef(id, stage).set(record);
  }

  /** Updates the current ask's state, appending a status change to the stage's history. */
  async saveStage(id: string, stage: StageName, changes: Partial<Omit<StageRecord, 'stage' | 'attempt' | 'polls' | 'history'>>, now: Date): Promise<void> {
    const at = now.toISOString();
    const existing = await this.stage(id, stage);
    if (!existing) throw new Error(`deployment ${id} has no ${stage} stage record to update`);
    const history = changes.status ? [...existing.history, { at, status: changes.status, attempt: existing.attempt, poll: existing.polls, ...(changes.reason ? { reason: changes.reason } : {}) }].slice(-HISTORY_LIMIT) : existing.history;
    await this.stageRef(id, stage).set({ ...existing, ...changes, updatedAt: at, history });
  }

  /** Counts a delivery of the current ask that runs the handler; returns the count so far. */
  async countDelivery(id: string, stage: StageName): Promise<number> {
    await this.stageRef(id, stage).update({ deliveries: FieldValue.increment(1) });
    return Number((await this.stageRef(id, stage).get()).get('deliveries') ?? 1);
  }

  async noteError(id: string, stage: StageName, message: string): Promise<void> {
    await this.stageRef(id, stage).update({ lastError: message });
  }

  async markCallbackPosted(id: string, stage: StageName): Promise<void> {
    await this.stageRef(id, stage).update({ callbackPosted: true });
  }

  /**
   * Claims the right to start this stage attempt's Cloud Build job: `create()` succeeds for exactly
   * one delivery, so a redelivered StageRequest never starts a second build.
   */
  async claimBuild(id: string, stage: StageName, attempt: number, now: Date): Promise<BuildClaim> {
    const claim = this.buildRef(id, stage, attempt);
    if (await this.createOnce(claim, { stage, attempt, generation: 1, claimedAt: now.toISOString() })) return { claimed: true };
    const existing = (await claim.get()).data() as { buildId?: string; claimedAt: string; generation: number };
    return { claimed: false, claimedAt: existing.claimedAt, generation: existing.generation, ...(existing.buildId ? { buildId: existing.buildId } : {}) };
  }

  /** Takes over a claim whose holder never recorded a build; at most one delivery wins each generation. */
  async takeOverBuild(id: string, stage: StageName, attempt: number, generation: number, now: Date): Promise<boolean> {
    const claim = this.buildRef(id, stage, attempt);
    if (!(await this.createOnce(claim.collection('takeovers').doc(String(generation + 1)), { at: now.toISOString() }))) return false;
    await claim.update({ generation: generation + 1, claimedAt: now.toISOString() });
    return true;
  }

  async recordBuild(id: string, stage: StageName, attempt: number, buildId: string): Promise<void> {
    await this.buildRef(id, stage, attempt).update({ buildId });
  }
}
