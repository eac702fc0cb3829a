import { afterAll, beforeAll, expect, it } from 'vitest';
import { corpusEntries } from '../../functions/src/dev/corpus.js';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel } from '../../functions/src/core/model/cluster.js';
import { startProxiedFirestore } from '../helpers/firestore.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let firestore: Awaited<ReturnType<typeof startProxiedFirestore>>;
let t: TestStack;

beforeAll(async () => {
  // The stack's functions reach Firestore only through the proxy, which the test can cut.
  firestore = await startProxiedFirestore();
  t = await startTestStack({
    functions: ['logSink'],
    push: { minBackoffMs: 200, maxBackoffMs: 1000, maxDeliveryAttempts: 30, requestTimeoutMs: 5000, maxInFlight: 4 },
    env: { KFGUARD_HANDLER_DEADLINE_MS: '1500' },
  });
});

afterAll(async () => {
  await t?.stop();
  await firestore?.stop();
});

it('loses and double-counts nothing across a Firestore outage and the redeliveries it causes', async () => {
  const entries = [...corpusEntries({ entries: 240, deniedFraction: 0.6, seed: 11 })];
  const model = emptyClusterModel();
  const expected = entries.filter((entry) => diagnoseEntry(entry, { model }).kind === 'finding').length;
  await t.publishEntries(entries.slice(0, 80));
  await t.settle();
  firestore.proxy.setDown(true);
  const during = t.publishEntries(entries.slice(80, 160));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const failedSoFar = t.stack.pubsub.stats();
  firestore.proxy.setDown(false);
  await during;
  await t.publishEntries(entries.slice(160));
  await t.settle(90_000);
  const stats = t.stack.pubsub.stats();
  // The outage really caused failed deliveries that Pub/Sub retried, and nothing was dead-lettered.
  expect(failedSoFar.deliveries).toBeGreaterThan(failedSoFar.acked);
  expect(stats.deadLettered).toBe(0);
  const findings = await t.findings();
  expect(findings.reduce((sum, finding) => sum + finding.count, 0)).toBe(expected);
  expect((await t.db.collection('events').get()).size).toBe(expected);
}, 120_000);
