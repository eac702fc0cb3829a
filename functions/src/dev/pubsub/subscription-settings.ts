import { invalidArgument } from './errors.js';
import { checkSubscriptionName, checkTopicName } from './names.js';
import type { PullSettings } from './pull-delivery.js';
import type { PushPolicy, PushTarget } from './push-delivery.js';
import { asRecord } from './wire.js';
import type { WireRecord } from './wire.js';

export interface PushSubscriptionConfig {
  topic: string;
  pushEndpoint: string;
  deadLetterTopic?: string;
  maxDeliveryAttempts?: number;
  ackDeadlineSeconds?: number;
  /** Concurrent deliveries; defaults to the policy's. A function limited to one instance serving one request at a time is 1. */
  maxInFlight?: number;
}

/** A subscription's behaviour; undefined means "not set", so push and pull can fall back to different defaults. */
export interface SubscriptionSettings {
  name: string;
  topic: string;
  pushEndpoint: string | undefined;
  deadLetterTopic: string | undefined;
  maxDeliveryAttempts: number | undefined;
  ackDeadlineSeconds: number | undefined;
  maxInFlight: number | undefined;
}

// The real service's defaults and limits.
const DEFAULT_ACK_DEADLINE_SECONDS = 10;
const DEFAULT_DEAD_LETTER_ATTEMPTS = 5;
const ACK_DEADLINE_RANGE = [10, 600] as const;
const DELIVERY_ATTEMPTS_RANGE = [5, 100] as const;

export function pushSettings(name: string, config: PushSubscriptionConfig): SubscriptionSettings {
  return {
    name,
    topic: config.topic,
    pushEndpoint: config.pushEndpoint,
    deadLetterTopic: config.deadLetterTopic || undefined,
    maxDeliveryAttempts: config.maxDeliveryAttempts,
    ackDeadlineSeconds: config.ackDeadlineSeconds,
    maxInFlight: config.maxInFlight,
  };
}

export function pullOnlySettings(name: string, topic: string): SubscriptionSettings {
  return { name, topic, pushEndpoint: undefined, deadLetterTopic: undefined, maxDeliveryAttempts: undefined, ackDeadlineSeconds: undefined, maxInFlight: undefined };
}

/** Everything the real service validates that does not depend on other resources existing. */
export function checkSettingsShape(settings: SubscriptionSettings): void {
  checkSubscriptionName(settings.name);
  checkTopicName(settings.topic);
  if (settings.deadLetterTopic !== undefined) checkTopicName(settings.deadLetterTopic);
  if (settings.pushEndpoint !== undefined) checkPushEndpoint(settings.pushEndpoint);
  checkRange('maxDeliveryAttempts', settings.maxDeliveryAttempts, DELIVERY_ATTEMPTS_RANGE);
  checkRange('ackDeadlineSeconds', settings.ackDeadlineSeconds, ACK_DEADLINE_RANGE);
  checkRange('maxInFlight', settings.maxInFlight, [1, 1000]);
}

function checkPushEndpoint(endpoint: string): void {
  let protocol = '';
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    // Reported below, with the endpoint in the message.
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw invalidArgument(`Invalid push endpoint: "${endpoint}" (expected an http or https URL)`);
}

function checkRange(field: string, value: number | undefined, [min, max]: readonly [number, number]): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) throw invalidArgument(`${field} must be an integer between ${min} and ${max}, got ${value}`);
}

export function pushTarget(settings: SubscriptionSettings, policy: PushPolicy): PushTarget {
  return {
    subscription: settings.name,
    endpoint: settings.pushEndpoint ?? '',
    maxDeliveryAttempts: settings.maxDeliveryAttempts ?? policy.maxDeliveryAttempts,
    // The real service uses the ack deadline as the push request deadline; the policy covers "not set".
    requestTimeoutMs: settings.ackDeadlineSeconds === undefined ? policy.requestTimeoutMs : settings.ackDeadlineSeconds * 1000,
    maxInFlight: settings.maxInFlight ?? policy.maxInFlight,
  };
}

export function pullSettings(settings: SubscriptionSettings): PullSettings {
  return {
    ackDeadlineSeconds: settings.ackDeadlineSeconds ?? DEFAULT_ACK_DEADLINE_SECONDS,
    // Without a dead-letter policy the real service redelivers a pull message forever.
    maxDeliveryAttempts: settings.deadLetterTopic ? (settings.maxDeliveryAttempts ?? DEFAULT_DEAD_LETTER_ATTEMPTS) : undefined,
  };
}

/** google.pubsub.v1.Subscription for Get/List/Create answers; `extra` holds client fields echoed back unread. */
export function subscriptionResource(settings: SubscriptionSettings, extra: WireRecord): WireRecord {
  return {
    ...extra,
    name: settings.name,
    topic: settings.topic,
    ackDeadlineSeconds: settings.ackDeadlineSeconds ?? DEFAULT_ACK_DEADLINE_SECONDS,
    pushConfig: settings.pushEndpoint ? { ...asRecord(extra['pushConfig']), pushEndpoint: settings.pushEndpoint } : null,
    deadLetterPolicy: settings.deadLetterTopic ? { deadLetterTopic: settings.deadLetterTopic, maxDeliveryAttempts: settings.maxDeliveryAttempts ?? DEFAULT_DEAD_LETTER_ATTEMPTS } : null,
    state: 'ACTIVE',
  };
}
