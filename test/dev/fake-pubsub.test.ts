import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { PubSub, v1 } from '@google-cloud/pubsub';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_PUSH_POLICY, FakePubSub } from '../../functions/src/dev/pubsub/fake-pubsub.js';
import type { PushPolicy } from '../../functions/src/dev/pubsub/fake-pubsub.js';
import { pubSubServiceDefinitions } from '../../functions/src/dev/pubsub/proto.js';

// Read by google-auth-library when a client is constructed: never probe a metadata server from tests.
process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'demo-proj';
const topicName = (id: string): string => `projects/${PROJECT}/topics/${id}`;
const subscriptionName = (id: string): string => `projects/${PROJECT}/subscriptions/${id}`;
const FAST: Partial<PushPolicy> = { minBackoffMs: 20, maxBackoffMs: 500, requestTimeoutMs: 2000, maxInFlight: 4 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

interface Harness {
  fake: FakePubSub;
  pubsub: PubSub;
  log: string[];
}

/** A fresh fake and a real client per test: waitForIdle is global, so tests must not share push state. */
async function withFake(push: Partial<PushPolicy>, body: (harness: Harness) => Promise<void>): Promise<void> {
  const log: string[] = [];
  const fake = await FakePubSub.start({ push, log: (line) => log.push(line) });
  process.env.PUBSUB_EMULATOR_HOST = fake.emulatorHost;
  const pubsub = new PubSub({ projectId: PROJECT });
  try {
    await body({ fake, pubsub, log });
  } finally {
    await pubsub.close();
    await fake.stop();
  }
}

interface Inbox {
  next(timeoutMs?: number): Promise<Message>;
  errors: Error[];
}

/** A permanent 'message' listener: removing the last one would make the client nack what it holds. */
function inbox(subscription: Subscription): Inbox {
  const messages: Message[] = [];
  const errors: Error[] = [];
  subscription.on('message', (message: Message) => messages.push(message));
  subscription.on('error', (error: Error) => errors.push(error));
  return { next: (timeoutMs = 5000) => until(() => messages.shift(), timeoutMs, 'a message'), errors };
}

interface ReceivedRequest {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

type Outcome = number | 'hang' | { status: number; delayMs: number };

interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  maxConcurrent: number;
  close(): Promise<void>;
}

/** A stand-in Cloud Function: records each request and answers as `respond(index)` says. */
async function startReceiver(respond: (index: number) => Outcome): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let active = 0;
  const server = http.createServer((request, response) => {
    active += 1;
    receiver.maxConcurrent = Math.max(receiver.maxConcurrent, active);
    response.on('close', () => (active -= 1));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const index = requests.length;
      requests.push({ method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() });
      const outcome = respond(index);
      if (outcome === 'hang') return;
      const { status, delayMs } = typeof outcome === 'number' ? { status: outcome, delayMs: 0 } : outcome;
      setTimeout(() => response.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no port');
  const receiver: Receiver = {
    url: `http://127.0.0.1:${address.port}/`,
    requests,
    maxConcurrent: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}

async function withReceiver(respond: (index: number) => Outcome, body: (receiver: Receiver) => Promise<void>): Promise<void> {
  const receiver = await startReceiver(respond);
  try {
    await body(receiver);
  } finally {
    await receiver.close();
  }
}

const bodyOf = (request: ReceivedRequest | undefined): any => JSON.parse(request?.body ?? 'null');
const gaps = (requests: ReceivedRequest[]): number[] => requests.slice(1).map((request, index) => request.at - requests[index]!.at);

describe('FakePubSub over gRPC with the real client', () => {
  it('creates, lists, publishes to and deletes topics', () =>
    withFake(FAST, async ({ fake, pubsub }) => {
      const topic = pubsub.topic('orders');
      expect((await topic.exists())[0]).toBe(false);
      await pubsub.createTopic('orders');
      expect((await topic.exists())[0]).toBe(true);
      await expect(pubsub.createTopic('orders')).rejects.toMatchObject({ code: 6 });
      expect((await pubsub.getTopics())[0].map((t) => t.name)).toEqual([topicName('orders')]);

      const first = await topic.publishMessage({ data: Buffer.from('one') });
      // Concurrent publishes are batched by the client into one Publish with several messages.
      const batch = await Promise.all(['two', 'three', 'four'].map((text) => topic.publishMessage({ data: Buffer.from(text) })));
      const ids = [first, ...batch];
      expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
      expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(4);
      expect(fake.stats()).toMatchObject({ topics: 1, published: 4, pending: 0 });

      await expect(pubsub.topic('missing').publishMessage({ data: Buffer.from('x') })).rejects.toMatchObject({ code: 5 });
      await topic.delete();
      expect((await topic.exists())[0]).toBe(false);
    }));

  it('streams messages with data and attributes to a subscriber and records the ack', () =>
    withFake(FAST, async ({ fake, pubsub }) => {
      const [topic] = await pubsub.createTopic('logs');
      const [subscription] = await topic.createSubscription('logs-pull');
      expect((await subscription.exists())[0]).toBe(true);
      const received = inbox(subscription);
      try {
        const id = await topic.publishMessage({ data: Buffer.from('{"hello":"world"}'), attributes: { kind: 'firewall' } });
        const message = await received.next();
        expect(message.id).toBe(id);
        expect(message.data.toString()).toBe('{"hello":"world"}');
        expect(message.attributes).toEqual({ kind: 'firewall' });
        expect(Math.abs(message.publishTime.getTime() - Date.now())).toBeLessThan(5000);
        expect(fake.messageStates([id])).toEqual({ [id]: { [subscriptionName('logs-pull')]: 'pending' } });
        message.ack();
        await until(() => (fake.messageStates([id])[id]?.[subscriptionName('logs-pull')] === 'acked' ? true : undefined), 3000, 'the ack');
        expect(fake.stats()).toMatchObject({ acked: 1, pending: 0, deliveries: 1 });
        expect(received.errors).toEqual([]);
      } finally {
        await subscription.close();
      }
    }));

  it('redelivers a nacked message', () =>
    withFake(FAST, async ({ fake, pubsub }) => {
      const [topic] = await pubsub.createTopic('retry');
      const [subscription] = await topic.createSubscription('retry-pull');
      const received = inbox(subscription);
      try {
        const id = await topic.publishMessage({ data: Buffer.from('again') });
        const first = await received.next();
        first.nack();
        const second = await received.next();
        expect(second.id).toBe(id);
        expect(second.ackId).not.toBe(first.ackId);
        second.ack();
        await until(() => (fake.stats().acked === 1 ? true : undefined), 3000, 'the ack');
        expect(fake.messageStates([id])[id]).toEqual({ [subscriptionName('retry-pull')]: 'acked' });
        expect(fake.stats().deliveries).toBe(2);
      } finally {
        await subscription.close();
      }
    }));

  it('answers unary Pull and redelivers after the ack deadline expires', () =>
    withFake(FAST, async ({ fake, pubsub }) => {
      fake.createTopic(topicName('batch'));
      fake.createPullSubscription(subscriptionName('batch-pull'), topicName('batch'));
      const [id] = fake.publish(topicName('batch'), [{ data: Buffer.from('pull me'), attributes: { n: '1' } }]);
      // The GAPIC client ignores PUBSUB_EMULATOR_HOST; the PubSub object's config carries the fake's address.
      const config = await pubsub.getClientConfig();
      const gapic = new v1.SubscriberClient({ ...config, port: Number(config.port) });
      try {
        const subscription = subscriptionName('batch-pull');
        const pullOnce = async () => (await gapic.pull({ subscription, maxMessages: 10 }))[0].receivedMessages ?? [];
        const [lease] = await pullOnce();
        expect(lease?.message?.messageId).toBe(id);
        expect(Buffer.from(lease!.message!.data!).toString()).toBe('pull me');
        expect(lease?.message?.attributes).toEqual({ n: '1' });
        // Shorten the deadline (the subscription minimum is 10 s) and let it lapse.
        await gapic.modifyAckDeadline({ subscription, ackIds: [lease!.ackId!], ackDeadlineSeconds: 1 });
        expect(await pullOnce()).toHaveLength(0);
        let again: Awaited<ReturnType<typeof pullOnce>> = [];
        for (const deadline = Date.now() + 5000; again.length === 0 && Date.now() < deadline; ) {
          await sleep(200);
          again = await pullOnce();
        }
        expect(again[0]?.message?.messageId).toBe(id);
        expect(again[0]?.ackId).not.toBe(lease!.ackId);
        // The expired ack id is ignored; the current one settles the message.
        await gapic.acknowledge({ subscription, ackIds: [lease!.ackId!, again[0]!.ackId!] });
        expect(fake.messageStates([id!])[id!]).toEqual({ [subscription]: 'acked' });
        expect(fake.stats().deliveries).toBe(2);
      } finally {
        await gapic.close();
      }
    }));

  it('honours push and dead-letter settings sent through CreateSubscription', () =>
    withFake(FAST, async ({ pubsub }) => {
      const [topic] = await pubsub.createTopic('events');
      await pubsub.createTopic('events-dlq');
      const [subscription] = await topic.createSubscription('events-push', {
        pushEndpoint: 'http://127.0.0.1:9/never-called',
        deadLetterPolicy: { deadLetterTopic: topicName('events-dlq'), maxDeliveryAttempts: 7 },
        ackDeadlineSeconds: 30,
      });
      const [metadata] = await subscription.getMetadata();
      expect(metadata.pushConfig?.pushEndpoint).toBe('http://127.0.0.1:9/never-called');
      expect(metadata.deadLetterPolicy).toMatchObject({ deadLetterTopic: topicName('events-dlq'), maxDeliveryAttempts: 7 });
      expect(metadata.ackDeadlineSeconds).toBe(30);
      await expect(topic.createSubscription('bad-dlq', { deadLetterPolicy: { deadLetterTopic: topicName('nope') } })).rejects.toMatchObject({ code: 5 });
      await expect(topic.createSubscription('events-push')).rejects.toMatchObject({ code: 6 });
      expect((await topic.getSubscriptions())[0].map((s) => s.name)).toEqual([subscriptionName('events-push')]);
      await subscription.delete();
      expect((await subscription.exists())[0]).toBe(false);
    }));
});

describe('FakePubSub StreamingPull protocol details', () => {
  interface RawStream {
    write(request: object): void;
    end(): void;
    responses: any[];
    status: Promise<grpc.StatusObject>;
    close(): void;
  }

  /** A bare StreamingPull call, to send what the Node client only sends every 30 s or never (keepalives, in-stream acks). */
  function openRawStream(fake: FakePubSub): RawStream {
    const method = pubSubServiceDefinitions().subscriber['StreamingPull']!;
    const client = new grpc.Client(fake.emulatorHost, grpc.credentials.createInsecure());
    const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    const responses: any[] = [];
    call.on('data', (response) => responses.push(response));
    call.on('error', () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    return { write: (request) => call.write(request), end: () => call.end(), responses, status, close: () => client.close() };
  }

  const messageIdsIn = (responses: any[]): string[] => responses.flatMap((response) => response.receivedMessages.map((received: any) => received.message.messageId));

  it('ignores keepalives, honours in-stream acks, and ends with OK only after the client half-closes', () =>
    withFake(FAST, async ({ fake }) => {
      fake.createTopic(topicName('raw'));
      fake.createPullSubscription(subscriptionName('raw-pull'), topicName('raw'));
      const stream = openRawStream(fake);
      try {
        stream.write({ subscription: subscriptionName('raw-pull'), streamAckDeadlineSeconds: 10 });
        const [first] = fake.publish(topicName('raw'), [{ data: Buffer.from('1') }]);
        await until(() => (stream.responses.length === 1 ? true : undefined), 3000, 'the first message');
        stream.write({});
        const [second] = fake.publish(topicName('raw'), [{ data: Buffer.from('2') }]);
        await until(() => (stream.responses.length === 2 ? true : undefined), 3000, 'a message after the keepalive');
        expect(messageIdsIn(stream.responses)).toEqual([first, second]);
        const ackIds = stream.responses.map((response) => response.receivedMessages[0].ackId);
        stream.write({ ackIds: [ackIds[0]], modifyDeadlineAckIds: [ackIds[1]], modifyDeadlineSeconds: [0] });
        await until(() => (stream.responses.length === 3 ? true : undefined), 3000, 'the nacked message again');
        expect(messageIdsIn(stream.responses)[2]).toBe(second);
        expect(fake.messageStates([first!])[first!]).toEqual({ [subscriptionName('raw-pull')]: 'acked' });
        stream.end();
        expect((await stream.status).code).toBe(grpc.status.OK);
      } finally {
        stream.close();
      }
    }));

  it('ends streams with NOT_FOUND when the subscription is deleted and UNAVAILABLE when the server stops', () =>
    withFake(FAST, async ({ fake, pubsub }) => {
      fake.createTopic(topicName('ending'));
      fake.createPullSubscription(subscriptionName('ending-a'), topicName('ending'));
      fake.createPullSubscription(subscriptionName('ending-b'), topicName('ending'));
      const [unknown, deleted, stopped] = [openRawStream(fake), openRawStream(fake), openRawStream(fake)];
      try {
        unknown.write({ subscription: subscriptionName('absent') });
        expect((await unknown.status).code).toBe(grpc.status.NOT_FOUND);
        deleted.write({ subscription: subscriptionName('ending-a') });
        stopped.write({ subscription: subscriptionName('ending-b') });
        const [id] = fake.publish(topicName('ending'), [{ data: Buffer.from('x') }]);
        await until(() => (deleted.responses.length === 1 && stopped.responses.length === 1 ? true : undefined), 3000, 'both streams to receive');
        await pubsub.subscription('ending-a').delete();
        expect((await deleted.status).code).toBe(grpc.status.NOT_FOUND);
        expect(fake.messageStates([id!])[id!]).toEqual({ [subscriptionName('ending-a')]: 'dropped', [subscriptionName('ending-b')]: 'pending' });
        await fake.stop();
        expect((await stopped.status).code).toBe(grpc.status.UNAVAILABLE);
      } finally {
        for (const stream of [unknown, deleted, stopped]) stream.close();
      }
    }));
});

describe('FakePubSub push delivery', () => {
  it('POSTs a binary-mode CloudEvent and treats 2xx as an ack', () =>
    withReceiver(
      () => 204,
      (receiver) =>
        withFake(FAST, async ({ fake, pubsub, log }) => {
          fake.createTopic(topicName('firewall'));
          fake.createPushSubscription(subscriptionName('on-firewall'), { topic: topicName('firewall'), pushEndpoint: `${receiver.url}fn` });
          const [id] = fake.publish(topicName('firewall'), [{ data: Buffer.from('{"denied":true}'), attributes: { origin: 'test' } }]);
          const grpcId = await pubsub.topic('firewall').publishMessage({ data: Buffer.from('via grpc') });
          await fake.waitForIdle(5000);

          expect(receiver.requests).toHaveLength(2);
          const request = receiver.requests.find((r) => r.headers['ce-id'] === id)!;
          const publishTime = bodyOf(request).message.publishTime;
          expect(request.method).toBe('POST');
          expect(request.headers).toMatchObject({
            'content-type': 'application/json',
            'ce-specversion': '1.0',
            'ce-id': id,
            'ce-source': `//pubsub.googleapis.com/${topicName('firewall')}`,
            'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
            'ce-time': publishTime,
          });
          expect(request.headers['ce-subscription']).toBeUndefined();
          expect(new Date(publishTime).toISOString()).toBe(publishTime);
          expect(bodyOf(request)).toEqual({
            message: {
              data: Buffer.from('{"denied":true}').toString('base64'),
              attributes: { origin: 'test' },
              messageId: id,
              message_id: id,
              publishTime,
              publish_time: publishTime,
            },
            subscription: subscriptionName('on-firewall'),
          });
          const viaGrpc = receiver.requests.find((r) => r.headers['ce-id'] === grpcId);
          expect(Buffer.from(bodyOf(viaGrpc).message.data, 'base64').toString()).toBe('via grpc');
          expect(fake.messageStates([id!, grpcId])).toEqual({
            [id!]: { [subscriptionName('on-firewall')]: 'acked' },
            [grpcId]: { [subscriptionName('on-firewall')]: 'acked' },
          });
          expect(fake.stats()).toMatchObject({ published: 2, deliveries: 2, acked: 2, pending: 0 });
          expect(log.filter((line) => line.startsWith('push ok'))).toHaveLength(2);
        }),
    ));

  it('retries failures with exponential backoff until a 2xx', () =>
    withReceiver(
      (index) => (index < 2 ? 500 : 200),
      (receiver) =>
        withFake(FAST, async ({ fake }) => {
          fake.createTopic(topicName('flaky'));
          fake.createPushSubscription(subscriptionName('flaky-push'), { topic: topicName('flaky'), pushEndpoint: receiver.url });
          const [id] = fake.publish(topicName('flaky'), [{ data: Buffer.from('x') }]);
          await fake.waitForIdle(5000);
          expect(receiver.requests.map((r) => r.headers['ce-id'])).toEqual([id, id, id]);
          const [first, second] = gaps(receiver.requests);
          // 20 ms then 40 ms (plus up to 10% jitter); a millisecond of slack for timer rounding.
          expect(first).toBeGreaterThanOrEqual(19);
          expect(second).toBeGreaterThanOrEqual(39);
          expect(fake.messageStates([id!])[id!]).toEqual({ [subscriptionName('flaky-push')]: 'acked' });
          expect(fake.stats()).toMatchObject({ deliveries: 3, acked: 1 });
        }),
    ));

  it('dead-letters after maxDeliveryAttempts, with the dead-letter attributes', () =>
    withReceiver(
      () => 500,
      (receiver) =>
        withFake(FAST, async ({ fake, pubsub, log }) => {
          const [topic] = await pubsub.createTopic('alerts');
          const [deadLetters] = await pubsub.createTopic('alerts-dlq');
          const [dlqSubscription] = await deadLetters.createSubscription('alerts-dlq-pull');
          await topic.createSubscription('alerts-push', {
            pushEndpoint: receiver.url,
            deadLetterPolicy: { deadLetterTopic: topicName('alerts-dlq'), maxDeliveryAttempts: 5 },
          });
          const received = inbox(dlqSubscription);
          try {
            const id = await topic.publishMessage({ data: Buffer.from('poison'), attributes: { rule: 'deny-all' } });
            const deadLetter = await received.next(10_000);
            expect(receiver.requests).toHaveLength(5);
            expect(deadLetter.data.toString()).toBe('poison');
            expect(deadLetter.attributes).toMatchObject({
              rule: 'deny-all',
              CloudPubSubDeadLetterSourceSubscription: 'alerts-push',
              CloudPubSubDeadLetterSourceSubscriptionProject: PROJECT,
              CloudPubSubDeadLetterSourceDeliveryCount: '5',
            });
            expect(deadLetter.id).not.toBe(id);
            deadLetter.ack();
            await fake.waitForIdle(5000);
            await until(() => (fake.stats().acked === 1 ? true : undefined), 3000, 'the dead letter ack');
            expect(fake.messageStates([id, deadLetter.id])).toEqual({
              [id]: { [subscriptionName('alerts-push')]: 'dead-lettered' },
              [deadLetter.id]: { [subscriptionName('alerts-dlq-pull')]: 'acked' },
            });
            expect(fake.stats()).toMatchObject({ published: 2, deadLettered: 1, acked: 1, pending: 0 });
            expect(log.some((line) => line.startsWith(`dead-lettered message ${id}`))).toBe(true);
          } finally {
            await dlqSubscription.close();
          }
        }),
    ));

  it('drops a message that runs out of attempts without a dead-letter topic', () =>
    withReceiver(
      () => 503,
      (receiver) =>
        withFake({ ...FAST, maxDeliveryAttempts: 2 }, async ({ fake, log }) => {
          fake.createTopic(topicName('lossy'));
          fake.createPushSubscription(subscriptionName('lossy-push'), { topic: topicName('lossy'), pushEndpoint: receiver.url });
          const [id] = fake.publish(topicName('lossy'), [{ data: Buffer.from('x') }]);
          await fake.waitForIdle(5000);
          expect(receiver.requests).toHaveLength(2);
          expect(fake.messageStates([id!])[id!]).toEqual({ [subscriptionName('lossy-push')]: 'dropped' });
          expect(fake.stats()).toMatchObject({ dropped: 1, pending: 0 });
          expect(log.some((line) => line.includes('HTTP 503') && line.includes('retrying in'))).toBe(true);
        }),
    ));

  it('counts a request that outlives requestTimeoutMs as a failed attempt', () =>
    withReceiver(
      (index) => (index === 0 ? 'hang' : 204),
      (receiver) =>
        withFake({ ...FAST, requestTimeoutMs: 200 }, async ({ fake, log }) => {
          fake.createTopic(topicName('slow'));
          fake.createPushSubscription(subscriptionName('slow-push'), { topic: topicName('slow'), pushEndpoint: receiver.url });
          const [id] = fake.publish(topicName('slow'), [{ data: Buffer.from('x') }]);
          await fake.waitForIdle(5000);
          expect(receiver.requests).toHaveLength(2);
          expect(gaps(receiver.requests)[0]).toBeGreaterThanOrEqual(200 + 20 - 1);
          expect(fake.messageStates([id!])[id!]).toEqual({ [subscriptionName('slow-push')]: 'acked' });
          expect(fake.stats().deliveries).toBe(2);
          expect(log.some((line) => line.includes('no response within 200 ms'))).toBe(true);
        }),
    ));

  it('keeps at most maxInFlight POSTs open per subscription', () =>
    withReceiver(
      () => ({ status: 204, delayMs: 60 }),
      (receiver) =>
        withFake({ ...FAST, maxInFlight: 3 }, async ({ fake }) => {
          fake.createTopic(topicName('burst'));
          fake.createPushSubscription(subscriptionName('burst-push'), { topic: topicName('burst'), pushEndpoint: receiver.url });
          const ids = fake.publish(
            topicName('burst'),
            Array.from({ length: 12 }, (_, i) => ({ data: Buffer.from(`m${i}`) })),
          );
          await fake.waitForIdle(10_000);
          expect(receiver.requests).toHaveLength(12);
          expect(receiver.maxConcurrent).toBe(3);
          expect(Object.values(fake.messageStates(ids)).every((states) => states[subscriptionName('burst-push')] === 'acked')).toBe(true);
        }),
    ));

  it('applies an updated push config to later messages (createPushSubscription is idempotent)', () =>
    withReceiver(
      () => 204,
      (second) =>
        withFake(FAST, async ({ fake }) => {
          fake.createTopic(topicName('moves'));
          fake.createTopic(topicName('moves'));
          const config = { topic: topicName('moves'), pushEndpoint: 'http://127.0.0.1:9/old' };
          fake.createPushSubscription(subscriptionName('moves-push'), config);
          fake.createPushSubscription(subscriptionName('moves-push'), { ...config, pushEndpoint: second.url });
          fake.publish(topicName('moves'), [{ data: Buffer.from('x') }]);
          await fake.waitForIdle(5000);
          expect(second.requests).toHaveLength(1);
          expect(fake.stats()).toMatchObject({ topics: 1, acked: 1 });
          expect(() => fake.createPushSubscription(subscriptionName('other'), { topic: topicName('absent'), pushEndpoint: second.url })).toThrow(/not found/);
          expect(() => fake.createPullSubscription(subscriptionName('moves-push'), topicName('moves'))).toThrow(/push subscription/);
        }),
    ));
});

describe('FakePubSub admin HTTP server', () => {
  const call = async (fake: FakePubSub, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const response = await fetch(`${fake.adminUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };

  it('configures, reports and waits over plain JSON', () =>
    withReceiver(
      (index) => (index === 0 ? 204 : 'hang'),
      (receiver) =>
        withFake(FAST, async ({ fake }) => {
          expect(fake.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
          expect(await call(fake, 'POST', '/admin/topics', { topic: topicName('replay') })).toEqual({ status: 200, json: { topic: topicName('replay') } });
          const subscription = subscriptionName('replay-push');
          expect((await call(fake, 'POST', '/admin/push-subscriptions', { subscription, topic: topicName('replay'), pushEndpoint: receiver.url, maxDeliveryAttempts: 5 })).status).toBe(200);
          const [id] = fake.publish(topicName('replay'), [{ data: Buffer.from('x') }]);

          expect(await call(fake, 'POST', '/admin/wait-idle?timeoutMs=5000')).toEqual({ status: 200, json: { idle: true } });
          expect(await call(fake, 'POST', '/admin/message-states', { messageIds: [id, 'unknown'] })).toEqual({
            status: 200,
            json: { [id!]: { [subscription]: 'acked' }, unknown: {} },
          });
          const stats = await call(fake, 'GET', '/admin/stats');
          expect(stats).toEqual({ status: 200, json: fake.stats() });
          expect(stats.json).toMatchObject({ topics: 1, published: 1, deliveries: 1, acked: 1, deadLettered: 0, pending: 0 });

          // The receiver now hangs (requestTimeoutMs is 2 s), so the server is not idle within 50 ms.
          fake.publish(topicName('replay'), [{ data: Buffer.from('y') }]);
          const busy = await call(fake, 'POST', '/admin/wait-idle?timeoutMs=50');
          expect(busy.status).toBe(504);
          expect(busy.json).toMatchObject({ idle: false });

          expect(await call(fake, 'GET', '/admin/nope')).toMatchObject({ status: 404, json: { error: expect.any(String) } });
          expect(await call(fake, 'GET', '/admin/wait-idle')).toMatchObject({ status: 404 });
          expect(await call(fake, 'POST', '/admin/message-states', '{not json')).toMatchObject({ status: 400 });
          expect(await call(fake, 'POST', '/admin/message-states', { messageIds: 'x' })).toMatchObject({ status: 400 });
          expect(await call(fake, 'POST', '/admin/wait-idle?timeoutMs=-1')).toMatchObject({ status: 400 });
          expect(await call(fake, 'POST', '/admin/push-subscriptions', { subscription, topic: topicName('absent'), pushEndpoint: receiver.url })).toMatchObject({ status: 409 });
          expect(await call(fake, 'POST', '/admin/push-subscriptions', { subscription: subscriptionName('other-push'), topic: topicName('absent'), pushEndpoint: receiver.url })).toMatchObject({ status: 404 });
          // stop() below must abort the hanging POST rather than wait for it.
        }),
    ));
});

describe('FakePubSub policy and lifecycle', () => {
  it('doubles the backoff per failure, caps it, and only adds jitter', () => {
    const policy = { minBackoffMs: 20, maxBackoffMs: 100 };
    expect([1, 2, 3, 4, 5].map((failures) => backoffDelayMs(failures, policy, () => 0))).toEqual([20, 40, 80, 100, 100]);
    expect([1, 2, 3].map((failures) => backoffDelayMs(failures, policy, () => 0.999))).toEqual([22, 44, 88]);
    expect(DEFAULT_PUSH_POLICY).toEqual({ minBackoffMs: 100, maxBackoffMs: 10_000, maxDeliveryAttempts: 5, requestTimeoutMs: 60_000, maxInFlight: 16 });
  });

  it('rejects an impossible policy before binding anything', async () => {
    await expect(FakePubSub.start({ push: { maxInFlight: 0 } })).rejects.toThrow(RangeError);
    await expect(FakePubSub.start({ push: { minBackoffMs: 50, maxBackoffMs: 10 } })).rejects.toThrow(RangeError);
  });

  it('rejects waitForIdle on timeout and after stop, and stop is idempotent', () =>
    withReceiver(
      () => 'hang',
      async (receiver) => {
        const fake = await FakePubSub.start({ push: FAST });
        fake.createTopic(topicName('stuck'));
        fake.createPushSubscription(subscriptionName('stuck-push'), { topic: topicName('stuck'), pushEndpoint: receiver.url });
        fake.publish(topicName('stuck'), [{ data: Buffer.from('x') }]);
        await expect(fake.waitForIdle(50)).rejects.toThrow(/not idle after 50 ms: 1 push deliveries outstanding/);
        const pendingWait = fake.waitForIdle(10_000);
        await Promise.all([fake.stop(), fake.stop()]);
        await expect(pendingWait).rejects.toThrow(/stopped/);
        await expect(fake.waitForIdle(10)).rejects.toThrow(/stopped/);
      },
    ));

  it('lets a process that used it exit on its own after stop()', async () => {
    const modulePath = fileURLToPath(new URL('../../functions/src/dev/pubsub/fake-pubsub.ts', import.meta.url));
    const script = `
      process.env.METADATA_SERVER_DETECTION = 'none';
      const http = await import('node:http');
      const { FakePubSub } = await import(${JSON.stringify(modulePath)});
      const { PubSub } = await import('@google-cloud/pubsub');
      const receiver = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(204).end()); });
      await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const fake = await FakePubSub.start({ push: { minBackoffMs: 20 } });
      fake.createTopic('projects/p/topics/tick');
      fake.createPushSubscription('projects/p/subscriptions/tick-push', { topic: 'projects/p/topics/tick', pushEndpoint: 'http://127.0.0.1:' + receiver.address().port + '/' });
      process.env.PUBSUB_EMULATOR_HOST = fake.emulatorHost;
      const pubsub = new PubSub({ projectId: 'p' });
      const [subscription] = await pubsub.topic('tick').createSubscription('tick-pull');
      const got = new Promise((resolve) => subscription.on('message', (m) => { m.ack(); resolve(); }));
      subscription.on('error', (e) => { console.error(e); process.exitCode = 1; });
      await pubsub.topic('tick').publishMessage({ data: Buffer.from('x') });
      await got;
      await fake.waitForIdle(5000);
      await subscription.close();
      await pubsub.close();
      await fake.stop();
      receiver.closeAllConnections();
      receiver.close();
      console.log('stopped ' + JSON.stringify(fake.stats()));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PUBSUB_EMULATOR_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running after 20 s');
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code ?? 'killed');
      });
    });
    expect({ exitCode, output }).toMatchObject({ exitCode: 0, output: expect.stringContaining('stopped {"topics":1,"published":1,"deliveries":2,"acked":2') });
  }, 30_000);
});
