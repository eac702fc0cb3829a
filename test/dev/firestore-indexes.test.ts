import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Firestore } from '@google-cloud/firestore';
import { LocalFirestore } from '../../functions/src/dev/firestore-emulator.js';
import { missingIndex, type IndexesFile, type StructuredQuery } from '../../functions/src/dev/firestore-indexes.js';

/**
 * The local emulator refuses what production Firestore refuses for want of an index, so a query
 * added without its index in firestore.indexes.json fails here first.
 */
const indexes: IndexesFile = {
  indexes: [
    {
      collectionGroup: 'findings',
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'status', order: 'ASCENDING' },
        { fieldPath: 'lastSeen', order: 'DESCENDING' },
      ],
    },
  ],
  fieldOverrides: [{ collectionGroup: 'findings', fieldPath: 'samples', indexes: [] }],
};

let emulator: LocalFirestore;
let db: Firestore;
beforeAll(async () => {
  emulator = await LocalFirestore.start({ indexes });
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  db = new Firestore({ projectId: 'kfguard-indexes', host: emulator.host, ssl: false, customHeaders: { Authorization: 'Bearer owner' } });
  await db.collection('findings').doc('a').set({ status: 'open', scope: 's', lastSeen: 2, severity: 'error', samples: ['x'] });
  await db.collection('findings').doc('b').set({ status: 'open', scope: 's', lastSeen: 5, severity: 'warning', samples: ['y'] });
});
afterAll(async () => {
  await db.terminate();
  emulator.stop();
});

const findings = () => db.collection('findings');
const ids = async (query: FirebaseFirestore.Query) => (await query.get()).docs.map((doc) => doc.id);

describe('index enforcement in the local Firestore emulator', () => {
  it('answers what single-field indexes serve: one field, or equalities alone', async () => {
    expect(await ids(findings().where('status', '==', 'open').where('scope', '==', 's'))).toEqual(['a', 'b']);
    expect(await ids(findings().orderBy('lastSeen', 'desc'))).toEqual(['b', 'a']);
    expect(await ids(findings().where('lastSeen', '>', 3))).toEqual(['b']);
  });

  it('answers a query a declared composite index serves', async () => {
    expect(await ids(findings().where('status', '==', 'open').orderBy('lastSeen', 'desc'))).toEqual(['b', 'a']);
  });

  it('refuses with FAILED_PRECONDITION and the index to add when none serves it', async () => {
    await expect(findings().where('status', '==', 'open').orderBy('lastSeen', 'asc').get()).rejects.toMatchObject({
      code: 9,
      details: expect.stringContaining('"collectionGroup":"findings","queryScope":"COLLECTION","fields":[{"fieldPath":"status","order":"ASCENDING"},{"fieldPath":"lastSeen","order":"ASCENDING"}]'),
    });
  });

  it('refuses a query on a field whose indexing is turned off', async () => {
    await expect(findings().where('samples', 'array-contains', 'x').get()).rejects.toMatchObject({ code: 9, details: expect.stringContaining('samples') });
  });
});

// The client retries a refused query for a few seconds, so the remaining shapes are checked on the rule itself.
const field = (field_path: string, op: number) => ({ field_filter: { field: { field_path }, op } });
const EQUAL = 5;
const GREATER_THAN = 3;
const query = (collection: string, filters: ReturnType<typeof field>[], orderBy: [string, number][] = [], allDescendants = false): StructuredQuery => ({
  from: [{ collection_id: collection, all_descendants: allDescendants }],
  where: { composite_filter: { op: 1, filters } },
  order_by: orderBy.map(([field_path, direction]) => ({ field: { field_path }, direction })),
});

describe('which queries need a composite index', () => {
  it('an equality with an inequality on another field needs one; the inequality field is ordered first', () => {
    expect(missingIndex(query('findings', [field('severity', EQUAL), field('lastSeen', GREATER_THAN)]), indexes)).toContain('{"fieldPath":"severity","order":"ASCENDING"},{"fieldPath":"lastSeen","order":"ASCENDING"}');
    expect(missingIndex(query('findings', [field('status', EQUAL), field('lastSeen', GREATER_THAN)], [['lastSeen', 2]]), indexes)).toBeUndefined();
  });

  it('a collection-group query is not served by a collection index', () => {
    expect(missingIndex(query('findings', [field('status', EQUAL)], [['lastSeen', 2]], true), indexes)).toContain('"queryScope":"COLLECTION_GROUP"');
  });

  it('ordering by the equality field, or by the document id, needs nothing more', () => {
    expect(missingIndex(query('findings', [field('scope', EQUAL)], [['scope', 1], ['__name__', 1]]), indexes)).toBeUndefined();
  });
});
