import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { FindingStore } from '../../functions/src/adapters/firestore/findings.js';
import { EVENT_FUNCTIONS, MAX_DELIVERY_ATTEMPTS, TOPICS, topicPath } from '../../functions/src/core/pipeline/names.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ functions: ['logSink', 'healthSweep', 'notifier'], env: { KFGUARD_RESOLVE_AFTER_MINUTES: '0.01', KFGUARD_OUTBOX_GRACE_SECONDS: '0.5' } });
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

async function clearFindings(): Promise<void> {
  for (const collection of ['findings', 'events', 'notifications']) for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  t.stack.chat.messages.splice(0);
  t.stack.smtp.messages.splice(0);
}

/** Deletes the notifications topic for a while: publishing fails with NOT_FOUND, which the client does not retry. */
async function withoutNotificationsTopic(run: () => Promise<void>): Promise<void> {
  await t.pubsub.topic(TOPICS.notifications).delete();
  try {
    await run();
  } finally {
    const topic = topicPath(t.stack.projectId, TOPICS.notifications);
    const subscription = `projects/${t.stack.projectId}/subscriptions/kfguard-notifier-${TOPICS.notifications}`;
    t.stack.pubsub.createTopic(topic);
    // A deleted topic detaches its subscriptions for good: the notifier's is made again, as the stack wires it.
    await t.pubsub.subscription(subscription).delete();
    t.stack.pubsub.createPushSubscription(subscription, {
      topic,
      pushEndpoint: t.stack.functionUrl('notifier'),
      deadLetterTopic: topicPath(t.stack.projectId, TOPICS.deadLetter),
      maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
      maxInFlight: EVENT_FUNCTIONS.notifier.maxInstances * EVENT_FUNCTIONS.notifier.concurrency,
    });
  }
}

it('a Resolved notification whose publish failed after its commit is re-published by a later sweep, and delivered once', async () => {
  await clearFindings();
  await t.publishEntries([entry('publish-fails')]);
  await t.settle();
  await sleep(800);
  await withoutNotificationsTopic(async () => {
    t.stack.tick();
    await t.settle();
  });
  const [resolved] = await t.findings();
  expect(resolved).toMatchObject({ status: 'resolved', stateVersion: 2 });
  // The resolve was committed with its outbox entry; no redelivery of the tick sees the finding open again.
  expect((await t.db.collection('notifications').doc(`${resolved!.id}-v2`).get()).get('status')).toBe('pending');
  expect(headlines()).toEqual(['kfguard: New finding']);

  await sleep(600);
  for (let sweep = 0; sweep < 2; sweep++) {
    t.stack.tick();
    await t.settle();
  }
  expect(headlines()).toEqual(['kfguard: New finding', 'kfguard: Resolved']);
  expect((await t.db.collection('notifications').doc(`${resolved!.id}-v2`).get()).get('status')).toBe('delivered');
  expect(t.stack.smtp.messages.filter((message) => message.subject.startsWith('[kfguard] Resolved'))).toHaveLength(1);
});

it('a redelivered event that would reopen a finding writes nothing; the next real event reopens it once', async () => {
  await clearFindings();
  const deadLettered = t.stack.pubsub.stats().deadLettered;
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
  expect(t.stack.pubsub.stats().deadLettered).toBe(deadLettered);
});
