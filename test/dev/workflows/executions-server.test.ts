import { ExecutionsClient } from '@google-cloud/workflows';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeWorkflows } from '../../../functions/src/dev/workflows/executions-server.js';
import { WorkflowError } from '../../../functions/src/dev/workflows/runner.js';
import type { PublishedMessage } from '../../../functions/src/dev/workflows/services.js';

// Without it the client's auth probes the GCE metadata server before the first call.
process.env['METADATA_SERVER_DETECTION'] = 'none';

const AWAIT_APPROVAL = `
main:
  params: [args]
  steps:
    - create:
        call: events.create_callback_endpoint
        result: callback
    - announce:
        call: googleapis.pubsub.v1.projects.topics.publish
        args:
          topic: \${"projects/" + sys.get_env("GOOGLE_CLOUD_PROJECT_ID") + "/topics/approvals"}
          body:
            messages:
              - data: \${base64.encode(text.encode(callback.url))}
                attributes:
                  cluster: \${args.cluster}
    - wait:
        call: events.await_callback
        args:
          callback: \${callback}
          timeout: \${args.timeout}
        result: approval
    - done:
        return:
          approval: \${approval.http_request.body}
          workflow: \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_ID")}
          location: \${sys.get_env("GOOGLE_CLOUD_LOCATION")}
          execution: \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}
          ratio: \${args.ratio}
`;

const FAILING = `
main:
  steps:
    - check:
        raise:
          message: "cluster not ready"
          code: 409
`;

