import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FieldValue, Timestamp } from '@google-cloud/firestore';
import { startTestFirestore, type TestFirestore } from '../helpers/firestore.js';

/**
 * The Firestore behaviours kfguard's stores rely on, checked against whichever emulator the tests
 * use. If a future emulator (or the real service) behaves differently, this fails first.
 */
let fs: TestFirestore;
beforeAll(async () => {
  fs = await startTestFirestore();
});
afterAll(async () => fs.stop());
beforeEach(async () => fs.clear());

describe('Firestore behaviours kfguard relies on', () => {
  it('create() fails with ALREADY_EXISTS (6) when the document exists', async () => {
    const ref = fs.db.collection('events').doc('e1');
    await ref.create({ a: 1 });
    await expect(ref.create({ a: 2 })).rejects.toMatchObject({ code: 6 });
    expect((await ref.get()).data()).toEqual({ a: 1 });
  });

  it('a batch whose first write is a failing create applies nothing', async () => {
    const db = fs.db;
    await db.collection('events').doc('dup').create({ x: 1 });
    await db.collection('findings').doc('f').set({ count: 1 });
    const batch = db.batch();
    batch.create(db.collection('events').doc('dup'), { x: 2 });
    batch.update(db.collection('findings').doc('f'), { count: FieldValue.increment(1) });
    await expect(batch.commit()).rejects.toMatchObject({ code: 6 });
    expect((await db.collection('findings').doc('f').get()).get('count')).toBe(1);
  });

  it('creates and increments commit together', async () => {
    const db = fs.db;
    await db.collection('findings').doc('f').set({ count: 1 });
    const batch = db.batch();
    batch.create(db.collection('notifications').doc('n'), { status: 'pending' });
    batch.create(db.collection('events').doc('e'), { at: Timestamp.now() });
    batch.update(db.collection('findings').doc('f'), { count: FieldValue.increment(2), lastSeen: '2026-01-01T00:00:00Z' });
    await batch.commit();
    expect((await db.collection('findings').doc('f').get()).data()).toEqual({ count: 3, lastSeen: '2026-01-01T00:00:00Z' });
    expect((await db.collection('notifications').doc('n').get()).exists).toBe(true);
  });

  it('concurrent increments in separate commits are all applied', async () => {
    const ref = fs.db.collection('findings').doc('hot');
    await ref.set({ count: 0 });
    await Promise.all(Array.from({ length: 25 }, () => ref.update({ count: FieldValue.increment(1) })));
    expect((await ref.get()).get('count')).toBe(25);
  });

  it('equality and in queries, and Timestamp round trips', async () => {
    const db = fs.db;
    await Promise.all([
      db.collection('findings').doc('a').set({ status: 'open', scope: 's1' }),
      db.collection('findings').doc('b').set({ status: 'resolved', scope: 's1' }),
      db.collection('findings').doc('c').set({ status: 'open', scope: 's2' }),
      db.collection('operations').doc('o').set({ status: 'RUNNING', at: Timestamp.fromMillis(1_700_000_000_123) }),
    ]);
    const open = await db.collection('findings').where('status', '==', 'open').where('scope', '==', 's1').get();
    expect(open.docs.map((doc) => doc.id)).toEqual(['a']);
    const running = await db.collection('operations').where('status', 'in', ['PENDING', 'RUNNING']).get();
    expect(running.docs[0]!.get('at').toMillis()).toBe(1_700_000_000_123);
  });

  it('update() of a missing document fails with NOT_FOUND (5)', async () => {
    await expect(fs.db.collection('findings').doc('missing').update({ count: 1 })).rejects.toMatchObject({ code: 5 });
  });

  it('orderBy desc with limit returns the newest first (DeploymentStore.recent)', async () => {
    const db = fs.db;
    for (const [id, createdAt] of [['a', '2026-03-01T10:00:00.000Z'], ['b', '2026-03-03T10:00:00.000Z'], ['c', '2026-03-02T10:00:00.000Z']]) {
      await db.collection('deployments').doc(id!).set({ createdAt });
    }
    const snapshot = await db.collection('deployments').orderBy('createdAt', 'desc').limit(2).get();
    expect(snapshot.docs.map((doc) => doc.id)).toEqual(['b', 'c']);
  });

  it('a >= range on ISO strings includes the bound and excludes what came before (FindingStore.changedSince)', async () => {
    const db = fs.db;
    await db.collection('findings').doc('before').set({ statusChangedAt: '2026-03-02T09:59:59.999Z' });
    await db.collection('findings').doc('at').set({ statusChangedAt: '2026-03-02T10:00:00.000Z' });
    await db.collection('findings').doc('after').set({ statusChangedAt: '2026-03-02T10:00:00.001Z' });
    const snapshot = await db.collection('findings').where('statusChangedAt', '>=', '2026-03-02T10:00:00.000Z').get();
    expect(snapshot.docs.map((doc) => doc.id).sort()).toEqual(['after', 'at']);
  });

  it('update() with dotted paths sets nested fields and keeps their siblings (NotificationStore.setChannel)', async () => {
    const ref = fs.db.collection('notifications').doc('n');
    await ref.set({ status: 'pending', channels: { email: 'delivered' } });
    await ref.update({ 'channels.chat': 'failed', chatState: 'failed', 'errors.chat': 'Chat refused the message with HTTP 400' });
    expect((await ref.get()).data()).toEqual({ status: 'pending', chatState: 'failed', channels: { email: 'delivered', chat: 'failed' }, errors: { chat: 'Chat refused the message with HTTP 400' } });
  });

  it('set() with mergeFields replaces the named fields whole and keeps the others (ClusterRegistry.update)', async () => {
    const ref = fs.db.collection('clusters').doc('p:l:c');
    await ref.set({ key: 'p:l:c', model: { network: 'old', masterCidr: '172.16.0.32/28' }, lastSweep: { at: 't1', status: 'error', openFindings: 1, error: 'GKE API: unavailable' } });
    const changes = { model: { network: 'new' }, lastSweep: { at: 't2', status: 'ok', openFindings: 0 } };
    await ref.set(changes, { mergeFields: Object.keys(changes) });
    expect((await ref.get()).data()).toEqual({ key: 'p:l:c', ...changes });
  });

  it('set() with merge merges nested maps field by field', async () => {
    const ref = fs.db.collection('clusters').doc('p:l:c');
    await ref.set({ key: 'p:l:c', lastSweep: { at: 't1', status: 'error', error: 'GKE API: unavailable' } });
    await ref.set({ lastSweep: { at: 't2', status: 'ok' } }, { merge: true });
    expect((await ref.get()).data()).toEqual({ key: 'p:l:c', lastSweep: { at: 't2', status: 'ok', error: 'GKE API: unavailable' } });
  });

  it('serverTimestamp() is stored as a Timestamp of the commit (DeploymentStore.claimBuild)', async () => {
    const ref = fs.db.collection('builds').doc('b');
    const before = Date.now();
    await ref.create({ claimedAt: FieldValue.serverTimestamp() });
    const claimedAt = (await ref.get()).get('claimedAt') as Timestamp;
    expect(claimedAt).toBeInstanceOf(Timestamp);
    expect(claimedAt.toMillis()).toBeGreaterThanOrEqual(before - 1000);
    expect(claimedAt.toMillis()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('a batch of create() then FieldValue.increment applies both, and its redelivery applies neither (FindingStore.record)', async () => {
    const db = fs.db;
    const finding = db.collection('findings').doc('f');
    await finding.set({ count: 1, status: 'resolved' });
    const commit = () => {
      const batch = db.batch();
      batch.create(db.collection('events').doc('e'), { findingId: 'f' });
      batch.create(db.collection('notifications').doc('f-v3'), { status: 'pending' });
      batch.update(finding, { count: FieldValue.increment(1), status: 'open' });
      return batch.commit();
    };
    await commit();
    await db.collection('notifications').doc('f-v3').delete();
    await expect(commit()).rejects.toMatchObject({ code: 6 });
    expect((await finding.get()).data()).toEqual({ count: 2, status: 'open' });
    expect((await db.collection('notifications').doc('f-v3').get()).exists).toBe(false);
  });

  it('an equality query with limit returns at most that many (NotificationStore.pending)', async () => {
    const db = fs.db;
    for (let i = 0; i < 5; i++) await db.collection('notifications').doc(`n${i}`).set({ status: i === 4 ? 'delivered' : 'pending' });
    const snapshot = await db.collection('notifications').where('status', '==', 'pending').limit(3).get();
    expect(snapshot.size).toBe(3);
    expect(snapshot.docs.every((doc) => doc.get('status') === 'pending')).toBe(true);
  });

  it('set() with merge and FieldValue.increment starts a missing counter at the increment and adds to an existing one (FindingStore port groups)', async () => {
    const ref = fs.db.collection('portGroups').doc('g');
    for (let i = 0; i < 3; i++) {
      const batch = fs.db.batch();
      batch.create(fs.db.collection('events').doc(`port-${i}`), { i });
      batch.set(ref, { findings: FieldValue.increment(1) }, { merge: true });
      await batch.commit();
    }
    expect((await ref.get()).get('findings')).toBe(3);
  });
});
