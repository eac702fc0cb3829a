import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { deploymentRequest } from '../helpers/scenarios.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';
import { forgetSecrets } from '../../functions/src/adapters/secrets.js';
import type { NotificationRequest } from '../../functions/src/core/pipeline/notification.js';
import { findingOpened } from '../helpers/notifications.js';

/**
 * Hostile input through the deployed path: the real Pub/Sub client publishes to the local Pub/Sub,
 * which pushes to the functions under functions-framework. Each message must be refused with a
 * reason (a `rejected` record), acknowledged (never retried), logged without secrets, and the next
 * valid message must still be processed.
 */
const SECRETS = ['GOCSPX-abuse-suite-secret', 'abuse-chat-token'];

let t: TestStack;
const functionLog: string[] = [];

beforeAll(async () => {
  t = await startTestStack({
    functions: ['logSink', 'notifier', 'deployTrigger'],
    functionLogs: (line) => functionLog.push(line),
    env: { KFGUARD_CHAT_BACKOFF_MS: '50' },
  });
}, 60_000);
afterAll(async () => t?.stop());

beforeEach(async () => {
  for (const collection of ['findings', 'events', 'rejected', 'notifications', 'deployments']) for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  t.stack.chat.messages.splice(0);
  t.stack.chat.attempts.splice(0);
  t.stack.smtp.messages.splice(0);
});

const good = () => structuredClone(fixtureJson<any[]>('logs/denied-by-rule.json').find((entry) => entry.insertId === 'webhook-port-blocked'));

async function rejections(fn: string): Promise<Record<string, any>[]> {
  return (await t.db.collection('rejected').get()).docs.map((doc) => doc.data()).filter((record) => record['function'] === fn);
}

function ackedAll(ids: string[]): void {
  const states = Object.values(t.stack.pubsub.messageStates(ids)).flatMap((bySubscription) => Object.values(bySubscription));
  expect(states).toHaveLength(ids.length);
  expect(new Set(states)).toEqual(new Set(['acked']));
}

