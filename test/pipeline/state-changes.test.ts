import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { FindingStore } from '../../functions/src/adapters/firestore/findings.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ functions: ['logSink', 'healthSweep', 'notifier'], env: { KFGUARD_RESOLVE_AFTER_MINUTES: '0.01' } });
});
afterAll(async () => t?.stop());

const entry = (insertId: string) => ({ ...fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'iap-blocked'), insertId, timestamp: new Date().toISOString() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const headlines = () => t.stack.chat.messages.map((message) => (message.body as any).cardsV2[0].card.header.title);

it('notifies exactly once per state change: opened, resolved, reopened; never while muted', async () => {
  await t.publishEntries([entry('a')]);
  await t.settle();
  expect(headlines()).toEqual(['kfguard: New finding']);

  await sleep(800);
  t.stack.tick();
  await t.settle();
  t.stack.tick();
  await t.settle();
  expect(headlines()).toEqual(['kfguard: New finding', 'kfguard: Resolved']);
  const [resolved] = await t.findings();
  expect(resolved).toMatchObject({ status: 'resolved', stateVersion: 2, count: 1 });

  await t.publishEntries([entry('b'), entry('b')]);
  await t.settle();
  expect(headlines()).toEqual(['kfguard: New finding', 'kfguard: Resolved', 'kfguard: Finding is back']);
  const [reopened] = await t.findings();
  expect(reopened).toMatchObject({ status: 'open', stateVersion: 3, count: 2 });

  await new FindingStore(t.db).setStatus(reopened!.id, 'muted', new Date());
  await t.publishEntries([entry('c')]);
  await t.settle();
  await sleep(800);
  t.stack.tick();
  await t.settle();
  expect(headlines()).toHaveLength(3);
  expect((await t.findings())[0]).toMatchObject({ status: 'muted', count: 3 });
  expect(t.stack.chat.messages.map((message) => message.requestId)).toEqual([`${reopened!.id}-v1`, `${reopened!.id}-v2`, `${reopened!.id}-v3`]);
  expect(t.stack.smtp.messages).toHaveLength(3);
});

it('a redelivered event that would reopen a finding writes nothing; the next real event reopens it once', async () => {
  for (const collection of ['findings', 'events', 'notifications']) for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  t.stack.chat.messages.splice(0);
  const first = { ...entry('redelivered'), insertId: 'redelivered' };
  await t.publishEntries([first]);
  await t.settle();
  const [opened] = await t.findings();
  await new FindingStore(t.db).setStatus(opened!.id, 'resolved', new Date());

  // The same LogEntry again, as Pub/Sub redelivers it: the event marker exists, so nothing changes.
  await t.publishEntries([first]);
  await t.settle();
  expect((await t.findings())[0]).toMatchObject({ status: 'resolved', stateVersion: 2, count: 1 });
  expect((await t.db.collection('notifications').get()).docs.map((doc) => doc.id)).toEqual([`${opened!.id}-v1`]);

  await t.publishEntries([entry('genuinely-new')]);
  await t.settle();
  expect((await t.findings())[0]).toMatchObject({ status: 'open', stateVersion: 3, count: 2 });
  expect(headlines()).toEqual(['kfguard: New finding', 'kfguard: Finding is back']);
  expect(t.stack.pubsub.stats().deadLettered).toBe(0);
});
