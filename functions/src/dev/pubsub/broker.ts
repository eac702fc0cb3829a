import { DeliveryLedger } from './delivery-ledger.js';
import type { FinalState, MessageState } from './delivery-ledger.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, unavailable } from './errors.js';
import { IdleWaiters } from './idle-waiters.js';
import type { Delivery, OutgoingMessage, StoredMessage } from './message.js';
import { checkTopicName, DELETED_TOPIC, projectOf, resourceIdOf } from './names.js';
import { PullQueue } from './pull-delivery.js';
import type { ReceivedMessage, StreamSession } from './pull-delivery.js';
import { PushDispatcher } from './push-delivery.js';
import type { PushPolicy } from './push-delivery.js';
import type { PushAgents } from './push-http.js';
import { checkSettingsShape, pullOnlySettings, pullSettings, pushSettings, pushTarget, subscriptionResource } from './subscription-settings.js';
import type { PushSubscriptionConfig, SubscriptionSettings } from './subscription-settings.js';
import type { WireRecord } from './wire.js';

export interface BrokerStats {
  topics: number;
  published: number;
  deliveries: number;
  acked: number;
  deadLettered: number;
  dropped: number;
  pending: number;
}

type DeliveryChannel = { kind: 'push'; dispatcher: PushDispatcher } | { kind: 'pull'; queue: PullQueue };

interface SubscriptionRecord {
  settings: SubscriptionSettings;
  /** Fields a gRPC client sent that the fake echoes back without acting on them (labels, retention, ...). */
  extra: WireRecord;
  channel: DeliveryChannel;
}

/** All Pub/Sub state and delivery logic, shared by the gRPC services, the admin server and the in-process API. */
export class Broker {
  private readonly topics = new Map<string, WireRecord>();
  private readonly subscriptions = new Map<string, SubscriptionRecord>();
  private readonly ledger = new DeliveryLedger();
  private readonly idleWaiters = new IdleWaiters();
  private lastMessageId = 0;
  private lastAckId = 0;
  private published = 0;
  private deliveries = 0;
  private closed = false;

  constructor(
    private readonly policy: PushPolicy,
    private readonly agents: PushAgents,
    private readonly log: (line: string) => void,
  ) {}

  // ---- topics

  createTopic(name: string): void {
    if (!this.topics.has(checkTopicName(name))) this.insertTopic(name, {});
  }

  /** The gRPC flavour: an existing topic is an error. */
  insertTopic(name: string, extra: WireRecord): WireRecord {
    this.assertOpen();
    if (this.topics.has(checkTopicName(name))) throw alreadyExists(name);
    this.topics.set(name, { ...extra, name });
    return this.getTopic(name);
  }

  getTopic(name: string): WireRecord {
    const topic = this.topics.get(name);
    if (!topic) throw notFound(name);
    return topic;
  }

  listTopics(project: string): WireRecord[] {
    return [...this.topics.values()].filter((topic) => String(topic['name']).startsWith(`${project}/topics/`));
  }

  listTopicSubscriptions(topic: string): string[] {
    this.getTopic(topic);
    return [...this.subscriptions.values()].filter((record) => record.settings.topic === topic).map((record) => record.settings.name);
  }

  /** Like the real service, subscriptions survive and report their topic as "_deleted-topic_". */
  deleteTopic(name: string): void {
    if (!this.topics.delete(name)) throw notFound(name);
    for (const record of this.subscriptions.values()) {
      if (record.settings.topic === name) record.settings.topic = DELETED_TOPIC;
    }
  }

  // ---- publishing

  /** Fans each message out to the subscriptions attached to the topic right now; returns ids in order. */
  publish(topic: string, messages: readonly OutgoingMessage[]): string[] {
    this.assertOpen();
    if (!this.topics.has(topic)) throw notFound(topic);
    checkPublishable(messages);
    const subscribers = [...this.subscriptions.values()].filter((record) => record.settings.topic === topic);
    return messages.map((outgoing) => {
      const message = this.store(topic, outgoing);
      for (const record of subscribers) this.deliver(record, message);
      return message.id;
    });
  }

  private store(topic: string, outgoing: OutgoingMessage): StoredMessage {
    this.published += 1;
    this.lastMessageId += 1;
    return {
      id: String(this.lastMessageId),
      topic,
      data: Buffer.from(outgoing.data),
      attributes: { ...outgoing.attributes },
      orderingKey: outgoing.orderingKey ?? '',
      publishTime: new Date(),
    };
  }

  private deliver(record: SubscriptionRecord, message: StoredMessage): void {
    this.ledger.open(message.id, record.settings.name);
    const delivery: Delivery = { message, attempts: 0 };
    if (record.channel.kind === 'push') record.channel.dispatcher.enqueue(delivery);
    else record.channel.queue.enqueue(delivery);
  }

  // ---- subscriptions

  /** Idempotent: an existing push subscription on the same topic takes the new config. */
  createPushSubscription(name: string, config: PushSubscriptionConfig): void {
    const settings = pushSettings(name, config);
    const existing = this.subscriptions.get(name);
    if (!existing) {
      this.insertSubscription(settings, {});
      return;
    }
    this.checkSameKind(existing, settings);
    this.checkSettings(settings);
    existing.settings = settings;
  }

