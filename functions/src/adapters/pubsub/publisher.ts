import type { PubSub, Topic } from '@google-cloud/pubsub';
import { runtimeConfig } from '../config.js';

let client: PubSub | undefined;
const topics = new Map<string, Topic>();

/**
 * The Pub/Sub client loads lazily: most log events produce no notification, and importing the
 * client would double a log-sink cold start. PUBSUB_EMULATOR_HOST is honoured by the client.
 */
async function topic(name: string): Promise<Topic> {
  const cached = topics.get(name);
  if (cached) return cached;
  if (!client) {
    const { PubSub: PubSubClient } = await import('@google-cloud/pubsub');
    client = new PubSubClient({ projectId: runtimeConfig().projectId });
  }
  const created = client.topic(name, { batching: { maxMessages: 1, maxMilliseconds: 0 } });
  topics.set(name, created);
  return created;
}

/** Publishes one JSON message and resolves with its id once Pub/Sub has it. */
export async function publishJson(topicName: string, payload: unknown, attributes: Record<string, string> = {}): Promise<string> {
  return (await topic(topicName)).publishMessage({ data: Buffer.from(JSON.stringify(payload)), attributes });
}

export async function closePublisher(): Promise<void> {
  const current = client;
  client = undefined;
  topics.clear();
  await current?.close();
}
