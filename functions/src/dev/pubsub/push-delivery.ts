import { setMaxListeners } from 'node:events';
import type { Delivery } from './message.js';
import { cloudEventRequest, postPush } from './push-http.js';
import type { PushAgents } from './push-http.js';

export interface PushPolicy {
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Used when a subscription sets no maxDeliveryAttempts of its own. */
  maxDeliveryAttempts: number;
  /** Used when a subscription sets no ackDeadlineSeconds of its own (the real push request deadline). */
  requestTimeoutMs: number;
  /** Concurrent POSTs per subscription. */
  maxInFlight: number;
}

export const DEFAULT_PUSH_POLICY: PushPolicy = Object.freeze({
  minBackoffMs: 100,
  maxBackoffMs: 10_000,
  maxDeliveryAttempts: 5,
  requestTimeoutMs: 60_000,
  maxInFlight: 16,
});

export function resolvePushPolicy(overrides: Partial<PushPolicy> = {}): PushPolicy {
  const policy = { ...DEFAULT_PUSH_POLICY, ...overrides };
  const positive = (key: keyof PushPolicy, integer: boolean): void => {
    const value = policy[key];
    if (!(value > 0) || (integer && !Number.isInteger(value))) throw new RangeError(`push policy: ${key} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  };
  positive('minBackoffMs', false);
  positive('maxBackoffMs', false);
  positive('requestTimeoutMs', false);
  positive('maxDeliveryAttempts', true);
  positive('maxInFlight', true);
  if (policy.maxBackoffMs < policy.minBackoffMs) throw new RangeError('push policy: maxBackoffMs must not be below minBackoffMs');
  return policy;
}

/**
 * Delay after the given number of failed attempts: doubles per failure from minBackoffMs, capped at
 * maxBackoffMs. Up to 10% jitter is added (never subtracted, so minBackoffMs stays a floor) to spread out
 * the retries of a burst that failed together.
 */
export function backoffDelayMs(failedAttempts: number, policy: Pick<PushPolicy, 'minBackoffMs' | 'maxBackoffMs'>, random: () => number = Math.random): number {
  const exponential = policy.minBackoffMs * 2 ** Math.max(0, failedAttempts - 1);
  const jittered = exponential * (1 + 0.1 * random());
  return Math.round(Math.min(policy.maxBackoffMs, Math.max(policy.minBackoffMs, jittered)));
}

/** Where and how hard to push, read at every attempt so a config update applies to queued messages too. */
export interface PushTarget {
  subscription: string;
  endpoint: string;
  maxDeliveryAttempts: number;
  requestTimeoutMs: number;
  /** Concurrent POSTs: a function's max instances times its per-instance concurrency. */
  maxInFlight: number;
}

export interface PushHooks {
  target(): PushTarget;
  attempted(delivery: Delivery): void;
  acked(delivery: Delivery): void;
  /** Out of attempts: the owner dead-letters or drops it. */
  exhausted(delivery: Delivery): void;
  /** Called after every settled attempt, so the owner can notice it went idle. */
  settled(): void;
  log(line: string): void;
}

/** Push delivery for one subscription: a ready queue, at most maxInFlight POSTs, and backoff timers. */
export class PushDispatcher {
  private readonly ready: Delivery[] = [];
  private readonly inFlight = new Set<Delivery>();
  private readonly backingOff = new Map<NodeJS.Timeout, Delivery>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    private readonly policy: PushPolicy,
    private readonly agents: PushAgents,
    private readonly hooks: PushHooks,
  ) {
  }

  /** True while any message is queued, being POSTed, or waiting out a backoff. */
  get busy(): boolean {
    return this.ready.length > 0 || this.inFlight.size > 0 || this.backingOff.size > 0;
  }

  get outstanding(): number {
    return this.ready.length + this.inFlight.size + this.backingOff.size;
  }

  enqueue(delivery: Delivery): void {
    if (this.closed) return;
    this.ready.push(delivery);
    this.pump();
  }

  /** Cancels timers and in-flight POSTs; returns every delivery that had not settled. */
  close(): Delivery[] {
    this.closed = true;
    this.abort.abort();
    for (const timer of this.backingOff.keys()) clearTimeout(timer);
    const abandoned = [...this.ready, ...this.inFlight, ...this.backingOff.values()];
    this.ready.length = 0;
    this.inFlight.clear();
    this.backingOff.clear();
    return abandoned;
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.hooks.target().maxInFlight) {
      const next = this.ready.shift();
      if (!next) return;
      void this.attempt(next);
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const target = this.hooks.target();
    this.inFlight.add(delivery);
    delivery.attempts += 1;
    this.hooks.attempted(delivery);
    const started = performance.now();
    const request = cloudEventRequest(delivery.message, target.subscription);
    // Every in-flight POST listens on this one signal, and a finished one until its socket closes:
    // up to twice the in-flight limit, which is not a leak.
    setMaxListeners(Math.max(10, 2 * target.maxInFlight + 1), this.abort.signal);
    const result = await postPush(target.endpoint, request, { timeoutMs: target.requestTimeoutMs, agents: this.agents, signal: this.abort.signal });
    if (this.closed) return;
    this.inFlight.delete(delivery);
    const where = `${target.subscription} message ${delivery.message.id} attempt ${delivery.attempts}/${target.maxDeliveryAttempts}`;
    const took = `${Math.round(performance.now() - started)} ms`;
    if (result.ok) {
      this.hooks.log(`push ok ${where}: ${result.detail} in ${took}`);
      this.hooks.acked(delivery);
    } else if (delivery.attempts >= target.maxDeliveryAttempts) {
      this.hooks.log(`push failed ${where}: ${result.detail} after ${took}; no attempts left`);
      this.hooks.exhausted(delivery);
    } else {
      const delay = backoffDelayMs(delivery.attempts, this.policy);
      this.hooks.log(`push failed ${where}: ${result.detail} after ${took}; retrying in ${delay} ms`);
      this.retryLater(delivery, delay);
    }
    this.pump();
    this.hooks.settled();
  }

  private retryLater(delivery: Delivery, delayMs: number): void {
    const timer = setTimeout(() => {
      this.backingOff.delete(timer);
      this.ready.push(delivery);
      this.pump();
    }, delayMs);
    // The gRPC server keeps the process alive while running; after close() the timer is cleared anyway.
    timer.unref();
    this.backingOff.set(timer, delivery);
  }
}