  /** Idempotent: an existing pull subscription on the same topic is left as it is. */
  createPullSubscription(name: string, topic: string): void {
    const settings = pullOnlySettings(name, topic);
    const existing = this.subscriptions.get(name);
    if (existing) this.checkSameKind(existing, settings);
    else this.insertSubscription(settings, {});
  }

  /** The gRPC flavour: an existing subscription is an error. */
  insertSubscription(settings: SubscriptionSettings, extra: WireRecord): WireRecord {
    this.assertOpen();
    this.checkSettings(settings);
    if (this.subscriptions.has(settings.name)) throw alreadyExists(settings.name);
    const record = this.newRecord(settings, extra);
    this.subscriptions.set(settings.name, record);
    return subscriptionResource(record.settings, record.extra);
  }

  getSubscription(name: string): WireRecord {
    const record = this.record(name);
    return subscriptionResource(record.settings, record.extra);
  }

  listSubscriptions(project: string): WireRecord[] {
    return [...this.subscriptions.values()]
      .filter((record) => record.settings.name.startsWith(`${project}/subscriptions/`))
      .map((record) => subscriptionResource(record.settings, record.extra));
  }

  /** Undelivered messages become 'dropped'; open streams end with NOT_FOUND, as with the real service. */
  deleteSubscription(name: string): void {
    const record = this.record(name);
    this.subscriptions.delete(name);
    const abandoned = record.channel.kind === 'push' ? record.channel.dispatcher.close() : record.channel.queue.close(notFound(name));
    for (const delivery of abandoned) this.ledger.settle(delivery.message.id, name, 'dropped');
    this.checkIdle();
  }

  private newRecord(settings: SubscriptionSettings, extra: WireRecord): SubscriptionRecord {
    // The hooks read record.settings at call time, so createPushSubscription's updates reach queued messages.
    const record: SubscriptionRecord = { settings, extra, channel: settings.pushEndpoint ? this.pushChannel(() => record) : this.pullChannel(() => record) };
    return record;
  }

  private pushChannel(current: () => SubscriptionRecord): DeliveryChannel {
    const dispatcher = new PushDispatcher(this.policy, this.agents, {
      target: () => pushTarget(current().settings, this.policy),
      attempted: () => this.countDelivery(),
      acked: (delivery) => this.settle(current(), delivery, 'acked'),
      exhausted: (delivery) => this.exhaust(current(), delivery),
      settled: () => this.checkIdle(),
      log: this.log,
    });
    return { kind: 'push', dispatcher };
  }

  private pullChannel(current: () => SubscriptionRecord): DeliveryChannel {
    const queue = new PullQueue({
      settings: () => pullSettings(current().settings),
      nextAckId: () => this.newAckId(),
      attempted: () => this.countDelivery(),
      acked: (delivery) => this.settle(current(), delivery, 'acked'),
      exhausted: (delivery) => this.exhaust(current(), delivery),
    });
    return { kind: 'pull', queue };
  }

  private newAckId(): string {
    this.lastAckId += 1;
    return String(this.lastAckId);
  }

  private countDelivery(): void {
    this.deliveries += 1;
  }

  private settle(record: SubscriptionRecord, delivery: Delivery, state: FinalState): void {
    this.ledger.settle(delivery.message.id, record.settings.name, state);
  }

  /** Out of attempts: republish to the dead-letter topic (if it still exists), otherwise drop. */
  private exhaust(record: SubscriptionRecord, delivery: Delivery): void {
    const { name, deadLetterTopic } = record.settings;
    const { id } = delivery.message;
    if (deadLetterTopic && this.topics.has(deadLetterTopic)) {
      const [copyId] = this.publish(deadLetterTopic, [deadLetterCopy(delivery, name)]);
      this.settle(record, delivery, 'dead-lettered');
      this.log(`dead-lettered message ${id} from ${name} to ${deadLetterTopic} as message ${copyId} after ${delivery.attempts} attempts`);
      return;
    }
    this.settle(record, delivery, 'dropped');
    const why = deadLetterTopic ? `dead-letter topic ${deadLetterTopic} no longer exists` : 'no dead-letter topic';
    this.log(`dropped message ${id} on ${name} after ${delivery.attempts} attempts (${why})`);
  }

  private checkSettings(settings: SubscriptionSettings): void {
    checkSettingsShape(settings);
    if (!this.topics.has(settings.topic)) throw notFound(settings.topic);
    // The real service refuses a dead-letter topic that does not exist.
    if (settings.deadLetterTopic !== undefined && !this.topics.has(settings.deadLetterTopic)) throw notFound(settings.deadLetterTopic);
  }

  private checkSameKind(existing: SubscriptionRecord, wanted: SubscriptionSettings): void {
    if (existing.settings.topic !== wanted.topic) throw failedPrecondition(`${wanted.name} already exists on topic ${existing.settings.topic}, not ${wanted.topic}`);
    const wantedKind = wanted.pushEndpoint ? 'push' : 'pull';
    if (existing.channel.kind !== wantedKind) throw failedPrecondition(`${wanted.name} already exists as a ${existing.channel.kind} subscription`);
  }

