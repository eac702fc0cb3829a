import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, withFunctionEnv, type TestStack } from '../helpers/stack.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';
import { LOCAL_CHAT_WEBHOOK } from '../../functions/src/dev/stack.js';
import { ProtoPackage, RpcError, startFakeServer, type FakeServer, type RecordedCall } from '../../functions/src/dev/fakes/grpc-protos.js';
import type { NotificationRequest } from '../../functions/src/core/pipeline/notification.js';
import { findingOpened } from '../helpers/notifications.js';
import { forgetSecrets } from '../../functions/src/adapters/secrets.js';

/** What Secret Manager answers for a version name, in turn (the last answer repeats): a value, or a gRPC status. */
type SecretAnswer = { value: string } | { code: status };
const secretAnswers = new Map<string, SecretAnswer[]>();
const secretCalls: RecordedCall[] = [];

/** google.cloud.secretmanager.v1.SecretManagerService/AccessSecretVersion, for the real client; unknown names are NOT_FOUND. */
function startSecretManager(): Promise<FakeServer> {
  const protos = ProtoPackage.load({ packageName: '@google-cloud/secret-manager', file: 'google/cloud/secretmanager/v1/service.proto' });
  return startFakeServer({
    label: 'test Secret Manager',
    service: protos.service('google.cloud.secretmanager.v1.SecretManagerService'),
    calls: secretCalls,
    handlers: {
      AccessSecretVersion: (request) => {
        const name = String(request['name']);
        const answers = secretAnswers.get(name) ?? [{ code: status.NOT_FOUND }];
        const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
        if ('code' in answer) throw new RpcError(answer.code, `Secret Version [${name}] is not available.`);
        return { name, payload: { data: Buffer.from(answer.value) } };
      },
    },
  });
}

/** Long enough that a burst is delivered within one window however loaded the machine is. */
const QUOTA_WINDOW_MS = 6000;
let t: TestStack;
let secretManager: FakeServer;
let space = '';
const logLines: string[] = [];
beforeAll(async () => {
  secretManager = await startSecretManager();
  t = await startTestStack({
    functions: ['logSink', 'notifier'],
    functionLogs: (line) => logLines.push(line),
    env: {
      KFGUARD_CHAT_BACKOFF_MS: '50',
      KFGUARD_CHAT_PER_MINUTE: '5',
      KFGUARD_CHAT_WINDOW_MS: String(QUOTA_WINDOW_MS),
      KFGUARD_DASHBOARD_URL: 'http://127.0.0.1:9/dashboard',
      KFGUARD_SECRETMANAGER_ENDPOINT: `127.0.0.1:${secretManager.port}`,
    },
  });
});
afterAll(async () => {
  await t?.stop();
  await secretManager?.stop();
});

const warnings = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['severity'] === 'WARNING');

beforeEach(async () => {
  for (const collection of ['findings', 'events', 'notifications']) for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  t.stack.chat.messages.splice(0);
  t.stack.chat.attempts.splice(0);
  t.stack.smtp.messages.splice(0);
  logLines.splice(0);
  secretAnswers.clear();
  secretCalls.splice(0);
  // A space of its own for each test: no test spends another's quota.
  space = `AAAAtest${expect.getState().currentTestName!.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}`;
  process.env['KFGUARD_LOCAL_CHAT_WEBHOOK'] = LOCAL_CHAT_WEBHOOK.replace('AAAAkfguard', space);
  forgetSecrets();
});

const deniedEntry = (id: string) => ({ ...fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === id) });

const request = (id: string, title?: string): NotificationRequest => findingOpened(id, title ? { title } : {});

async function notify(...requests: NotificationRequest[]): Promise<void> {
  const topic = t.pubsub.topic(TOPICS.notifications);
  await Promise.all(requests.map((each) => topic.publishMessage({ json: each })));
  await t.settle();
}

