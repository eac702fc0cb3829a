import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, withFunctionEnv, type TestStack } from '../helpers/stack.js';
import { liveScenario } from '../helpers/scenarios.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { OperationStore } from '../../functions/src/adapters/firestore/operations.js';
import type { StoredFinding } from '../../functions/src/core/pipeline/finding-record.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ functions: ['healthSweep', 'logSink'] });
});
afterAll(async () => t?.stop());

async function reset(scenario = liveScenario()): Promise<void> {
  for (const collection of ['findings', 'events', 'operations', 'notifications', 'clusters', 'cursors', 'portGroups']) {
    for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  }
  for (const head of (await t.db.collection('snapshots').get()).docs) {
    for (const part of (await head.ref.collection('parts').get()).docs) await part.ref.delete();
    await head.ref.delete();
  }
  await t.stack.loadScenario(scenario);
}

async function sweep(): Promise<StoredFinding[]> {
  t.stack.tick();
  await t.settle(60_000);
  return t.findings();
}

const CLUSTER_KEY = 'kf-test-project:us-central1:kf-test';
const lastSweep = async () => (await t.db.collection('clusters').doc(CLUSTER_KEY).get()).get('lastSweep') as Record<string, unknown>;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Findings not seen again resolve after 0.6 s. */
const RESOLVE_FAST = { KFGUARD_RESOLVE_AFTER_MINUTES: '0.01' };