  private record(name: string): SubscriptionRecord {
    const record = this.subscriptions.get(name);
    if (!record) throw notFound(name);
    return record;
  }

  // ---- pull

  pull(subscription: string, maxMessages: number): ReceivedMessage[] {
    return this.pullQueue(subscription).pull(maxMessages);
  }

  acknowledge(subscription: string, ackIds: readonly string[]): void {
    this.pullQueue(subscription).acknowledge(ackIds);
  }

  modifyAckDeadline(subscription: string, ackIds: readonly string[], seconds: number): void {
    this.pullQueue(subscription).modifyAckDeadline(ackIds, seconds);
  }

  /** Returns the function that detaches the stream again. */
  attachStream(subscription: string, session: StreamSession): () => void {
    const queue = this.pullQueue(subscription);
    queue.attach(session);
    return () => queue.detach(session);
  }

  private pullQueue(subscription: string): PullQueue {
    const { channel } = this.record(subscription);
    if (channel.kind !== 'pull') throw failedPrecondition(`${subscription} is a push subscription`);
    return channel.queue;
  }

  // ---- observation and lifecycle

  messageStates(messageIds: readonly string[]): Record<string, Record<string, MessageState>> {
    return this.ledger.statesOf(messageIds);
  }

  stats(): BrokerStats {
    return {
      topics: this.topics.size,
      published: this.published,
      deliveries: this.deliveries,
      acked: this.ledger.count('acked'),
      deadLettered: this.ledger.count('dead-lettered'),
      dropped: this.ledger.count('dropped'),
      pending: this.ledger.count('pending'),
    };
  }

  waitForIdle(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(unavailable('fake Pub/Sub server is stopped'));
    if (this.isIdle()) return Promise.resolve();
    return this.idleWaiters.wait(timeoutMs, () => this.describeBusy());
  }

  /** Stops all delivery. Stream calls are the gRPC layer's to end; this only clears timers and aborts POSTs. */
  close(): void {
    this.closed = true;
    for (const { channel } of this.subscriptions.values()) {
      if (channel.kind === 'push') channel.dispatcher.close();
      else channel.queue.close();
    }
    this.idleWaiters.rejectAll(unavailable('fake Pub/Sub server stopped before going idle'));
  }

  private pushDispatchers(): { name: string; dispatcher: PushDispatcher }[] {
    const result: { name: string; dispatcher: PushDispatcher }[] = [];
    for (const { settings, channel } of this.subscriptions.values()) {
      if (channel.kind === 'push') result.push({ name: settings.name, dispatcher: channel.dispatcher });
    }
    return result;
  }

  private isIdle(): boolean {
    return this.pushDispatchers().every(({ dispatcher }) => !dispatcher.busy);
  }

  private checkIdle(): void {
    if (this.isIdle()) this.idleWaiters.resolveAll();
  }

  private describeBusy(): string {
    const busy = this.pushDispatchers().filter(({ dispatcher }) => dispatcher.busy);
    return busy.map(({ name, dispatcher }) => `${dispatcher.outstanding} push deliveries outstanding on ${name}`).join('; ') || 'idle';
  }

  private assertOpen(): void {
    if (this.closed) throw unavailable('fake Pub/Sub server is stopped');
  }
}

/** The real service's limit on a publish request (and so on one message with its attributes). */
export const MAX_PUBLISH_BYTES = 10 * 1024 * 1024;

function messageBytes(message: OutgoingMessage): number {
  return message.data.length + Object.entries(message.attributes ?? {}).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
}

function checkPublishable(messages: readonly OutgoingMessage[]): void {
  if (messages.length === 0) throw invalidArgument('The request must contain at least one message.');
  if (messages.reduce((sum, message) => sum + messageBytes(message), 0) > MAX_PUBLISH_BYTES) throw invalidArgument(`Request payload size exceeds the limit: ${MAX_PUBLISH_BYTES} bytes.`);
  const empty = messages.some((message) => message.data.length === 0 && Object.keys(message.attributes ?? {}).length === 0);
  if (empty) throw invalidArgument('One or more messages in the publish request is empty. Each message must contain either non-empty data, or at least one attribute.');
}

/**
 * The real service's dead-letter attributes. CloudPubSubDeadLetterSourceSubscription holds the subscription
 * id (not the full name); the project travels in its own attribute.
 */
function deadLetterCopy(delivery: Delivery, subscription: string): OutgoingMessage {
  const { message } = delivery;
  return {
    data: message.data,
    orderingKey: message.orderingKey,
    attributes: {
      ...message.attributes,
      CloudPubSubDeadLetterSourceDeliveryCount: String(delivery.attempts),
      CloudPubSubDeadLetterSourceSubscription: resourceIdOf(subscription),
      CloudPubSubDeadLetterSourceSubscriptionProject: projectOf(subscription),
      CloudPubSubDeadLetterSourceTopicPublishTime: message.publishTime.toISOString(),
    },
  };
}
