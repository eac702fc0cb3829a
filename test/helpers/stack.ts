import { PubSub } from '@google-cloud/pubsub';
import { Firestore } from '@google-cloud/firestore';
import { DevStack, type DevStackOptions } from '../../functions/src/dev/stack.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';
import type { StoredFinding } from '../../functions/src/core/pipeline/finding-record.js';
import { resetRuntimeConfig } from '../../functions/src/adapters/config.js';
import { forgetSecrets } from '../../functions/src/adapters/secrets.js';

/** Push retries fast enough for tests, bounded so a broken handler fails the test quickly. */
export const FAST_PUSH = { minBackoffMs: 50, maxBackoffMs: 400, maxDeliveryAttempts: 8, requestTimeoutMs: 10_000, maxInFlight: 8 };

export interface TestStack {
  stack: DevStack;
  db: Firestore;
  pubsub: PubSub;
  /** Publishes LogEntries to the sink topic exactly as a Logging sink does. */
  publishEntries(entries: readonly unknown[]): Promise<string[]>;
  settle(timeoutMs?: number): Promise<void>;
  findings(): Promise<StoredFinding[]>;
  stop(): Promise<void>;
}

export async function startTestStack(options: DevStackOptions = {}): Promise<TestStack> {
  const stack = await DevStack.start({ push: FAST_PUSH, ...options, env: { KFGUARD_HANDLER_DEADLINE_MS: '8000', KFGUARD_REGISTRY_CACHE_MS: '1', ...options.env } });
  const db = new Firestore({ projectId: stack.projectId });
  const pubsub = new PubSub({ projectId: stack.projectId });
  const sink = pubsub.topic(TOPICS.logEvents, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
  return {
    stack,
    db,
    pubsub,
    publishEntries: (entries) =>
      Promise.all(
        entries.map((entry) =>
          sink.publishMessage({
            data: Buffer.from(JSON.stringify(entry)),
            attributes: { 'logging.googleapis.com/timestamp': String((entry as { timestamp?: string }).timestamp ?? new Date().toISOString()) },
          }),
        ),
      ),
    settle: (timeoutMs = 30_000) => stack.pubsub.waitForIdle(timeoutMs),
    findings: async () => (await db.collection('findings').get()).docs.map((doc) => doc.data() as StoredFinding),
    stop: async () => {
      await pubsub.close();
      await db.terminate();
      await stack.stop();
    },
  };
}

function applyEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetRuntimeConfig();
  forgetSecrets();
}

/**
 * Runs with these settings for the stack's functions, then puts the previous ones back. The
 * functions run in this process, under functions-framework, and read their configuration afresh.
 */
export async function withFunctionEnv(values: Record<string, string | undefined>, run: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  applyEnv(values);
  try {
    await run();
  } finally {
    applyEnv(saved);
  }
}