describe('notifier: Google Chat and email', () => {
  it('a new finding from the sink sends one Chat card and one email, with the cause and the fix', async () => {
    await t.publishEntries([deniedEntry('webhook-port-blocked')]);
    await t.settle();
    expect(t.stack.chat.messages).toHaveLength(1);
    const [message] = t.stack.chat.messages;
    expect(message!.space).toBe(space);
    const card = (message!.body as any).cardsV2[0].card;
    expect(card.header.title).toBe('kfguard: New finding');
    const text = JSON.stringify(card.sections[0].widgets);
    expect(text).toContain('webhook-port-blocked');
    expect(text).toContain('--allow=tcp:15017');
    expect(text).toContain('Open the kfguard dashboard');
    expect(t.stack.smtp.messages).toHaveLength(1);
    const email = t.stack.smtp.messages[0]!;
    expect(email.to).toEqual(['platform-team@example.com']);
    expect(email.subject).toBe('[kfguard] New finding: [error] Control plane cannot reach an admission webhook port (kf-test-project)');
    expect(email.text).toContain('--allow=tcp:15017');
    expect(email.messageId).toMatch(/-v1@kfguard>$/);
    const [record] = (await t.db.collection('notifications').get()).docs.map((doc) => doc.data());
    expect(record).toMatchObject({ status: 'delivered', channels: { chat: 'delivered', email: 'delivered' } });
  });

  it('escapes what came from logs in the card', async () => {
    await notify(request('esc-v1', '<script>alert(1)</script>'));
    const text = JSON.stringify((t.stack.chat.messages[0]!.body as any).cardsV2[0].card);
    expect(text).not.toContain('<script>');
    expect(text).toContain('&lt;script&gt;');
  });

  it('exactly one notification per request id, however often it is delivered', async () => {
    const same = request('dup-v1');
    await notify(same, same, same);
    await notify(same);
    expect(t.stack.chat.messages.map((m) => m.requestId)).toEqual(['dup-v1']);
    expect(t.stack.smtp.messages).toHaveLength(1);
  });

  it('backs off on 429 honouring Retry-After, then delivers once', async () => {
    t.stack.chat.failNext({ status: 429, retryAfterSeconds: 1 }, { status: 503 });
    const started = Date.now();
    await notify(request('busy-v1'));
    expect(t.stack.chat.attempts.map((a) => a.status)).toEqual([429, 503, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(t.stack.chat.messages).toHaveLength(1);
  });

  it('folds messages past the space quota into one digest', async () => {
    await notify(...Array.from({ length: 8 }, (_, i) => request(`burst-${i}-v1`)));
    expect(t.stack.chat.messages).toHaveLength(5);
    const folded = (await t.db.collection('notifications').where('chatState', '==', 'folded').get()).size;
    expect(folded).toBe(3);
    expect(t.stack.smtp.messages).toHaveLength(8);
    await new Promise((resolve) => setTimeout(resolve, QUOTA_WINDOW_MS + 100));
    await notify({ id: 'flush-1', kind: 'flush', createdAt: new Date().toISOString() });
    expect(t.stack.chat.messages).toHaveLength(6);
    expect((t.stack.chat.messages[5]!.body as any).cardsV2[0].card.header.title).toBe('kfguard digest: 3 notifications');
    expect((await t.db.collection('notifications').where('chatState', '==', 'digested').get()).size).toBe(3);
  });

  it('refuses a webhook that is not chat.googleapis.com, and still emails', async () => {
    await withFunctionEnv({ KFGUARD_LOCAL_CHAT_WEBHOOK: 'https://chat.googleapis.com.evil.example/v1/spaces/X/messages?key=k&token=t' }, () => notify(request('evil-v1')));
    expect(t.stack.chat.attempts).toEqual([]);
    const record = (await t.db.collection('notifications').doc('evil-v1').get()).data()!;
    expect(record).toMatchObject({ channels: { chat: 'failed', email: 'delivered' } });
    expect(JSON.stringify(record)).not.toContain('token=t');
    expect(t.stack.smtp.messages).toHaveLength(1);
  });

  it('retries a mail server that is down without sending Chat twice', async () => {
    t.stack.smtp.setDown(true);
    const topic = t.pubsub.topic(TOPICS.notifications);
    await topic.publishMessage({ json: request('smtp-v1') });
    await new Promise((resolve) => setTimeout(resolve, 700));
    t.stack.smtp.setDown(false);
    await t.settle();
    expect(t.stack.chat.messages.map((m) => m.requestId)).toEqual(['smtp-v1']);
    expect(t.stack.smtp.messages).toHaveLength(1);
    expect((await t.db.collection('notifications').doc('smtp-v1').get()).get('status')).toBe('delivered');
  });

  it('rejects a request that is not a notification', async () => {
    await notify({ id: 'bad id with spaces', kind: 'finding-opened' } as unknown as NotificationRequest);
    const rejected = (await t.db.collection('rejected').get()).docs.map((doc) => doc.data());
    expect(rejected.some((r) => r['function'] === 'notifier' && /not a notification request/.test(String(r['reason'])))).toBe(true);
    expect(t.stack.chat.messages).toHaveLength(0);
  });
});

describe('notifier: a channel whose secret has no value is off, the other is delivered', () => {
  const CHAT_SECRET = 'projects/kf-test-project/secrets/kfguard-chat-webhook/versions/latest';
  const SMTP_SECRET = 'projects/kf-test-project/secrets/kfguard-smtp-url/versions/latest';

  it('a Chat secret without a version (NOT_FOUND) skips Chat with a warning naming the secret, and emails', async () => {
    await withFunctionEnv({ KFGUARD_CHAT_WEBHOOK_SECRET: CHAT_SECRET }, () => notify(request('nochat-v1')));
    expect(t.stack.chat.attempts).toEqual([]);
    expect(t.stack.smtp.messages).toHaveLength(1);
    expect((await t.db.collection('notifications').doc('nochat-v1').get()).data()).toMatchObject({ status: 'delivered', channels: { chat: 'skipped', email: 'delivered' } });
    expect(warnings()).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'chat', secretReference: CHAT_SECRET, message: expect.stringContaining('no enabled version') })]));
    expect(t.stack.pubsub.stats().deadLettered).toBe(0);
  });

  it('a disabled SMTP secret version (FAILED_PRECONDITION) skips email and posts Chat', async () => {
    secretAnswers.set(SMTP_SECRET, [{ code: status.FAILED_PRECONDITION }]);
    await withFunctionEnv({ KFGUARD_SMTP_URL_SECRET: SMTP_SECRET }, () => notify(request('nomail-v1')));
    expect(t.stack.chat.messages.map((message) => message.requestId)).toEqual(['nomail-v1']);
    expect(t.stack.smtp.messages).toEqual([]);
    expect((await t.db.collection('notifications').doc('nomail-v1').get()).data()).toMatchObject({ channels: { chat: 'delivered', email: 'skipped' } });
    expect(warnings()).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'email', secretReference: SMTP_SECRET })]));
  });

  it('an empty Chat secret skips Chat', async () => {
    secretAnswers.set(CHAT_SECRET, [{ value: '' }]);
    await withFunctionEnv({ KFGUARD_CHAT_WEBHOOK_SECRET: CHAT_SECRET }, () => notify(request('emptychat-v1')));
    expect(t.stack.chat.attempts).toEqual([]);
    expect((await t.db.collection('notifications').doc('emptychat-v1').get()).data()).toMatchObject({ channels: { chat: 'skipped', email: 'delivered' } });
  });

  it('a Secret Manager timeout is retried by Pub/Sub, then the message is delivered; the value is never logged or stored', async () => {
    secretAnswers.set(CHAT_SECRET, [{ code: status.DEADLINE_EXCEEDED }, { code: status.DEADLINE_EXCEEDED }, { value: LOCAL_CHAT_WEBHOOK }]);
    await withFunctionEnv({ KFGUARD_CHAT_WEBHOOK_SECRET: CHAT_SECRET }, () => notify(request('slowsecret-v1')));
    expect(secretCalls.length).toBeGreaterThanOrEqual(3);
    expect(t.stack.chat.messages.map((message) => message.requestId)).toEqual(['slowsecret-v1']);
    const record = (await t.db.collection('notifications').doc('slowsecret-v1').get()).data()!;
    expect(record).toMatchObject({ status: 'delivered', channels: { chat: 'delivered', email: 'delivered' } });
    expect(t.stack.smtp.messages).toHaveLength(1);
    expect(logLines.join('\n')).not.toContain('local-token');
    expect(JSON.stringify(record)).not.toContain('local-token');
  });
});
