import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowRunner } from '../../../functions/src/dev/workflows/runner.js';
import type { CallbackServer } from '../../../functions/src/dev/workflows/runner.js';
import { recordingConnectors } from './helpers.js';

const PUBLISH_URL_THEN_AWAIT = `
main:
  params: [args]
  steps:
    - create:
        call: events.create_callback_endpoint
        args:
          http_callback_method: \${args.method}
        result: callback
    - announce:
        call: googleapis.pubsub.v1.projects.topics.publish
        args:
          topic: projects/kf-test/topics/callbacks
          body:
            messages:
              - data: \${base64.encode(text.encode(callback.url))}
                attributes:
                  kind: callback
    - wait:
        try:
          call: events.await_callback
          args:
            callback: \${callback}
            timeout: \${args.timeout}
          result: request
        except:
          as: e
          steps:
            - timed_out:
                return:
                  error: \${e}
    - done:
        return: \${request}
`;

interface Announced {
  url: string;
  /** Resolves once the workflow has published the URL. */
  ready: Promise<void>;
}

/** Connectors whose publish hands the callback URL to the test, optionally calling it before returning. */
function announcingConnectors(callFirst?: (url: string) => Promise<void>) {
  const connectors = recordingConnectors();
  let resolveReady: () => void = () => undefined;
  const announced: Announced = { url: '', ready: new Promise((resolve) => (resolveReady = resolve)) };
  const record = connectors.publish;
  connectors.publish = async (topic, messages) => {
    announced.url = Buffer.from(messages[0]?.data ?? '', 'base64').toString('utf8');
    if (callFirst !== undefined) await callFirst(announced.url);
    resolveReady();
    return record(topic, messages);
  };
  return { connectors, announced };
}

describe('callbacks', () => {
  let callbacks: CallbackServer;

  beforeAll(async () => {
    callbacks = await WorkflowRunner.startCallbacks();
  });

  afterAll(async () => {
    await callbacks.stop();
  });

  it('queues a request that arrives before await_callback and delivers it with the documented shape', async () => {
    const post = (url: string) =>
      fetch(`${url}?trace=1&trace=2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer early-token' },
        body: JSON.stringify({ approved: true, count: 3, ratio: 1.5 }),
      }).then((response) => expect(response.status).toBe(200));
    const { connectors, announced } = announcingConnectors(post);
    const result = await new WorkflowRunner(PUBLISH_URL_THEN_AWAIT, connectors, { callbacks }).run({ method: 'POST', timeout: 5 }, 'exec-early');

    expect(result.state).toBe('SUCCEEDED');
    expect(announced.url).toMatch(new RegExp(`^${callbacks.baseUrl}/callbacks/exec-early/[0-9a-f-]{36}$`));
    expect(result.result).toMatchObject({
      http_request: { body: { approved: true, count: 3, ratio: 1.5 }, method: 'POST', query: { trace: ['1', '2'] }, headers: { 'content-type': 'application/json' } },
      type: 'HTTP',
    });
    const request = (result.result as { http_request: { headers: Record<string, string>; url: string }; received_time: string });
    expect(request.http_request.headers['authorization']).toBeUndefined();
    expect(request.http_request.url).toBe(`${new URL(announced.url).pathname}?trace=1&trace=2`);
    expect(Number.isNaN(Date.parse(request.received_time))).toBe(false);
    expect(callbacks.received.find((received) => received.executionId === 'exec-early')).toMatchObject({ bearerToken: 'early-token', body: { approved: true, count: 3, ratio: 1.5 } });
    expect(connectors.published[0]).toMatchObject({ topic: 'projects/kf-test/topics/callbacks', messages: [{ attributes: { kind: 'callback' } }] });

    const afterwards = await fetch(announced.url, { method: 'POST', body: '{}' });
    expect(afterwards.status).toBe(404);
  });

  it('wakes a waiting await_callback, after refusing malformed or misdirected requests', async () => {
    const { connectors, announced } = announcingConnectors();
    const running = new WorkflowRunner(PUBLISH_URL_THEN_AWAIT, connectors, { callbacks }).run({ method: 'PUT', timeout: 10 }, 'exec-late');
    await announced.ready;

    expect((await fetch(announced.url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"broken":' })).status).toBe(400);
    expect((await fetch(announced.url, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${callbacks.baseUrl}/callbacks/exec-late/not-an-endpoint`, { method: 'PUT', body: '{}' })).status).toBe(404);
    expect((await fetch(announced.url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'approved' })).status).toBe(200);

    const result = await running;
    expect(result.result).toMatchObject({ http_request: { body: 'approved', method: 'PUT' } });
  });

  it('raises a TimeoutError that except catches when no request comes', async () => {
    const { connectors } = announcingConnectors();
    const started = Date.now();
    const result = await new WorkflowRunner(PUBLISH_URL_THEN_AWAIT, connectors, { callbacks }).run({ method: 'POST', timeout: 0.05 }, 'exec-timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.result).toMatchObject({ error: { tags: ['TimeoutError'], message: expect.stringMatching(/timeout waiting for callback/) } });
  });

  it('answers 404 for endpoints nobody created', async () => {
    const response = await fetch(`${callbacks.baseUrl}/callbacks/unknown/unknown`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 404 } });
    expect((await fetch(`${callbacks.baseUrl}/elsewhere`)).status).toBe(404);
  });

  it('uses callbackBaseUrl in the URLs it hands out', async () => {
    const { connectors, announced } = announcingConnectors();
    const result = await new WorkflowRunner(PUBLISH_URL_THEN_AWAIT, connectors, { callbacks, callbackBaseUrl: 'http://host.docker.internal:9999/' }).run(
      { method: 'POST', timeout: 0 },
      'exec-rebased',
    );
    expect(announced.url).toMatch(/^http:\/\/host\.docker\.internal:9999\/callbacks\/exec-rebased\//);
    expect(result.result).toMatchObject({ error: { tags: ['TimeoutError'] } });
  });
});

