/**
 * A local Pub/Sub server for the dev stack. It speaks the real gRPC protocol (google.pubsub.v1 Publisher and
 * Subscriber, built from the .proto files of the installed client library) so code under test uses the real
 * @google-cloud/pubsub client, and it pushes to Cloud Functions the way Eventarc does: binary-mode
 * CloudEvents with retries, backoff and dead-lettering. A second, plain HTTP server exposes admin routes
 * for other processes.
 *
 *   const fake = await FakePubSub.start();
 *   process.env.PUBSUB_EMULATOR_HOST = fake.emulatorHost;   // before `new PubSub(...)`
 *   ...
 *   await subscription.close(); await pubsub.close(); await fake.stop();
 */
import * as grpc from '@grpc/grpc-js';
import { startAdminServer } from './admin-server.js';
import type { AdminServer } from './admin-server.js';
import { Broker, MAX_PUBLISH_BYTES } from './broker.js';
import type { BrokerStats } from './broker.js';
import type { MessageState } from './delivery-ledger.js';
import { unavailable } from './errors.js';
import { createGrpcServices } from './grpc-services.js';
import type { GrpcServices } from './grpc-services.js';
import { pubSubServiceDefinitions } from './proto.js';
import { resolvePushPolicy } from './push-delivery.js';
import type { PushPolicy } from './push-delivery.js';
import { createPushAgents, destroyPushAgents } from './push-http.js';
import type { PushAgents } from './push-http.js';
import type { PushSubscriptionConfig } from './subscription-settings.js';
import { bindGrpcOnLoopback } from '../listen.js';

export { DEFAULT_PUSH_POLICY, backoffDelayMs } from './push-delivery.js';
export type { PushPolicy } from './push-delivery.js';
export type { PushSubscriptionConfig } from './subscription-settings.js';
export type { MessageState } from './delivery-ledger.js';
export { PubSubFailure } from './errors.js';
export { IdleTimeoutError } from './idle-waiters.js';

export interface FakePubSubOptions {
  push?: Partial<PushPolicy>;
  /** Receives one line per push delivery, failure, dead-letter and drop. */
  log?: (line: string) => void;
  /** Loopback ports of the gRPC API and of the admin HTTP API (0 or absent: any free port). */
  port?: number;
  adminPort?: number;
}

export type FakePubSubStats = BrokerStats;

// How long stop() lets in-progress unary calls finish before cutting them off.
const SHUTDOWN_GRACE_MS = 1000;

export class FakePubSub {
  readonly emulatorHost: string;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly port: number,
    readonly adminUrl: string,
    private readonly broker: Broker,
    private readonly server: grpc.Server,
    private readonly services: GrpcServices,
    private readonly admin: AdminServer,
    private readonly agents: PushAgents,
  ) {
    this.emulatorHost = `127.0.0.1:${port}`;
  }

  static async start(options: FakePubSubOptions = {}): Promise<FakePubSub> {
    const policy = resolvePushPolicy(options.push);
    const agents = createPushAgents();
    const broker = new Broker(policy, agents, guardedLog(options.log));
    const services = createGrpcServices(broker);
    // Above the service's own 10 MB limit, so an oversized publish gets Pub/Sub's INVALID_ARGUMENT, not gRPC's RESOURCE_EXHAUSTED.
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 2 * MAX_PUBLISH_BYTES });
    const definitions = pubSubServiceDefinitions();
    server.addService(definitions.publisher, services.publisher);
    server.addService(definitions.subscriber, services.subscriber);
    const port = await bindGrpcOnLoopback(server, grpc.ServerCredentials.createInsecure(), options.port, 'local Pub/Sub');
    let admin: AdminServer;
    try {
      admin = await startAdminServer(broker, options.adminPort);
    } catch (error) {
      server.forceShutdown();
      destroyPushAgents(agents);
      throw error;
    }
    return new FakePubSub(port, admin.url, broker, server, services, admin, agents);
  }

  /** Full name (projects/P/topics/T). Idempotent. */
  createTopic(topic: string): void {
    this.broker.createTopic(topic);
  }

  /** Full name (projects/P/subscriptions/S). Idempotent: an existing push subscription takes the new config. */
  createPushSubscription(subscription: string, config: PushSubscriptionConfig): void {
    this.broker.createPushSubscription(subscription, config);
  }

  /** Idempotent. */
  createPullSubscription(subscription: string, topic: string): void {
    this.broker.createPullSubscription(subscription, topic);
  }

  /** In-process publish (same path as the gRPC Publish): returns message ids. */
  publish(topic: string, messages: { data: Buffer; attributes?: Record<string, string> }[]): string[] {
    return this.broker.publish(topic, messages);
  }

  /** id -> subscription -> state, for every subscription the message was fanned out to. */
  messageStates(messageIds: readonly string[]): Record<string, Record<string, MessageState>> {
    return this.broker.messageStates(messageIds);
  }

  /** Resolves when no push delivery is pending or in flight on any subscription (or rejects after timeoutMs). */
  waitForIdle(timeoutMs: number): Promise<void> {
    return this.broker.waitForIdle(timeoutMs);
  }

  stats(): FakePubSubStats {
    return this.broker.stats();
  }

  /**
   * Ends open StreamingPull calls with UNAVAILABLE (what a real server going away sends), stops delivery and
   * closes both servers. Close your clients first for a quiet exit: a client still subscribed will retry.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.services.endStreams(unavailable('fake Pub/Sub server is stopping'));
    this.broker.close();
    destroyPushAgents(this.agents);
    await Promise.all([this.admin.close(), shutdownGracefully(this.server)]);
  }
}

function shutdownGracefully(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(deadline);
      resolve();
    });
  });
}

/** A throwing log callback must not break delivery bookkeeping halfway through. */
function guardedLog(log: ((line: string) => void) | undefined): (line: string) => void {
  return (line) => {
    try {
      log?.(line);
    } catch {
      // The log line is lost; delivery carries on.
    }
  };
}
