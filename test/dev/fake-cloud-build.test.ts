import { CloudBuildClient, protos } from '@google-cloud/cloudbuild';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeCloudBuild } from '../../functions/src/dev/fakes/cloud-build.js';
import type { BuildNotification } from '../../functions/src/dev/fakes/cloud-build.js';
import { FakeStorage } from '../../functions/src/dev/fakes/storage.js';

// Without it the client's auth probes the GCE metadata server before the first call.
process.env['METADATA_SERVER_DETECTION'] = 'none';

const { Build } = protos.google.devtools.cloudbuild.v1;
const PROJECT = 'kf-test-project';
const ARTIFACTS = 'kf-test-project_cloudbuild';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const BUILD = {
  steps: [
    { name: 'gcr.io/cloud-builders/gcloud', entrypoint: 'bash', args: ['-c', 'make hydrate'] },
    { name: 'gcr.io/cloud-builders/kubectl', args: ['apply', '-k', '.'], timeout: { seconds: 300, nanos: 500_000_000 } },
  ],
  timeout: { seconds: 1800 },
  substitutions: { _CLUSTER: 'kf' },
  tags: ['kfguard', 'stage-hydrate'],
  options: { logging: protos.google.devtools.cloudbuild.v1.BuildOptions.LoggingMode.CLOUD_LOGGING_ONLY },
};

interface Received {
  attributes: BuildNotification['attributes'];
  build: Record<string, any>;
}

async function eventually<T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** gax types LRO metadata loosely; for CreateBuild it is a decoded BuildOperationMetadata. */
function metadataBuild(operation: { metadata: unknown }): protos.google.devtools.cloudbuild.v1.IBuild | null | undefined {
  return (operation.metadata as protos.google.devtools.cloudbuild.v1.IBuildOperationMetadata | null)?.build;
}

