import { ClusterManagerClient } from '@google-cloud/container';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGke } from '../../functions/src/dev/fakes/gke.js';
import { fixtureJson } from '../helpers/fixtures.js';

// Without it the client's auth probes the GCE metadata server before the first call.
process.env['METADATA_SERVER_DETECTION'] = 'none';

const CLUSTER = fixtureJson<Record<string, any>>('gke/cluster-describe.json');
const OPERATIONS = fixtureJson<Record<string, any>[]>('gke/operations-list.json');
const CLUSTER_NAME = 'projects/kf-test-project/locations/us-central1/clusters/kf-test';

const ZONAL_CLUSTER = {
  name: 'kf-zonal',
  location: 'us-central1-a',
  zone: 'us-central1-a',
  status: 'PROVISIONING',
  selfLink: 'https://container.googleapis.com/v1/projects/kf-test-project/zones/us-central1-a/clusters/kf-zonal',
  createTime: '2026-03-02T08:00:00+00:00',
  // Well-known types in their JSON form: Timestamp, Duration, BoolValue and a map of messages.
  maintenancePolicy: {
    window: { maintenanceExclusions: { 'no-upgrades': { startTime: '2026-03-01T00:00:00Z', endTime: '2026-03-08T00:00:00.5Z' } } },
  },
  nodePools: [
    {
      name: 'gpu',
      initialNodeCount: 2,
      config: { machineType: 'a2-highgpu-1g', kubeletConfig: { cpuCfsQuota: false } },
      upgradeSettings: { strategy: 'BLUE_GREEN', blueGreenSettings: { nodePoolSoakDuration: '3600.25s' } },
    },
  ],
};

