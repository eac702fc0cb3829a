import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureJson, readFixture } from '../helpers/fixtures.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { corpusEntries } from '../../functions/src/dev/corpus.js';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel } from '../../functions/src/core/model/cluster.js';
import { TOPICS } from '../../functions/src/core/pipeline/names.js';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ functions: ['logSink'] });
});
afterAll(async () => t?.stop());

const ndjson = (name: string): unknown[] =>
  readFixture(name)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);

async function clear(): Promise<void> {
  for (const collection of ['findings', 'events', 'rejected', 'operations', 'notifications', 'portGroups']) {
    const docs = await t.db.collection(collection).listDocuments().catch(() => undefined);
    if (docs) await Promise.all(docs.map((doc) => doc.delete()));
    else for (const doc of (await t.db.collection(collection).get()).docs) await doc.ref.delete();
  }
}

describe('logSink through the real Pub/Sub and HTTP paths', () => {
  it('diagnoses every rule and records one finding per cause', async () => {
    await clear();
    const entries = [...fixtureJson<unknown[]>('logs/denied-by-rule.json'), ...ndjson('logs/kubernetes-webhook-failures.ndjson'), ...ndjson('logs/gke-audit-operations.ndjson')];
    await t.publishEntries(entries);
    await t.settle();
    const findings = await t.findings();
    const rules = findings.map((f) => f.rule).sort();
    expect(rules).toEqual(
      [
        'google-apis-blocked',
        'health-check-blocked',
        'health-check-blocked',
        'iap-blocked',
        'internet-egress-blocked',
        'internet-egress-blocked',
        'intra-cluster-blocked',
        'master-to-node-blocked',
        'node-to-master-blocked',
        'operation-failed',
        'unclassified-denial',
        'webhook-call-failed',
        'webhook-call-failed',
        'webhook-call-failed',
        'webhook-port-blocked',
      ].sort(),
    );
    const istio = findings.find((f) => f.rule === 'webhook-call-failed' && f.resources.includes('webhook:namespace.sidecar-injector.istio.io'))!;
    expect(istio).toMatchObject({ count: 2, status: 'open', stateVersion: 1, scope: 'kf-test-project:-:-', project: 'kf-test-project' });
    expect(istio.samples).toHaveLength(2);
    expect(istio.remediation.gcloud).toContain('--allow=tcp:15017');
    // One event marker per DENIED entry (11), webhook failure (4) and failed operation (1); other audit entries leave none.
    expect((await t.db.collection('events').get()).size).toBe(11 + 4 + 1);
    expect((await t.db.collection('operations').get()).size).toBe(3);
  });

  it('uses the registered cluster model: ranges classify, the node tag lands in the fix', async () => {
    await clear();
    await t.db.collection('clusters').doc('kf-test-project:us-central1:kf-test').set({
      key: 'kf-test-project:us-central1:kf-test',
      project: 'kf-test-project',
      location: 'us-central1',
      name: 'kf-test',
      registeredAt: '2026-03-01T00:00:00Z',
      model: { name: 'kf-test', network: 'kf-net', masterCidr: '172.16.0.32/28', nodeCidrs: ['10.10.10.0/24'], podCidrs: ['10.1.0.0/16'], serviceCidrs: ['10.10.11.0/24'], nodeTags: ['gke-kf-test-1b2c3d4e-node'], origins: {} },
    });
    const webhook = fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'webhook-port-blocked');
    await t.publishEntries([webhook]);
    await t.settle();
    const [finding] = await t.findings();
    expect(finding).toMatchObject({ rule: 'webhook-port-blocked', scope: 'kf-test-project:us-central1:kf-test', cluster: 'kf-test', flow: { destination: '10.1.0.0/16' } });
    expect(finding!.remediation.gcloud).toContain('--target-tags=gke-kf-test-1b2c3d4e-node');
    await t.db.collection('clusters').doc('kf-test-project:us-central1:kf-test').delete();
  });

  it('folds a port scan into one finding past 20 ports, as analyze does, counting every entry', async () => {
    await clear();
    const scan = fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'unclassified-denial');
    const entries = Array.from({ length: 26 }, (_, i) => ({ ...scan, insertId: `scan-${i}`, jsonPayload: { ...scan.jsonPayload, connection: { ...scan.jsonPayload.connection, dest_port: 5000 + i } } }));
    // A redelivered copy of an early port and of a late one counts nothing more.
    await t.publishEntries([...entries, entries[0], entries[25]]);
    await t.settle();
    const findings = (await t.findings()).filter((finding) => finding.rule === 'unclassified-denial');
    expect(findings).toHaveLength(21);
    expect(findings.reduce((sum, finding) => sum + finding.count, 0)).toBe(26);
    const folded = findings.filter((finding) => finding.flow!.ports.length > 1 || finding.remediation.gcloud === null);
    expect(folded).toHaveLength(1);
    expect(folded[0]!.count).toBe(6);
    expect((await t.db.collection('notifications').get()).size).toBe(21);
  });

  it('counts exactly with 30% duplicate deliveries', async () => {
    await clear();
    const entries = [...corpusEntries({ entries: 400, deniedFraction: 0.5, seed: 7 })];
    const model = emptyClusterModel();
    const expected = entries.filter((entry) => diagnoseEntry(entry, { model }).kind === 'finding').length;
    const duplicates = entries.filter((_, index) => index % 10 < 3);
    await t.publishEntries([...entries, ...duplicates]);
    await t.settle(60_000);
    const findings = await t.findings();
    expect(findings.reduce((sum, finding) => sum + finding.count, 0)).toBe(expected);
    expect((await t.db.collection('events').get()).size).toBe(expected);
    expect(expected).toBeGreaterThan(150);
  });

  it('an entry without timestamp takes the sink\'s timestamp attribute, for its time and its event id', async () => {
    await clear();
    const { timestamp: _dropped, receiveTimestamp: _alsoDropped, ...entry } = fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'iap-blocked');
    const topic = t.pubsub.topic(TOPICS.logEvents);
    // One insertId at two times: two entries to Cloud Logging, so two events here.
    for (const at of ['2026-03-02T10:15:01.000Z', '2026-03-02T10:20:01.000Z']) {
      await topic.publishMessage({ data: Buffer.from(JSON.stringify(entry)), attributes: { 'logging.googleapis.com/timestamp': at } });
    }
    await t.settle();
    const [finding] = await t.findings();
    expect(finding).toMatchObject({ rule: 'iap-blocked', count: 2, firstSeen: '2026-03-02T10:15:01.000Z', lastSeen: '2026-03-02T10:20:01.000Z' });
    expect(finding!.samples.map((sample) => sample.time)).toEqual(['2026-03-02T10:15:01.000Z', '2026-03-02T10:20:01.000Z']);
  });

  it('acknowledges poison messages once, records them, and keeps going', async () => {
    await clear();
    const topic = t.pubsub.topic(TOPICS.logEvents);
    const good = fixtureJson<any[]>('logs/denied-by-rule.json')[1];
    const raw = (data: Buffer) => topic.publishMessage({ data });
    const ids = await Promise.all([
      raw(Buffer.from('{"truncated": ')),
      raw(Buffer.from([0xff, 0xfe, 0x7b])),
      raw(Buffer.from(JSON.stringify({ hello: 'world' }))),
      raw(Buffer.from(JSON.stringify({ ...good, jsonPayload: { ...good.jsonPayload, connection: { ...good.jsonPayload.connection, protocol: 'carrier-pigeon' } } }))),
      raw(Buffer.from(JSON.stringify({ ...good, insertId: 'still-good' }))),
    ]);
    await t.settle();
    const rejected = (await t.db.collection('rejected').get()).docs.map((doc) => doc.data());
    const reasons = rejected.map((r) => String(r['reason']));
    expect(reasons).toHaveLength(4);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^message.data is not JSON/),
        'message.data is not valid UTF-8',
        expect.stringMatching(/^not a LogEntry/),
        'jsonPayload.connection.protocol: unknown protocol "carrier-pigeon"',
      ]),
    );
    expect(rejected.every((r) => r['function'] === 'logSink' && typeof r['messageId'] === 'string')).toBe(true);
    const states = t.stack.pubsub.messageStates(ids);
    expect(Object.values(states).flatMap((bySubscription) => Object.values(bySubscription))).toEqual(['acked', 'acked', 'acked', 'acked', 'acked']);
    expect((await t.findings()).map((f) => f.rule)).toEqual(['webhook-port-blocked']);
  });
});