/** A DENIED node-to-control-plane entry of the registered cluster's project and network, as Cloud Logging keeps it. */
function deniedEntry(insertId: string, at: Date): Record<string, any> {
  const entry = structuredClone(fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'node-to-master-blocked'));
  entry.insertId = insertId;
  entry.timestamp = at.toISOString();
  entry.resource.labels.project_id = 'kf-test-project';
  entry.jsonPayload.vpc.vpc_name = 'kf-test';
  return entry;
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
      expect.arrayContaining(['/compute/v1/projects/kf-test-project/global/networks/kf-test/getEffectiveFirewalls', '/compute/v1/projects/kf-test-project/global/networks/kf-test', '/dns/v1/projects/kf-test-project/managedZones']),
    );
  });

  it('a hierarchical deny in force on the network decides, and the finding and its fix are in that layer', async () => {
    const guardrail = fixtureJson<Record<string, any>>('check/policies/org-policy.json');
    await reset(liveScenario({ firewallPolicies: [guardrail] }));
    const findings = await sweep();
    const webhooks = findings.filter((finding) => finding.rule === 'webhook-port-not-allowed');
    // The live webhooks call 9443 and 8443: the organization passes only 443 and 10250 from control planes on.
    expect(webhooks.map((finding) => [finding.flow?.ports, finding.firewallRule, finding.firewallLayer, finding.remediation.layer]).sort()).toEqual([
      [[8443], 'firewallPolicy:81828481824/priority:700', 'hierarchical-policy', 'hierarchical-policy'],
      [[9443], 'firewallPolicy:81828481824/priority:700', 'hierarchical-policy', 'hierarchical-policy'],
    ]);
    expect(t.stack.rest.requests.map((request) => request.path)).toContain('/compute/v1/projects/kf-test-project/regions/us-central1/firewallPolicies/getEffectiveFirewalls?network=https%3A%2F%2Fwww.googleapis.com%2Fcompute%2Fv1%2Fprojects%2Fkf-test-project%2Fglobal%2Fnetworks%2Fkf-test');
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
    expect(findings[0]!.explanation).toMatch(/CREATE_CLUSTER operation-1772445600000-5d6e7f80 \(cluster kf-test, us-central1\) has been RUNNING for 2h, past the 45m threshold/);
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
    const entry = deniedEntry('node-to-master-blocked', new Date());
    await reset(liveScenario({ logging: [entry] }));
    const afterSweep = await sweep();
    expect(afterSweep.map((f) => [f.rule, f.count])).toEqual([['node-to-master-blocked', 1]]);
    await t.publishEntries([entry]);
    await t.settle();
    expect((await t.findings()).map((f) => [f.rule, f.count])).toEqual([['node-to-master-blocked', 1]]);
  });

  it('asks GKE for an operation its list no longer shows, so one whose last audit entry was missed is not stuck forever', async () => {
    const name = 'operation-1772445600000-9a8b7c6d';
    const startTime = minutesAgo(120).toISOString();
    // A zonal node-pool operation: the sweep lists the cluster's region, which does not show it.
    const operation = {
      name,
      operationType: 'CREATE_NODE_POOL',
      status: 'DONE',
      selfLink: `https://container.googleapis.com/v1/projects/kf-test-project/locations/us-central1-a/operations/${name}`,
      targetLink: 'https://container.googleapis.com/v1/projects/kf-test-project/locations/us-central1/clusters/kf-test/nodePools/gpu',
      location: 'us-central1-a',
      startTime,
      endTime: minutesAgo(100).toISOString(),
    };
    await reset(liveScenario({ operations: [operation] }));
    // What the first audit entry told the sink; the last one never came.
    await new OperationStore(t.db).merge({ name, type: 'CREATE_NODE_POOL', status: 'RUNNING', project: 'kf-test-project', location: 'us-central1-a', cluster: 'kf-test', startTime, conditions: [] }, new Date());
    const calls = t.stack.gke.calls.length;
    expect(await sweep()).toEqual([]);
    expect(t.stack.gke.calls.slice(calls).filter((call) => call.method === 'GetOperation').map((call) => (call.request as { name: string }).name)).toEqual([
      `projects/kf-test-project/locations/us-central1-a/operations/${name}`,
    ]);
    expect((await t.db.collection('operations').get()).docs.map((doc) => doc.get('status'))).toEqual(['DONE']);
  });

  it('an outage of the Compute API neither resolves its findings nor invents others; the next good sweep clears the error', async () => {
    const scenario = liveScenario();
    scenario.compute.routes = scenario.compute.routes.filter((route) => !['kf-test-google-apis', 'kf-test-internet'].includes(String(route['name'])));
    await reset(scenario);
    const before = (await sweep()).map((f) => [f.rule, f.status]);
    expect(before).toContainEqual(['private-apis-route-missing', 'open']);
    await withFunctionEnv(RESOLVE_FAST, async () => {
      await sleep(800);
      t.stack.rest.failNext('/global/routes', 503);
      expect((await sweep()).map((f) => [f.rule, f.status])).toEqual(before);
      expect(await lastSweep()).toMatchObject({ status: 'error', unreadSources: ['compute-dns'], error: expect.stringContaining('Compute and DNS APIs: GET') });
      expect((await sweep()).map((f) => [f.rule, f.status])).toEqual(before);
      expect(await lastSweep()).toEqual({ at: expect.any(String), status: 'ok', openFindings: before.length });
    });
  });

  it('an outage of the Kubernetes API holds Config Connector findings open and invents no webhook findings', async () => {
    await reset(liveScenario({ brokenConfigConnector: true }));
    const before = (await sweep()).map((f) => [f.rule, f.status]);
    expect(before).toEqual([
      ['cnrm-resource-not-ready', 'open'],
      ['cnrm-resource-not-ready', 'open'],
    ]);
    await withFunctionEnv(RESOLVE_FAST, async () => {
      await sleep(800);
      t.stack.kubernetes.setUnavailable('etcdserver: request timed out');
      try {
        expect((await sweep()).map((f) => [f.rule, f.status])).toEqual(before);
        expect(await lastSweep()).toMatchObject({ status: 'error', unreadSources: expect.arrayContaining(['config-connector']) });
      } finally {
        t.stack.kubernetes.setUnavailable(undefined);
      }
    });
  });

  it('an outage of Cloud Logging holds the backstop\'s findings open, and says so in lastSweep', async () => {
    await reset(liveScenario({ logging: [deniedEntry('held-open', minutesAgo(5))] }));
    expect((await sweep()).map((f) => [f.rule, f.status])).toEqual([['node-to-master-blocked', 'open']]);
    await withFunctionEnv(RESOLVE_FAST, async () => {
      await sleep(800);
      t.stack.logging.failNext(status.RESOURCE_EXHAUSTED);
      expect((await sweep()).map((f) => [f.rule, f.status])).toEqual([['node-to-master-blocked', 'open']]);
      expect(await lastSweep()).toMatchObject({ status: 'error', unreadSources: ['cloud-logging'], error: expect.stringContaining('Cloud Logging backstop') });
      // Read again, the entry is one already counted: the cause has stopped, so the finding resolves.
      expect((await sweep()).map((f) => [f.rule, f.status])).toEqual([['node-to-master-blocked', 'resolved']]);
    });
  });

  it('a failed backstop read is read again by the next sweep', async () => {
    await reset(liveScenario({ logging: [deniedEntry('missed-once', minutesAgo(5))] }));
    t.stack.logging.failNext(status.RESOURCE_EXHAUSTED);
    expect(await sweep()).toEqual([]);
    expect((await sweep()).map((f) => [f.rule, f.count])).toEqual([['node-to-master-blocked', 1]]);
  });

  it('reads entries that reach Cloud Logging late, within the overlap before the last one processed', async () => {
    await reset(liveScenario({ logging: [deniedEntry('on-time', minutesAgo(1))] }));
    expect((await sweep()).map((f) => f.count)).toEqual([1]);
    t.stack.logging.addEntries([deniedEntry('late', minutesAgo(6))]);
    expect((await sweep()).map((f) => f.count)).toEqual([2]);
  });

  it('takes a flood KFGUARD_BACKSTOP_MAX_ENTRIES entries a sweep, continuing where it stopped, counting each once', async () => {
    const first = minutesAgo(5).getTime();
    await reset(liveScenario({ logging: Array.from({ length: 50 }, (_, i) => deniedEntry(`flood-${String(i).padStart(2, '0')}`, new Date(first + i * 1000))) }));
    const counts: (number | undefined)[] = [];
    await withFunctionEnv({ KFGUARD_BACKSTOP_MAX_ENTRIES: '20' }, async () => {
      for (let i = 0; i < 4; i++) counts.push((await sweep())[0]?.count);
    });
    // Each read starts at the last entry processed (counted once already): 20, then 19 and 11 new ones.
    expect(counts).toEqual([20, 39, 50, 50]);
    expect((await t.db.collection('events').where('kind', '==', 'log-backstop').get()).size).toBe(50);
  });
});

