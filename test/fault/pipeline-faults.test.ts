import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyMode } from '../../functions/src/dev/tcp-proxy.js';
import { corpusEntries } from '../../functions/src/dev/corpus.js';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel } from '../../functions/src/core/model/cluster.js';
import { startProxiedFirestore } from '../helpers/firestore.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Everything at-least-once delivery and a flaky world do to the pipeline, at once: every message
 * delivered three times, function instances that die before committing (the commit hangs) and
 * after committing (the reply is lost), a Firestore outage, Chat answering 429, 5xx and too late,
 * and the mail server down. What must hold: exact counts, one notification per state change,
 * nothing dead-lettered. Every wait is bounded.
 */
const FAULT_WINDOW_MS = 2000;
const COPIES = 3;

let firestore: Awaited<ReturnType<typeof startProxiedFirestore>>;
let t: TestStack;

beforeAll(async () => {
  // The functions reach Firestore only through the proxy, which the test turns faulty.
  firestore = await startProxiedFirestore();
  t = await startTestStack({
    functions: ['logSink', 'notifier'],
    push: { minBackoffMs: 100, maxBackoffMs: 1000, maxDeliveryAttempts: 40, requestTimeoutMs: 20_000, maxInFlight: 8 },
    env: { KFGUARD_HANDLER_DEADLINE_MS: '1500', KFGUARD_CHAT_BACKOFF_MS: '50', KFGUARD_CHAT_PER_MINUTE: '1000', KFGUARD_CHAT_TIMEOUT_MS: '1500' },
  });
}, 60_000);

afterAll(async () => {
  await t?.stop();
  await firestore?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes every entry COPIES times while Firestore behaves as `mode`, then restores it. */
async function stormDuring(mode: ProxyMode, entries: readonly Record<string, unknown>[]): Promise<{ deliveries: number; acked: number }> {
  const published = t.publishEntries(entries.flatMap((entry) => Array<Record<string, unknown>>(COPIES).fill(entry)));
  firestore.proxy.setMode(mode);
  await sleep(FAULT_WINDOW_MS);
  const during = t.stack.pubsub.stats();
  firestore.proxy.setMode('up');
  await published;
  return during;
}

describe('the pipeline under faults', () => {
  it('counts every event exactly once and sends one notification per new finding', async () => {
    const entries = [...corpusEntries({ entries: 600, deniedFraction: 0.7, seed: 23 })].filter((entry) => (entry['jsonPayload'] as { disposition?: string } | undefined)?.disposition !== 'ALLOWED');
    const model = emptyClusterModel();
    const recorded = entries.filter((entry) => diagnoseEntry(entry, { model }).kind === 'finding');
    expect(recorded.length).toBeGreaterThan(150);
    const third = Math.ceil(entries.length / 3);

    // Chat: rate-limited, failing, then too slow to answer (the message is accepted, the reply comes
    // after the notifier gave up: its retry must not post twice). The mail server is down at first.
    t.stack.chat.failNext({ status: 429, retryAfterSeconds: 1 }, { status: 500 }, { status: 503 }, { delayMs: 3000 });
    t.stack.smtp.setDown(true);
    const mailBackUp = sleep(3 * FAULT_WINDOW_MS).then(() => t.stack.smtp.setDown(false));

    const beforeCommit = await stormDuring('blackhole', entries.slice(0, third));
    const afterCommit = await stormDuring('lose-replies', entries.slice(third, 2 * third));
    const outage = await stormDuring('down', entries.slice(2 * third));
    await mailBackUp;
    await t.settle(110_000);

    // Each fault really failed deliveries that Pub/Sub then retried.
    for (const during of [beforeCommit, afterCommit, outage]) expect(during.deliveries).toBeGreaterThan(during.acked);
    const stats = t.stack.pubsub.stats();
    expect(stats.deadLettered).toBe(0);

    const findings = await t.findings();
    expect(findings.reduce((sum, finding) => sum + finding.count, 0)).toBe(recorded.length);
    expect((await t.db.collection('events').get()).size).toBe(recorded.length);

    const notifications: Record<string, unknown>[] = (await t.db.collection('notifications').get()).docs.map((doc) => ({ ...doc.data(), id: doc.id }));
    expect(notifications).toHaveLength(findings.length);
    expect(notifications.every((notification) => notification['status'] === 'delivered')).toBe(true);
    const chatRequests = t.stack.chat.messages.map((message) => message.requestId);
    expect(new Set(chatRequests).size).toBe(chatRequests.length);
    expect(chatRequests.sort()).toEqual(notifications.map((notification) => notification['id']).sort());
    expect(t.stack.chat.attempts.map((attempt) => attempt.status)).toEqual(expect.arrayContaining([429, 500, 503]));
    // The slow reply made the notifier post again; Chat folded the copy by its request id.
    expect(t.stack.chat.attempts.filter((attempt) => attempt.status === 200).length).toBeGreaterThan(chatRequests.length);
    // Email has no request id to deduplicate on: one message per notification, the mail server's outage notwithstanding.
    expect(t.stack.smtp.messages).toHaveLength(findings.length);
  }, 180_000);
});