async function rpcError(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('FakeCloudBuild with the real CloudBuildClient', () => {
  let storage: FakeStorage;
  let fake: FakeCloudBuild;
  let client: CloudBuildClient;
  const received: Received[] = [];
  const behaviourSaw: Record<string, any>[] = [];

  const notificationsFor = (buildId: string): Received[] => received.filter((message) => message.attributes.buildId === buildId);
  const untilStatus = (buildId: string, status: string): Promise<Received> =>
    eventually(() => notificationsFor(buildId).find((message) => message.attributes.status === status), `${status} for ${buildId}`);

  async function create(build: Record<string, unknown> = BUILD, extra: Record<string, unknown> = {}) {
    const [operation] = await client.createBuild({ projectId: PROJECT, build, ...extra });
    return { operation, buildId: String(metadataBuild(operation)?.id) };
  }

  beforeAll(async () => {
    storage = await FakeStorage.start();
    fake = await FakeCloudBuild.start({
      storage,
      notify: async (message) => {
        // Asynchronous on purpose: delivery order must hold even when notify takes a while.
        await new Promise((resolve) => setTimeout(resolve, 2));
        received.push({ attributes: message.attributes, build: JSON.parse(message.data.toString('utf8')) });
      },
    });
    client = new CloudBuildClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure(), projectId: PROJECT });
  });

  afterAll(async () => {
    await client.close();
    await fake.stop();
    await storage.stop();
  });

  beforeEach(() => {
    fake.setBehaviour((build) => {
      behaviourSaw.push(build);
      return { status: 'SUCCESS', durationMs: 30, objects: [{ bucket: ARTIFACTS, name: `artifacts/${String(build['id'])}/manifest.yaml`, content: 'kind: List\n' }] };
    });
  });

  it('runs a build QUEUED → WORKING → SUCCESS, notifying each step and uploading its artifacts', async () => {
    const { operation, buildId } = await create();
    // The id is there at once, before any polling; LRO metadata is a protobufjs message with numeric enums.
    expect(buildId).toMatch(UUID);
    expect(operation.done).toBe(false);
    expect(Build.Status[metadataBuild(operation)?.status as number]).toBe('QUEUED');
    expect(operation.name).toMatch(new RegExp(`^operations/build/${PROJECT}/`));

    const success = await untilStatus(buildId, 'SUCCESS');
    expect(notificationsFor(buildId).map((message) => message.attributes)).toEqual([
      { buildId, status: 'QUEUED' },
      { buildId, status: 'WORKING' },
      { buildId, status: 'SUCCESS' },
    ]);
    const [queued, working] = notificationsFor(buildId);
    expect(queued?.build).toMatchObject({ id: buildId, projectId: PROJECT, status: 'QUEUED' });
    expect(queued?.build.startTime).toBeUndefined();
    expect(working?.build.startTime).toEqual(expect.any(String));

    const final = success.build;
    expect(final).toMatchObject({
      id: buildId,
      projectId: PROJECT,
      status: 'SUCCESS',
      name: `projects/${PROJECT}/locations/global/builds/${buildId}`,
      tags: ['kfguard', 'stage-hydrate'],
      substitutions: { _CLUSTER: 'kf' },
      timeout: '1800s',
      queueTtl: '3600s',
      options: { logging: 'CLOUD_LOGGING_ONLY' },
      logUrl: `https://console.cloud.google.com/cloud-build/builds/${buildId}?project=${PROJECT}`,
      results: { numArtifacts: '1' },
    });
    expect(final.steps.map((step: any) => [step.name, step.status])).toEqual([
      ['gcr.io/cloud-builders/gcloud', 'SUCCESS'],
      ['gcr.io/cloud-builders/kubectl', 'SUCCESS'],
    ]);
    expect(final.steps[1]).toMatchObject({ args: ['apply', '-k', '.'], timeout: '300.500s' });
    for (const field of ['createTime', 'startTime', 'finishTime']) expect(final[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(final.finishTime)).toBeGreaterThanOrEqual(Date.parse(final.startTime));
    expect(final.results.buildStepImages).toHaveLength(2);

    // The behaviour saw the build as REST JSON.
    expect(behaviourSaw.at(-1)).toMatchObject({ id: buildId, status: 'WORKING', timeout: '1800s', tags: ['kfguard', 'stage-hydrate'] });

    // Artifacts were in storage by the time SUCCESS was published.
    const artifact = await fetch(`${storage.baseUrl}/storage/v1/b/${ARTIFACTS}/o/${encodeURIComponent(`artifacts/${buildId}/manifest.yaml`)}?alt=media`);
    expect(await artifact.text()).toBe('kind: List\n');

    const [fetched] = await client.getBuild({ projectId: PROJECT, id: buildId });
    expect(fetched.status).toBe('SUCCESS');
    expect(fetched.finishTime?.seconds).toBe(String(Math.floor(Date.parse(final.finishTime) / 1000)));

    const [result] = await operation.promise();
    expect(Build.Status[result.status as number]).toBe('SUCCESS');
    expect(result.id).toBe(buildId);
    const checked = await client.checkCreateBuildProgress(operation.name ?? '');
    expect(checked.done).toBe(true);
    expect(fake.builds().find((build) => build['id'] === buildId)?.['status']).toBe('SUCCESS');
    expect(fake.calls.find((call) => call.method === 'CreateBuild')?.request).toMatchObject({ projectId: PROJECT, build: { tags: ['kfguard', 'stage-hydrate'] } });
  });

  it('fails a build the behaviour fails: FAILURE notification, rejected promise, no artifacts', async () => {
    fake.setBehaviour((build) => ({ status: 'FAILURE', durationMs: 20, objects: [{ bucket: ARTIFACTS, name: `artifacts/${String(build['id'])}/never`, content: 'x' }] }));
    const { operation, buildId } = await create();
    const failure = await untilStatus(buildId, 'FAILURE');
    expect(notificationsFor(buildId).map((message) => message.attributes.status)).toEqual(['QUEUED', 'WORKING', 'FAILURE']);
    expect(failure.build.statusDetail).toBe('Build step failure: build step 1 "gcr.io/cloud-builders/kubectl" failed: step exited with non-zero status: 1');
    expect(failure.build.failureInfo).toEqual({ type: 'USER_BUILD_STEP', detail: failure.build.statusDetail });
    expect(failure.build.steps.map((step: any) => step.status)).toEqual(['SUCCESS', 'FAILURE']);
    expect(failure.build.results).toBeUndefined();

    const error = await rpcError(operation.promise());
    expect(error.code).toBe(grpc.status.UNKNOWN);
    expect(error.message).toContain('Build failed; check build logs for details');
    const [fetched] = await client.getBuild({ projectId: PROJECT, id: buildId });
    expect(fetched.status).toBe('FAILURE');
    expect(fetched.failureInfo?.type).toBe('USER_BUILD_STEP');
    const missing = await fetch(`${storage.baseUrl}/storage/v1/b/${ARTIFACTS}/o/${encodeURIComponent(`artifacts/${buildId}/never`)}`);
    expect(missing.status).toBe(404);
  });

  it('cancels a build that never finishes', async () => {
    fake.setBehaviour(() => 'never-finishes');
    const { operation, buildId } = await create();
    await untilStatus(buildId, 'WORKING');
    const [cancelled] = await client.cancelBuild({ projectId: PROJECT, id: buildId });
    expect(cancelled.status).toBe('CANCELLED');
    const notice = await untilStatus(buildId, 'CANCELLED');
    expect(notice.build.finishTime).toEqual(expect.any(String));
    expect(notificationsFor(buildId).map((message) => message.attributes.status)).toEqual(['QUEUED', 'WORKING', 'CANCELLED']);
    expect((await rpcError(operation.promise())).code).toBe(grpc.status.CANCELLED);
    const again = await rpcError(client.cancelBuild({ projectId: PROJECT, id: buildId }));
    expect(again.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('times a build out at its timeout', async () => {
    fake.setBehaviour(() => 'never-finishes');
    const { buildId } = await create({ ...BUILD, timeout: { seconds: 0, nanos: 60_000_000 } });
    const timedOut = await untilStatus(buildId, 'TIMEOUT');
    expect(timedOut.build.timeout).toBe('0.060s');
    expect(notificationsFor(buildId).map((message) => message.attributes.status)).toEqual(['QUEUED', 'WORKING', 'TIMEOUT']);
  });

  it('lists builds newest first, filtered by tags and status', async () => {
    fake.setBehaviour((build) => ({ status: (build['tags'] as string[]).includes('bad') ? 'FAILURE' : 'SUCCESS', durationMs: 5 }));
    const first = await create({ ...BUILD, tags: ['list-test'] });
    const second = await create({ ...BUILD, tags: ['list-test', 'bad'] });
    const third = await create({ ...BUILD, tags: ['list-test'] });
    await Promise.all([first, second, third].map(({ buildId }) => eventually(() => notificationsFor(buildId).find((message) => message.attributes.status !== 'QUEUED' && message.attributes.status !== 'WORKING'), buildId)));

    const [tagged] = await client.listBuilds({ projectId: PROJECT, filter: 'tags="list-test"' });
    expect(tagged.map((build) => build.id)).toEqual([third.buildId, second.buildId, first.buildId]);
    const [succeeded] = await client.listBuilds({ projectId: PROJECT, filter: 'tags="list-test" AND status="SUCCESS"' });
    expect(succeeded.map((build) => build.id)).toEqual([third.buildId, first.buildId]);

    const [page, next] = await client.listBuilds({ projectId: PROJECT, filter: 'tags="list-test"', pageSize: 2 }, { autoPaginate: false });
    expect(page.map((build) => build.id)).toEqual([third.buildId, second.buildId]);
    const [rest] = await client.listBuilds(next ?? {}, { autoPaginate: false });
    expect(rest.map((build) => build.id)).toEqual([first.buildId]);
  });

  it('rejects an unsupported filter with INVALID_ARGUMENT', async () => {
    const error = await rpcError(client.listBuilds({ projectId: PROJECT, filter: 'create_time>"2024-01-01T00:00:00Z"' }));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await rpcError(client.listBuilds({ projectId: PROJECT, filter: 'tags="a" OR tags="b"' }))).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await rpcError(client.listBuilds({ projectId: PROJECT, filter: 'status="DONE"' }))).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('keeps regional builds in their location and reports unknown builds as NOT_FOUND', async () => {
    const parent = `projects/${PROJECT}/locations/us-central1`;
    const { operation, buildId } = await create(BUILD, { parent });
    expect(operation.name).toMatch(new RegExp(`^${parent}/operations/`));
    await untilStatus(buildId, 'SUCCESS');
    const [regional] = await client.getBuild({ name: `${parent}/builds/${buildId}` });
    expect(regional).toMatchObject({ id: buildId, status: 'SUCCESS', logUrl: `https://console.cloud.google.com/cloud-build/builds;region=us-central1/${buildId}?project=${PROJECT}` });
    const wrongLocation = await rpcError(client.getBuild({ projectId: PROJECT, id: buildId }));
    expect(wrongLocation.code).toBe(grpc.status.NOT_FOUND);
    expect(wrongLocation.details).toContain('us-central1');
    const [inRegion] = await client.listBuilds({ parent });
    expect(inRegion.map((build) => build.id)).toEqual([buildId]);
    expect((await rpcError(client.getBuild({ projectId: PROJECT, id: 'no-such-build' }))).code).toBe(grpc.status.NOT_FOUND);
  });

  it('rejects a build without steps', async () => {
    const error = await rpcError(client.createBuild({ projectId: PROJECT, build: { tags: ['empty'] } }));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('ends a build INTERNAL_ERROR when the behaviour throws', async () => {
    fake.setBehaviour(() => {
      throw new Error('scenario bug');
    });
    const { buildId } = await create();
    const failed = await untilStatus(buildId, 'INTERNAL_ERROR');
    expect(failed.build.statusDetail).toContain('scenario bug');
  });
});