async function rpcError(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('FakeGke with the real ClusterManagerClient', () => {
  let fake: FakeGke;
  let client: ClusterManagerClient;

  beforeAll(async () => {
    fake = await FakeGke.start();
    client = new ClusterManagerClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure(), projectId: 'kf-test-project' });
  });

  afterAll(async () => {
    await client.close();
    await fake.stop();
  });

  beforeEach(() => {
    fake.setClusters([CLUSTER, ZONAL_CLUSTER]);
    fake.setOperations(OPERATIONS);
    fake.calls.length = 0;
  });

  it('getCluster returns the fixture field for field', async () => {
    const [cluster] = await client.getCluster({ name: CLUSTER_NAME });
    expect(cluster).toMatchObject(CLUSTER);
    expect(cluster.status).toBe('RUNNING');
    expect(cluster.privateClusterConfig?.masterIpv4CidrBlock).toBe('172.16.0.32/28');
    expect(cluster.nodePools?.map((pool) => [pool.name, pool.config?.machineType, pool.networkConfig?.podIpv4CidrBlock])).toEqual([
      ['default-pool', 'e2-standard-8', '10.1.0.0/16'],
    ]);
  });

  it('converts JSON well-known types and finds zonal clusters through the deprecated fields', async () => {
    const [cluster] = await client.getCluster({ projectId: 'kf-test-project', zone: 'us-central1-a', clusterId: 'kf-zonal' });
    expect(cluster).toMatchObject({ name: 'kf-zonal', status: 'PROVISIONING', createTime: '2026-03-02T08:00:00+00:00' });
    const exclusion = cluster.maintenancePolicy?.window?.maintenanceExclusions?.['no-upgrades'];
    expect(exclusion?.startTime).toEqual({ seconds: String(Date.parse('2026-03-01T00:00:00Z') / 1000), nanos: 0 });
    expect(exclusion?.endTime).toEqual({ seconds: String(Date.parse('2026-03-08T00:00:00Z') / 1000), nanos: 500_000_000 });
    const pool = cluster.nodePools?.[0];
    expect(pool?.config?.kubeletConfig?.cpuCfsQuota).toEqual({ value: false });
    expect(pool?.upgradeSettings?.strategy).toBe('BLUE_GREEN');
    expect(pool?.upgradeSettings?.blueGreenSettings?.nodePoolSoakDuration).toEqual({ seconds: '3600', nanos: 250_000_000 });
    expect(fake.calls).toEqual([{ method: 'GetCluster', request: { projectId: 'kf-test-project', zone: 'us-central1-a', clusterId: 'kf-zonal' } }]);
  });

  it('answers NOT_FOUND with the real wording for unknown clusters', async () => {
    const error = await rpcError(client.getCluster({ name: 'projects/kf-test-project/locations/us-central1/clusters/nope' }));
    expect(error.code).toBe(grpc.status.NOT_FOUND);
    expect(error.details).toBe('Not found: projects/kf-test-project/locations/us-central1/clusters/nope.');
    const byZone = await rpcError(client.getCluster({ projectId: 'kf-test-project', zone: 'us-east1-b', clusterId: 'kf-zonal' }));
    expect(byZone.details).toBe('Not found: projects/kf-test-project/zones/us-east1-b/clusters/kf-zonal.');
    const otherProject = await rpcError(client.getCluster({ name: 'projects/123456789012/locations/us-central1/clusters/kf-test' }));
    expect(otherProject.code).toBe(grpc.status.NOT_FOUND);
  });

  it('answers INVALID_ARGUMENT for a malformed name and UNIMPLEMENTED for other methods', async () => {
    const malformed = await rpcError(client.getCluster({ name: 'kf-test' }));
    expect(malformed.code).toBe(grpc.status.INVALID_ARGUMENT);
    const unimplemented = await rpcError(client.listNodePools({ parent: CLUSTER_NAME }));
    expect(unimplemented.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(fake.calls.map((call) => call.method)).toEqual(['GetCluster', 'ListNodePools']);
  });

  it('listClusters filters by project and location', async () => {
    const names = async (parent: string) => (await client.listClusters({ parent }))[0].clusters?.map((cluster) => cluster.name);
    expect(await names('projects/kf-test-project/locations/-')).toEqual(['kf-test', 'kf-zonal']);
    expect(await names('projects/kf-test-project/locations/us-central1-a')).toEqual(['kf-zonal']);
    expect(await names('projects/other/locations/-')).toEqual([]);
    const [response] = await client.listClusters({ parent: 'projects/kf-test-project/locations/-' });
    expect(response.missingZones).toEqual([]);
    expect(fake.calls[0]).toEqual({ method: 'ListClusters', request: { parent: 'projects/kf-test-project/locations/-' } });
  });

  it('listOperations for one location, for "-", and by the project the selfLink names', async () => {
    const names = async (parent: string) => (await client.listOperations({ parent }))[0].operations?.map((operation) => operation.name);
    expect(await names('projects/kf-test-project/locations/-')).toEqual(['operation-1772441000000-99ee00ff', 'operation-1772440000000-abcdef01']);
    expect(await names('projects/kf-test-project/locations/us-central1')).toEqual(['operation-1772440000000-abcdef01']);
    expect(await names('projects/kf-test-project/locations/us-central1-a')).toEqual(['operation-1772441000000-99ee00ff']);
    expect(await names('projects/123456789012/locations/-')).toEqual(['operation-1772445600000-5d6e7f80']);
  });

  it('getOperation returns enums as strings, times as RFC 3339 strings and the error status', async () => {
    const expected = OPERATIONS[1]!;
    const [operation] = await client.getOperation({ name: `projects/kf-test-project/locations/us-central1-a/operations/${expected['name']}` });
    expect(operation).toMatchObject(expected);
    expect(operation).toMatchObject({
      operationType: 'UPGRADE_MASTER',
      status: 'DONE',
      startTime: '2026-03-02T08:43:20.000Z',
      endTime: '2026-03-02T08:59:02.000Z',
      error: { code: 13, message: 'Internal error: master upgrade failed health check' },
    });
    const [running] = await client.getOperation({ name: 'projects/123456789012/locations/us-central1/operations/operation-1772445600000-5d6e7f80' });
    expect(running.endTime).toBe('');
    expect(running.progress?.stages?.map((stage) => [stage.name, stage.status])).toEqual([
      ['CREATE_CLUSTER_MASTER', 'DONE'],
      ['CREATE_CLUSTER_NODES', 'RUNNING'],
    ]);
    const missing = await rpcError(client.getOperation({ name: 'projects/kf-test-project/locations/us-central1/operations/operation-0' }));
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
  });

  it('makes upserts visible and replaces on set', async () => {
    fake.upsertCluster({ ...CLUSTER, status: 'RECONCILING' });
    fake.upsertCluster({ ...CLUSTER, name: 'kf-new', selfLink: CLUSTER['selfLink'].replace(/kf-test$/, 'kf-new') });
    expect((await client.getCluster({ name: CLUSTER_NAME }))[0].status).toBe('RECONCILING');
    const [listed] = await client.listClusters({ parent: 'projects/kf-test-project/locations/us-central1' });
    expect(listed.clusters?.map((cluster) => cluster.name)).toEqual(['kf-test', 'kf-new']);

    const running = OPERATIONS[0]!;
    fake.upsertOperation({ ...running, status: 'DONE', endTime: '2026-03-02T10:09:00Z' });
    const [done] = await client.getOperation({ name: `projects/123456789012/locations/us-central1/operations/${running['name']}` });
    expect(done).toMatchObject({ status: 'DONE', endTime: '2026-03-02T10:09:00Z' });

    fake.setClusters([]);
    expect((await rpcError(client.getCluster({ name: CLUSTER_NAME }))).code).toBe(grpc.status.NOT_FOUND);
  });

  it('rejects fixtures it could not serve faithfully', () => {
    expect(() => fake.setClusters([{ name: 'no-self-link' }])).toThrow(/selfLink/);
    expect(() => fake.upsertCluster({ ...ZONAL_CLUSTER, maintenancePolicy: { window: { maintenanceExclusions: { x: { startTime: 'yesterday' } } } } })).toThrow(
      /RFC 3339/,
    );
  });
});