/** Publish stub: the test learns each callback URL the workflow announces. */
function urlMailbox() {
  const waiting: ((url: string) => void)[] = [];
  const urls: string[] = [];
  return {
    published: [] as { topic: string; messages: PublishedMessage[] }[],
    nextUrl(): Promise<string> {
      const ready = urls.shift();
      return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
    deliver(url: string): void {
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(url);
      else urls.push(url);
    },
  };
}

describe('FakeWorkflows with the real ExecutionsClient', () => {
  const mailbox = urlMailbox();
  let fake: FakeWorkflows;
  let client: ExecutionsClient;

  beforeAll(async () => {
    fake = await FakeWorkflows.start({
      workflows: { 'kfguard-deploy': AWAIT_APPROVAL, failing: FAILING },
      connectors: {
        publish: async (topic, messages) => {
          mailbox.published.push({ topic, messages });
          mailbox.deliver(Buffer.from(messages[0]?.data ?? '', 'base64').toString('utf8'));
          return ['m-1'];
        },
      },
    });
    client = new ExecutionsClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() });
  });

  afterAll(async () => {
    await client.close();
    await fake.stop();
  });

  it('runs an execution that publishes its callback URL and returns the callback body', async () => {
    const parent = client.workflowPath('kf-test', 'us-central1', 'kfguard-deploy');
    const [created] = await client.createExecution({ parent, execution: { argument: JSON.stringify({ cluster: 'kf', timeout: 20, ratio: 2.0 }).replace('"ratio":2', '"ratio":2.0') } });
    expect(created.state).toBe('ACTIVE');
    expect(created.name).toMatch(new RegExp(`^${parent}/executions/[0-9a-f-]{36}$`));

    const url = await mailbox.nextUrl();
    expect(url.startsWith(`${fake.callbackBaseUrl}/callbacks/`)).toBe(true);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' },
      body: JSON.stringify({ approved: true, by: 'reviewer' }),
    });
    expect(response.status).toBe(200);

    const finished = await fake.waitForExecution(created.name ?? '', 10_000);
    expect(finished.state).toBe('SUCCEEDED');
    const [got] = await client.getExecution({ name: created.name ?? '' });
    expect(got.state).toBe('SUCCEEDED');
    const executionId = (created.name ?? '').split('/').at(-1);
    expect(JSON.parse(got.result ?? '')).toEqual({ approval: { approved: true, by: 'reviewer' }, workflow: 'kfguard-deploy', location: 'us-central1', execution: executionId, ratio: 2 });
    expect(got.result).toContain('"ratio":2.0');
    expect(got.error).toBeNull();
    expect(Number(got.endTime?.seconds)).toBeGreaterThanOrEqual(Number(got.startTime?.seconds));
    expect(mailbox.published[0]).toMatchObject({ topic: 'projects/kf-test/topics/approvals', messages: [{ attributes: { cluster: 'kf' } }] });
    expect(fake.callbacks.received.at(-1)).toMatchObject({ bearerToken: 'test-token' });
  });

  it('reports an uncaught error as Execution.error with a JSON payload and a stack trace', async () => {
    const [created] = await client.createExecution({ parent: client.workflowPath('kf-test', 'europe-west1', 'failing'), execution: {} });
    await fake.waitForExecution(created.name ?? '', 10_000);
    const [got] = await client.getExecution({ name: created.name ?? '' });
    expect(got.state).toBe('FAILED');
    expect(JSON.parse(got.error?.payload ?? '')).toEqual({ message: 'cluster not ready', code: 409 });
    expect(got.error?.context).toContain('in step "check", routine "main"');
    expect(got.error?.stackTrace?.elements?.[0]).toMatchObject({ step: 'check', routine: 'main', position: { line: '4' } });
    expect(fake.executions().find((execution) => execution.name === created.name)).toMatchObject({ state: 'FAILED', error: { payload: { code: 409 } } });
  });

  it('lists executions of a workflow, newest first, in the BASIC view by default', async () => {
    const parent = client.workflowPath('kf-test', 'europe-west1', 'failing');
    const [second] = await client.createExecution({ parent, execution: { argument: '' } });
    await fake.waitForExecution(second.name ?? '', 10_000);
    const [executions] = await client.listExecutions({ parent }, { autoPaginate: false });
    expect(executions.map((execution) => execution.name)).toEqual(
      fake
        .executions()
        .filter((execution) => execution.name.startsWith(parent))
        .map((execution) => execution.name)
        .reverse(),
    );
    expect(executions[0]).toMatchObject({ state: 'FAILED', argument: '', error: null });
    const [full] = await client.listExecutions({ parent, view: 'FULL' }, { autoPaginate: false });
    expect(full[0]?.error?.payload).toContain('cluster not ready');
  });

  it('lists the executions carrying a label, and refuses filters it does not implement', async () => {
    const parent = client.workflowPath('kf-test', 'europe-west1', 'failing');
    const [labelled] = await client.createExecution({ parent, execution: { labels: { 'kfguard-deployment': 'kf-one', team: 'ml' } } });
    await client.createExecution({ parent, execution: { labels: { 'kfguard-deployment': 'kf-two' } } });
    const [found] = await client.listExecutions({ parent, filter: 'labels.kfguard-deployment="kf-one"' }, { autoPaginate: false });
    expect(found.map((execution) => execution.name)).toEqual([labelled.name]);
    const [both] = await client.listExecutions({ parent, filter: 'labels.kfguard-deployment="kf-one" AND labels.team="ml"', view: 'FULL' }, { autoPaginate: false });
    expect(both.map((execution) => execution.labels)).toEqual([{ 'kfguard-deployment': 'kf-one', team: 'ml' }]);
    expect((await client.listExecutions({ parent, filter: 'labels.team="data"' }, { autoPaginate: false }))[0]).toEqual([]);
    await expect(client.listExecutions({ parent, filter: 'state="FAILED"' })).rejects.toMatchObject({ code: 3, details: expect.stringContaining('labels.KEY="VALUE"') });
  });

  it('cancels an execution that is waiting for a callback', async () => {
    const parent = client.workflowPath('kf-test', 'us-central1', 'kfguard-deploy');
    const [created] = await client.createExecution({ parent, execution: { argument: JSON.stringify({ cluster: 'kf', timeout: 3600, ratio: 1 }) } });
    const url = await mailbox.nextUrl();
    const [cancelled] = await client.cancelExecution({ name: created.name ?? '' });
    expect(cancelled.state).toBe('CANCELLED');
    const finished = await fake.waitForExecution(created.name ?? '', 5_000);
    expect(finished.state).toBe('CANCELLED');
    expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('answers NOT_FOUND for unknown workflows and executions, INVALID_ARGUMENT for bad input', async () => {
    await expect(client.createExecution({ parent: client.workflowPath('kf-test', 'us-central1', 'nope'), execution: {} })).rejects.toMatchObject({ code: 5 });
    await expect(client.getExecution({ name: `${client.workflowPath('kf-test', 'us-central1', 'failing')}/executions/missing` })).rejects.toMatchObject({ code: 5 });
    await expect(client.createExecution({ parent: client.workflowPath('kf-test', 'us-central1', 'failing'), execution: { argument: '{not json' } })).rejects.toMatchObject({ code: 3 });
  });
});

describe('FakeWorkflows.start', () => {
  it('rejects a workflow the runner does not support before listening', async () => {
    await expect(
      FakeWorkflows.start({ workflows: { bad: 'main:\n  steps:\n    - p:\n        parallel:\n          branches: []\n' }, connectors: { publish: async () => [] } }),
    ).rejects.toBeInstanceOf(WorkflowError);
  });
});
