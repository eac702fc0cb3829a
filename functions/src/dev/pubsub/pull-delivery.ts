import type { PubSubFailure } from './errors.js';
import { toProtoMessage } from './message.js';
import type { Delivery } from './message.js';

/** google.pubsub.v1.ReceivedMessage. */
export interface ReceivedMessage {
  ackId: string;
  message: Record<string, unknown>;
  deliveryAttempt: number;
}

/** One open StreamingPull call, as the queue sees it. */
export interface StreamSession {
  ackDeadlineSeconds: number;
  /** The client's flow-control limit; 0 means unlimited. */
  maxOutstandingMessages: number;
  outstanding: number;
  send(messages: ReceivedMessage[]): void;
  terminate(failure: PubSubFailure): void;
}

export interface PullSettings {
  ackDeadlineSeconds: number;
  /** Set only when the subscription has a dead-letter policy: pull messages are never dropped otherwise. */
  maxDeliveryAttempts: number | undefined;
}

export interface PullHooks {
  settings(): PullSettings;
  nextAckId(): string;
  attempted(delivery: Delivery): void;
  acked(delivery: Delivery): void;
  exhausted(delivery: Delivery): void;
}

interface Lease {
  delivery: Delivery;
  timer: NodeJS.Timeout;
  session: StreamSession | undefined;
}

// Real responses carry up to a few hundred messages; the exact cap does not matter to clients.
const MAX_MESSAGES_PER_RESPONSE = 100;

/** Pull delivery for one subscription: a backlog, leased messages with ack deadlines, and open streams. */
export class PullQueue {
  private readonly backlog: Delivery[] = [];
  private readonly leases = new Map<string, Lease>();
  private readonly sessions: StreamSession[] = [];
  private closed = false;

  constructor(private readonly hooks: PullHooks) {}

  enqueue(delivery: Delivery): void {
    if (this.closed) return;
    this.backlog.push(delivery);
    this.feedStreams();
  }

  /** Unary Pull: answers at once, possibly empty, which the real service is also allowed to do. */
  pull(maxMessages: number): ReceivedMessage[] {
    const batch = this.backlog.splice(0, Math.max(1, Math.min(maxMessages, MAX_MESSAGES_PER_RESPONSE)));
    return batch.map((delivery) => this.lease(delivery, this.hooks.settings().ackDeadlineSeconds, undefined));
  }

  attach(session: StreamSession): void {
    this.sessions.push(session);
    this.feedStreams();
  }

  /** Leases handed to the stream stay valid until their deadline, as with the real service. */
  detach(session: StreamSession): void {
    const index = this.sessions.indexOf(session);
    if (index >= 0) this.sessions.splice(index, 1);
  }

  /** Unknown or expired ack ids are ignored, like the real service does. */
  acknowledge(ackIds: readonly string[]): void {
    for (const ackId of ackIds) {
      const lease = this.release(ackId);
      if (lease) this.hooks.acked(lease.delivery);
    }
    this.feedStreams();
  }

  /**
   * A deadline of 0 is a nack. Unknown ack ids are ignored: the client's receipt modack for a message can
   * arrive after the same message was already nacked.
   */
  modifyAckDeadline(ackIds: readonly string[], seconds: number): void {
    for (const ackId of ackIds) {
      if (seconds <= 0) this.expire(ackId);
      else this.extend(ackId, seconds);
    }
  }

  /** Clears every deadline timer, ends the streams (when given a reason), returns every unsettled delivery. */
  close(reason?: PubSubFailure): Delivery[] {
    this.closed = true;
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
    if (reason) for (const session of this.sessions) session.terminate(reason);
    const abandoned = [...this.backlog, ...[...this.leases.values()].map((lease) => lease.delivery)];
    this.backlog.length = 0;
    this.leases.clear();
    this.sessions.length = 0;
    return abandoned;
  }

  private feedStreams(): void {
    let progressed = true;
    while (!this.closed && this.backlog.length > 0 && progressed) {
      progressed = false;
      // Round-robin over streams with spare flow-control room, like the real service spreads load.
      for (const session of [...this.sessions]) {
        const room = Math.min(spareRoom(session), this.backlog.length, MAX_MESSAGES_PER_RESPONSE);
        if (room <= 0) continue;
        const batch = this.backlog.splice(0, room);
        session.send(batch.map((delivery) => this.lease(delivery, session.ackDeadlineSeconds, session)));
        progressed = true;
      }
    }
  }

  private lease(delivery: Delivery, deadlineSeconds: number, session: StreamSession | undefined): ReceivedMessage {
    delivery.attempts += 1;
    this.hooks.attempted(delivery);
    const ackId = this.hooks.nextAckId();
    if (session) session.outstanding += 1;
    this.leases.set(ackId, { delivery, session, timer: this.deadlineTimer(ackId, deadlineSeconds) });
    // The real service fills deliveryAttempt only for subscriptions with a dead-letter policy.
    const deliveryAttempt = this.hooks.settings().maxDeliveryAttempts === undefined ? 0 : delivery.attempts;
    return { ackId, message: toProtoMessage(delivery.message), deliveryAttempt };
  }

  private deadlineTimer(ackId: string, seconds: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(ackId), seconds * 1000);
    // The gRPC server keeps the process alive while running; close() clears the timer anyway.
    timer.unref();
    return timer;
  }

  private extend(ackId: string, seconds: number): void {
    const lease = this.leases.get(ackId);
    if (!lease) return;
    clearTimeout(lease.timer);
    lease.timer = this.deadlineTimer(ackId, seconds);
  }

  private expire(ackId: string): void {
    const lease = this.release(ackId);
    if (!lease) return;
    const limit = this.hooks.settings().maxDeliveryAttempts;
    if (limit !== undefined && lease.delivery.attempts >= limit) {
      this.hooks.exhausted(lease.delivery);
      return;
    }
    this.backlog.push(lease.delivery);
    this.feedStreams();
  }

  private release(ackId: string): Lease | undefined {
    const lease = this.leases.get(ackId);
    if (!lease) return undefined;
    clearTimeout(lease.timer);
    this.leases.delete(ackId);
    if (lease.session) lease.session.outstanding -= 1;
    return lease;
  }
}

function spareRoom(session: StreamSession): number {
  return session.maxOutstandingMessages > 0 ? session.maxOutstandingMessages - session.outstanding : Number.POSITIVE_INFINITY;
}