describe('the live network the sweep keeps, and the sink diagnosing against it', () => {
  /** The blueprint's network with its catch-all deny moved above GKE's and the blueprint's allow rules, as in the guide's incident. */
  function denyAbove(): ReturnType<typeof liveScenario> {
    const scenario = liveScenario();
    scenario.compute.firewalls = scenario.compute.firewalls.map((rule) => (rule['name'] === 'kf-test-deny-ingress' ? { ...rule, priority: 900 } : rule));
    return scenario;
  }

  /** The control plane calling Knative's webhook on a pod, denied; the entry still gives the deny's old priority. */
  function deniedWebhookCall(insertId: string): Record<string, any> {
    const entry = structuredClone(fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'webhook-port-blocked'));
    entry.insertId = insertId;
    entry.timestamp = new Date().toISOString();
    entry.resource.labels.project_id = 'kf-test-project';
    entry.jsonPayload.vpc.vpc_name = 'kf-test';
    entry.jsonPayload.connection.dest_port = 8443;
    entry.jsonPayload.rule_details.reference = 'network:kf-test/firewall:kf-test-deny-ingress';
    expect(entry.jsonPayload.rule_details.priority).toBe(65534);
    return entry;
  }

  const priorityOf = (gcloud: string | null | undefined): number => Number(/--priority=(\d+)/.exec(gcloud ?? '')?.[1]);
  const snapshotHead = async () => (await t.db.collection('snapshots').doc(CLUSTER_KEY).get()).data();

  it('a DENIED entry of a flow the sweep found blocked gets the same node tag, deciding rule and fix, at a priority that beats the live deny', async () => {
    await reset(denyAbove());
    await sweep();
    expect(await snapshotHead()).toMatchObject({ cluster: CLUSTER_KEY, parts: 1, rules: 12 });
    await t.publishEntries([deniedWebhookCall('knative-after-sweep')]);
    await t.settle();
    const findings = await t.findings();
    const fromLog = findings.find((f) => f.rule === 'webhook-port-blocked')!;
    const fromSweep = findings.find((f) => f.rule === 'webhook-port-not-allowed' && f.flow?.ports.includes(8443))!;
    expect(fromLog.firewallRule).toBe('kf-test-deny-ingress');
    expect([fromLog.firewallRule, fromLog.firewallLayer]).toEqual([fromSweep.firewallRule, fromSweep.firewallLayer]);
    expect(fromLog.remediation.gcloud).toBe(fromSweep.remediation.gcloud);
    expect(fromLog.remediation.gcloud).toContain('--target-tags=gke-kf-test-1b2c3d4e-node');
    expect(fromLog.explanation).toContain('denied by firewall rule kf-test-deny-ingress (priority 900)');
    expect(priorityOf(fromLog.remediation.gcloud)).toBeLessThan(900);
    expect(fromLog.remediation.verified).toBe(true);
  });

  it('before the cluster\'s first sweep there is no snapshot: the entry\'s own rule and the registered model decide, as they always did', async () => {
    await reset(denyAbove());
    await t.publishEntries([deniedWebhookCall('knative-before-sweep')]);
    await t.settle();
    expect(await snapshotHead()).toBeUndefined();
    const [fromLog] = await t.findings();
    expect(fromLog).toMatchObject({ rule: 'webhook-port-blocked', firewallRule: 'kf-test-deny-ingress', scope: CLUSTER_KEY });
    expect(fromLog!.explanation).toContain('denied by firewall rule kf-test-deny-ingress (priority 65534)');
    expect(fromLog!.remediation.gcloud).toContain('--target-tags=gke-kf-test-1b2c3d4e-node');
    expect(priorityOf(fromLog!.remediation.gcloud)).toBe(1000);
    expect(fromLog!.remediation.verified).toBeUndefined();
  });

  it('a snapshot past KFGUARD_SNAPSHOT_MAX_AGE_MINUTES no longer stands for the live network', async () => {
    await reset(denyAbove());
    await sweep();
    await t.db.collection('snapshots').doc(CLUSTER_KEY).update({ takenAt: minutesAgo(181).toISOString() });
    await t.publishEntries([deniedWebhookCall('knative-stale-snapshot')]);
    await t.settle();
    const fromLog = (await t.findings()).find((f) => f.rule === 'webhook-port-blocked')!;
    expect(fromLog.explanation).toContain('(priority 65534)');
    expect(priorityOf(fromLog.remediation.gcloud)).toBe(1000);
  });

  it('a sweep that reads the same network again writes no part; a changed network replaces its parts whole', async () => {
    await reset(denyAbove());
    await sweep();
    const first = (await snapshotHead())!;
    await sweep();
    const again = (await snapshotHead())!;
    expect(again.generation).toBe(first.generation);
    expect(Date.parse(again.takenAt)).toBeGreaterThanOrEqual(Date.parse(first.takenAt));
    await t.stack.loadScenario(liveScenario());
    await sweep();
    const changed = (await snapshotHead())!;
    expect(changed.generation).not.toBe(first.generation);
    const parts = (await t.db.collection('snapshots').doc(CLUSTER_KEY).collection('parts').get()).docs.map((doc) => doc.id);
    expect(parts).toEqual([`${changed.generation}-0`]);
  });

  it('an outage of the Compute API keeps the last snapshot rather than one of a network it could not read', async () => {
    await reset(denyAbove());
    await sweep();
    const before = await snapshotHead();
    expect(before).toMatchObject({ cluster: CLUSTER_KEY, rules: 12 });
    t.stack.rest.failNext('getEffectiveFirewalls', 503);
    await sweep();
    expect((await lastSweep())['unreadSources']).toContain('compute-dns');
    expect(await snapshotHead()).toEqual(before);
  });
});