describe('logSink refuses hostile messages and keeps going', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const cases: [string, () => Buffer, RegExp][] = [
    ['truncated JSON', () => Buffer.from(JSON.stringify(good()).slice(0, 120)), /not JSON/],
    ['JSON nested 100,000 deep', () => Buffer.from(`{"jsonPayload":${nested(100_000)}}`), /nested more than 64 levels/],
    // Pub/Sub itself refuses more than 10 MB: this is as large as a message that reaches the function can be.
    ['a 10 MB entry', () => Buffer.from(JSON.stringify({ ...good(), textPayload: 'x'.repeat(10 * 1024 * 1024 - 4096) })), /larger than/],
    ['invalid UTF-8', () => Buffer.concat([Buffer.from('{"insertId":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('"}')]), /UTF-8/],
    ['JSON null', () => Buffer.from('null'), /expected a JSON object, got null/],
    ['a JSON array of entries', () => Buffer.from(JSON.stringify([good(), good()])), /expected a JSON object, got an array/],
    ['a string port', () => Buffer.from(JSON.stringify({ ...good(), jsonPayload: { ...good().jsonPayload, connection: { ...good().jsonPayload.connection, dest_port: 'https' } } })), /dest_port/],
    ['port 70000', () => Buffer.from(JSON.stringify({ ...good(), jsonPayload: { ...good().jsonPayload, connection: { ...good().jsonPayload.connection, dest_port: 70000 } } })), /dest_port/],
    ['an address that is not one', () => Buffer.from(JSON.stringify({ ...good(), jsonPayload: { ...good().jsonPayload, connection: { ...good().jsonPayload.connection, src_ip: '172.16.0.300' } } })), /src_ip/],
  ];

  it.each(cases)('%s', async (_name, data, reason) => {
    const topic = t.pubsub.topic(TOPICS.logEvents);
    const ids = [await topic.publishMessage({ data: data() })];
    await t.settle();
    const [record, ...others] = await rejections('logSink');
    expect(others).toEqual([]);
    expect(String(record?.['reason'])).toMatch(reason);
    expect(record?.['messageId']).toBe(ids[0]);
    ackedAll(ids);
  });

  it('Pub/Sub refuses a message over 10 MB at publish, as the real service does', async () => {
    const oversized = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    await expect(t.pubsub.topic(TOPICS.logEvents, { gaxOpts: { retry: null } }).publishMessage({ data: oversized })).rejects.toMatchObject({ code: 3 });
  });

  it('__proto__ and constructor keys pollute nothing, and the entry is still diagnosed', async () => {
    const entry = good();
    const hostile = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${JSON.stringify(entry).slice(1)}`;
    const ids = [await t.pubsub.topic(TOPICS.logEvents).publishMessage({ data: Buffer.from(hostile) })];
    await t.settle();
    ackedAll(ids);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const findings = await t.findings();
    expect(findings.map((finding) => finding.rule)).toEqual(['webhook-port-blocked']);
    expect((findings[0] as unknown as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('loses nothing valid published among the hostile ones', async () => {
    const topic = t.pubsub.topic(TOPICS.logEvents);
    const valid = Array.from({ length: 5 }, (_, i) => ({ ...good(), insertId: `valid-${i}` }));
    await Promise.all([
      ...cases.map(([, data]) => topic.publishMessage({ data: data() })),
      ...valid.map((entry) => topic.publishMessage({ json: entry })),
    ]);
    await t.settle();
    expect((await rejections('logSink')).length).toBe(cases.length);
    const [finding] = await t.findings();
    expect(finding?.count).toBe(valid.length);
  });
});

const notification = (id: string, title: string): NotificationRequest => findingOpened(id, { title, count: 1, cluster: 'acme-ml-prod:us-central1:kf-prod', command: null });

describe('notifier', () => {
  const hostileWebhooks = [
    'http://chat.googleapis.com/v1/spaces/S/messages?key=k&token=abuse-chat-token',
    'https://chat.googleapis.com.evil.example/v1/spaces/S/messages?key=k&token=abuse-chat-token',
    'https://evil.example/chat.googleapis.com/v1/spaces/S/messages?key=k&token=abuse-chat-token',
    'https://chat.googleapis.com@evil.example/v1/spaces/S/messages?key=k&token=abuse-chat-token',
    'https://user:pass@chat.googleapis.com/v1/spaces/S/messages?key=k&token=abuse-chat-token',
    'https://chat.googleapis.com:8443/v1/spaces/S/messages?key=k&token=abuse-chat-token',
    'javascript:alert(1)//chat.googleapis.com/v1/spaces/S/messages',
  ];

  it.each(hostileWebhooks)('sends nothing to the Chat webhook %s, still emails, and logs no token', async (webhook) => {
    process.env['KFGUARD_LOCAL_CHAT_WEBHOOK'] = webhook;
    forgetSecrets();
    try {
      await t.pubsub.topic(TOPICS.notifications).publishMessage({ json: notification('hostile-webhook-v1', 'A finding') });
      await t.settle();
    } finally {
      process.env['KFGUARD_LOCAL_CHAT_WEBHOOK'] = t.stack.env['KFGUARD_LOCAL_CHAT_WEBHOOK']!;
      forgetSecrets();
    }
    expect(t.stack.chat.attempts).toEqual([]);
    expect(t.stack.smtp.messages).toHaveLength(1);
    const record = (await t.db.collection('notifications').doc('hostile-webhook-v1').get()).data();
    expect(record).toMatchObject({ channels: { chat: 'failed', email: 'delivered' } });
    expect(JSON.stringify(record)).not.toContain('abuse-chat-token');
    expect(functionLog.join('\n')).not.toContain('abuse-chat-token');
  });

  it('keeps an email subject from injecting headers or recipients', async () => {
    const title = 'Webhook blocked\r\nBcc: attacker@evil.example\r\nX-Injected: yes';
    await t.pubsub.topic(TOPICS.notifications).publishMessage({ json: notification('header-injection-v1', title) });
    await t.settle();
    expect(t.stack.smtp.messages).toHaveLength(1);
    const message = t.stack.smtp.messages[0]!;
    // The envelope: who the SMTP server was actually asked to deliver to.
    expect(message.to).toEqual(['platform-team@example.com']);
    expect(message.subject).not.toMatch(/[\r\n]/);
    const parsed = await simpleParser(message.raw);
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.headers.has('x-injected')).toBe(false);
  });
});

describe('deployTrigger refuses what would inject, leak or mislead', () => {
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['a plaintext IAP secret', { iap: { clientId: '123456789012-x.apps.googleusercontent.com', clientSecret: 'GOCSPX-abuse-suite-secret' } }, /iap\.clientSecret: plaintext secrets are refused/],
    ['a plaintext secret under another key', { iap: { clientId: '123456789012-x.apps.googleusercontent.com', clientSecret: { secretManager: 'projects/p/secrets/s/versions/1' } }, notify: { email: ['a@b.example'], password: 'GOCSPX-abuse-suite-secret' } }, /plaintext|unrecognized|notify/],
    ['a name that would run a shell command', { name: 'kf;rm -rf /' }, /\bname: /],
    ['a name with command substitution', { name: '$(curl evil.example)' }, /\bname: /],
    ['a name that is not a resource name', { name: 'Kubeflow-Prod' }, /\bname: /],
    ['a name over 24 characters', { name: 'kf-a-very-long-deployment-name' }, /\bname: /],
    ['a project id with a path in it', { project: 'acme/../../other' }, /\bproject: /],
    ['a control plane that is not a /28', { network: { controlPlaneCidr: '172.16.0.32/27', nodeCidr: '10.10.10.0/24', podCidr: '10.1.0.0/16', serviceCidr: '10.10.11.0/24' } }, /network\.controlPlaneCidr/],
    ['overlapping ranges', { network: { controlPlaneCidr: '172.16.0.32/28', nodeCidr: '10.1.0.0/24', podCidr: '10.1.0.0/16', serviceCidr: '10.10.11.0/24' } }, /overlap/],
    ['a public range', { network: { controlPlaneCidr: '172.16.0.32/28', nodeCidr: '8.8.8.0/24', podCidr: '10.1.0.0/16', serviceCidr: '10.10.11.0/24' } }, /RFC 1918/],
    ['an absurd CIDR', { network: { controlPlaneCidr: '172.16.0.32/99', nodeCidr: '10.10.10.0/24', podCidr: '10.1.0.0/16', serviceCidr: '10.10.11.0/24' } }, /network\.controlPlaneCidr/],
  ];

  it.each(refusals)('%s', async (_name, changes, reason) => {
    const id = 'kf-abuse';
    await t.pubsub.topic(TOPICS.deployRequests).publishMessage({ json: deploymentRequest(id, changes) });
    await t.settle();
    expect((await t.db.collection('deployments').doc(id).get()).exists).toBe(false);
    const [record, ...others] = await rejections('deployTrigger');
    expect(others).toEqual([]);
    expect(String(record?.['reason'])).toMatch(reason);
    for (const secret of SECRETS) {
      expect(JSON.stringify(record)).not.toContain(secret);
      expect(functionLog.join('\n')).not.toContain(secret);
    }
    expect(t.stack.workflows.executions()).toHaveLength(0);
  });

  it('refuses truncated JSON, __proto__ keys and deep nesting without crashing, each with its reason', async () => {
    const topic = t.pubsub.topic(TOPICS.deployRequests);
    const ids = await Promise.all([
      topic.publishMessage({ data: Buffer.from(JSON.stringify(deploymentRequest('kf-trunc')).slice(0, 90)) }),
      topic.publishMessage({ data: Buffer.from(`{"__proto__":{"admin":true},${JSON.stringify(deploymentRequest('kf-proto')).slice(1)}`) }),
      topic.publishMessage({ data: Buffer.from(`{"id":"kf-deep","network":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`) }),
    ]);
    await t.settle();
    ackedAll(ids);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    const reasons = (await rejections('deployTrigger')).map((record) => String(record['reason'])).sort();
    expect(reasons).toHaveLength(3);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^message\.data is not JSON/),
        expect.stringMatching(/^message\.data: nested more than 64 levels deep/),
        // The schema is strict: a __proto__ key is an unrecognized key, not a prototype.
        expect.stringMatching(/__proto__/),
      ]),
    );
    for (const id of ['kf-trunc', 'kf-proto', 'kf-deep']) expect((await t.db.collection('deployments').doc(id).get()).exists).toBe(false);
  });

});

describe('after every hostile message', () => {
  it('no function logged a secret: not the SMTP password, not the Chat token, not an IAP secret', () => {
    const log = functionLog.join('\n');
    expect(functionLog.length).toBeGreaterThan(10);
    const chatToken = new URL(t.stack.env['KFGUARD_LOCAL_CHAT_WEBHOOK']!).searchParams.get('token')!;
    for (const secret of [...SECRETS, t.stack.smtp.password, chatToken]) expect(log).not.toContain(secret);
    // Every line is one JSON object Cloud Logging can read.
    for (const line of functionLog) expect(JSON.parse(line)).toEqual(expect.objectContaining({ severity: expect.any(String), message: expect.any(String) }));
  });
});