describe('the Pub/Sub publish connector', () => {
  function publishing(messages: string): string {
    return `
main:
  steps:
    - prepare:
        assign:
          - cluster_record: {"cluster": "kf"}
    - send:
        try:
          call: googleapis.pubsub.v1.projects.topics.publish
          args:
            topic: projects/kf-test/topics/deploys
            body:
              messages: ${messages}
          result: sent
        except:
          as: e
          steps:
            - failed:
                return:
                  code: \${e.code}
                  tags: \${e.tags}
    - done:
        return: \${sent}
`;
  }

  it('publishes base64 data with attributes and returns the message ids', async () => {
    const connectors = recordingConnectors();
    const result = await new WorkflowRunner(
      publishing(`
                - data: \${base64.encode(json.encode(cluster_record))}
                  attributes:
                    stage: deploy
                - attributes:
                    only: attributes`),
      connectors,
    ).run(null);
    expect(result.result).toEqual({ messageIds: ['msg-1-0', 'msg-1-1'] });
    expect(connectors.published).toEqual([
      {
        topic: 'projects/kf-test/topics/deploys',
        messages: [
          { data: Buffer.from('{"cluster":"kf"}').toString('base64'), attributes: { stage: 'deploy' } },
          { data: '', attributes: { only: 'attributes' } },
        ],
      },
    ]);
  });

  it.each([
    ['data that is not base64', '[{"data": "not base64!"}]'],
    ['an empty message', '[{}]'],
    ['a non-string attribute', '[{"data": "aGk=", "attributes": {"n": 1}}]'],
    ['an unknown message field', '[{"data": "aGk=", "payload": "x"}]'],
    ['no messages', '[]'],
  ])('answers %s with an HttpError 400, as the API would', async (_what, messages) => {
    const connectors = recordingConnectors();
    const result = await new WorkflowRunner(publishing(messages), connectors).run(null);
    expect(result.result).toEqual({ code: 400, tags: ['HttpError'] });
    expect(connectors.published).toEqual([]);
  });

  it('maps a connector failure to an HttpError with its status', async () => {
    const connectors = recordingConnectors();
    connectors.publishFailures.push(Object.assign(new Error('denied'), { code: 7 }));
    const result = await new WorkflowRunner(publishing('[{"data": "aGk="}]'), connectors).run(null);
    expect(result.result).toEqual({ code: 403, tags: ['HttpError'] });
  });
});
