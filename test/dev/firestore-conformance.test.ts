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
});
