import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalFirestore } from '../../functions/src/dev/firestore-emulator.js';
import { TcpProxy } from '../../functions/src/dev/tcp-proxy.js';
import { corpusEntries } from '../../functions/src/dev/corpus.js';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel } from '../../functions/src/core/model/cluster.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let emulator: LocalFirestore;
let proxy: TcpProxy;
let t: TestStack;

beforeAll(async () => {
  emulator = await LocalFirestore.start();
  proxy = await TcpProxy.start('127.0.0.1', emulator.port);
  // The stack's functions reach Firestore only through the proxy, which the test can cut.
  process.env['FIRESTORE_EMULATOR_HOST'] = proxy.host;
  t = await startTestStack({
    functions: ['logSink'],
    push: { minBackoffMs: 200, maxBackoffMs: 1000, maxDeliveryAttempts: 30, requestTimeoutMs: 5000, maxInFlight: 4 },
    env: { KFGUARD_HANDLER_DEADLINE_MS: '1500' },
  });
});

afterAll(async () => {
  await t?.stop();
  await proxy?.stop();
  emulator?.stop();
});

it('loses and double-counts nothing across a Firestore outage and the redeliveries it causes', async () => {
  const entries = [...corpusEntries({ entries: 240, deniedFraction: 0.6, seed: 11 })];
  const model = emptyClusterModel();
  const expected = entries.filter((entry) => diagnoseEntry(entry, { model }).kind === 'finding').length;
  await t.publishEntries(entries.slice(0, 80));
  await t.settle();
  proxy.setDown(true);
  const during = t.publishEntries(entries.slice(80, 160));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const failedSoFar = t.stack.pubsub.stats();
  proxy.setDown(false);
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
