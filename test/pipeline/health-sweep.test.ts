import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { liveScenario } from '../helpers/scenarios.js';
import { fixtureJson } from '../helpers/fixtures.js';
import type { StoredFinding } from '../../functions/src/core/pipeline/finding-record.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ functions: ['healthSweep', 'logSink'] });
});
afterAll(async () => t?.stop());

async function reset(scenario = liveScenario()): Promise<void> {
  for (const collection of ['findings', 'events', 'operations', 'notifications', 'clusters']) {
    for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  }
  await t.stack.loadScenario(scenario);
}

async function sweep(): Promise<StoredFinding[]> {
  t.stack.tick();
  await t.settle(60_000);
  return t.findings();
}

describe('healthSweep against the live APIs of the local stack', () => {
  beforeEach(async () => reset());

  it('a healthy private cluster: no findings, and the registry records the sweep', async () => {
    expect(await sweep()).toEqual([]);
    const cluster = (await t.db.collection('clusters').doc('kf-test-project:us-central1:kf-test').get()).data()!;
    expect(cluster['lastSweep']).toMatchObject({ status: 'ok', openFindings: 0 });
    // Ranges GKE reports, and the node range from the live subnetwork, are now in the registry.
    expect(cluster['model']).toMatchObject({ masterCidr: '172.16.0.32/28', podCidrs: ['10.1.0.0/16'], network: 'kf-test' });
    const calls = t.stack.gke.calls.map((call) => call.method);
    expect(calls).toEqual(expect.arrayContaining(['GetCluster', 'ListOperations']));
    expect(t.stack.rest.requests.map((request) => request.path)).toEqual(
      expect.arrayContaining(['/compute/v1/projects/kf-test-project/global/firewalls', '/dns/v1/projects/kf-test-project/managedZones']),
    );
  });

  it('takes the node range from the live subnetwork when GKE does not report one', async () => {
    const cluster = fixtureJson<Record<string, any>>('gke/cluster-describe.json');
    const { nodeIpv4CidrBlock: _dropped, ...ipAllocationPolicy } = cluster['ipAllocationPolicy'];
    await reset(liveScenario({ cluster: { ipAllocationPolicy } }));
    expect(await sweep()).toEqual([]);
    const registered = (await t.db.collection('clusters').doc('kf-test-project:us-central1:kf-test').get()).data()!;
    expect(registered['model']['nodeCidrs']).toEqual(['10.10.10.0/24']);
  });

  it('a CREATE_CLUSTER running for 2 hours is stuck, with the guide\'s describe command', async () => {
    await reset(
      liveScenario({
        cluster: { status: 'PROVISIONING' },
        operations: [
          {
            name: 'operation-1772445600000-5d6e7f80',
            operationType: 'CREATE_CLUSTER',
            status: 'RUNNING',
            selfLink: 'https://container.googleapis.com/v1/projects/kf-test-project/locations/us-central1/operations/operation-1772445600000-5d6e7f80',
            targetLink: 'https://container.googleapis.com/v1/projects/kf-test-project/locations/us-central1/clusters/kf-test',
            location: 'us-central1',
            startTime: new Date(Date.now() - 2 * 3_600_000).toISOString(),
          },
        ],
      }),
    );
    const findings = await sweep();
    expect(findings.map((f) => f.rule)).toEqual(['operation-stuck']);
    expect(findings[0]!.explanation).toMatch(/CREATE_CLUSTER operation-1772445600000-5d6e7f80 \(cluster kf-test, us-central1\) has been RUNNING for 2h 0m, past the 45m threshold/);
    expect(findings[0]!.remediation.gcloud).toBe('gcloud --project=kf-test-project container operations describe --region=us-central1 operation-1772445600000-5d6e7f80');
    expect((await t.db.collection('operations').get()).docs.map((doc) => doc.get('status'))).toEqual(['RUNNING']);
  });

  it('a webhook port closed in the live rules', async () => {
    await reset(liveScenario({ withoutFirewalls: ['kf-test-knative-katib'] }));
    const findings = await sweep();
    expect(findings.map((f) => [f.rule, f.flow?.ports, f.firewallRule, f.resources])).toEqual([
      ['webhook-port-not-allowed', [8443], 'kf-test-deny-ingress', ['webhook:validation.webhook.serving.knative.dev']],
    ]);
    expect(findings[0]!.remediation.gcloud).toContain('--target-tags=gke-kf-test-1b2c3d4e-node');
  });

  it('Config Connector resources that are not Ready, and an unhealthy cluster', async () => {
    await reset(liveScenario({ brokenConfigConnector: true, cluster: { status: 'DEGRADED', statusMessage: 'Nodes failed to register' } }));
    const findings = await sweep();
    expect(findings.map((f) => f.rule).sort()).toEqual(['cluster-unhealthy', 'cnrm-resource-not-ready', 'cnrm-resource-not-ready']);
    expect(findings.find((f) => f.rule === 'cluster-unhealthy')!.explanation).toContain('DEGRADED: Nodes failed to register');
  });

  it('the DENIED-log backstop counts an entry once even when the sink also delivers it', async () => {
    const entry = { ...fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'node-to-master-blocked'), timestamp: new Date().toISOString() };
    entry.resource.labels.project_id = 'kf-test-project';
    entry.jsonPayload.vpc.vpc_name = 'kf-test';
    await reset(liveScenario({ logging: [entry] }));
    const afterSweep = await sweep();
    expect(afterSweep.map((f) => [f.rule, f.count])).toEqual([['node-to-master-blocked', 1]]);
    await t.publishEntries([entry]);
    await t.settle();
    expect((await t.findings()).map((f) => [f.rule, f.count])).toEqual([['node-to-master-blocked', 1]]);
  });
});
