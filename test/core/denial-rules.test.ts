import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { diagnoseEntry } from '../../functions/src/core/diagnosis/engine.js';
import { emptyClusterModel, withRangeOverrides, type ClusterModel } from '../../functions/src/core/model/cluster.js';
import type { Observation, ObservationDetail } from '../../functions/src/core/findings/finding.js';
import { fixtureJson } from '../helpers/fixtures.js';

type Entry = { insertId: string; jsonPayload: { connection: Record<string, unknown>; disposition: string } };
const entries = fixtureJson<Entry[]>('logs/denied-by-rule.json');
const entry = (id: string): Entry => structuredClone(entries.find((e) => e.insertId === id)!);

const model: ClusterModel = {
  ...withRangeOverrides(emptyClusterModel(), {
    masterCidr: '172.16.0.32/28',
    nodeCidrs: ['10.10.10.0/24'],
    podCidrs: ['10.1.0.0/16'],
    serviceCidrs: ['10.10.11.0/24'],
  }),
  nodeTags: ['gke-kf-test-1b2c3d4e-node'],
  network: 'kf-net',
  project: 'kf-test-project',
};

function observe(value: unknown, withModel = model): Observation & ObservationDetail {
  const diagnosis = diagnoseEntry(value, { model: withModel });
  if (diagnosis.kind !== 'finding') throw new Error(`expected a finding, got ${JSON.stringify(diagnosis)}`);
  return { ...diagnosis.observation, ...diagnosis.observation.detail() };
}

describe('DENIED firewall entries, one per rule', () => {
  it.each([
    ['master-to-node-blocked', 'master-to-node-blocked', 'error'],
    ['webhook-port-blocked', 'webhook-port-blocked', 'error'],
    ['health-check-blocked', 'health-check-blocked', 'error'],
    ['health-check-blocked-egress', 'health-check-blocked', 'error'],
    ['iap-blocked', 'iap-blocked', 'warning'],
    ['node-to-master-blocked', 'node-to-master-blocked', 'error'],
    ['google-apis-blocked', 'google-apis-blocked', 'error'],
    ['intra-cluster-blocked', 'intra-cluster-blocked', 'error'],
    ['internet-egress-blocked', 'internet-egress-blocked', 'warning'],
    ['internet-egress-blocked-google', 'internet-egress-blocked', 'warning'],
    ['unclassified-denial', 'unclassified-denial', 'info'],
  ])('%s is diagnosed as %s', (id, rule, severity) => {
    const observation = observe(entry(id));
    expect(observation.rule).toBe(rule);
    expect(observation.severity).toBe(severity);
    expect(observation.time).toBe('2026-03-02T10:15:01.981234567Z');
    expect(observation.remediation.summary.length).toBeGreaterThan(20);
  });

  it('webhook-port-blocked: opens the exact port from the control plane to the node tag, above the deny', () => {
    const observation = observe(entry('webhook-port-blocked'));
    expect(observation.flow).toMatchObject({ direction: 'INGRESS', protocol: 'tcp', source: '172.16.0.32/28', destination: '10.1.0.0/16', ports: [15017], destinationClass: 'pod' });
    expect(observation.firewallRule).toBe('kf-deny-all-ingress');
    expect(observation.explanation).toContain('istiod');
    const gcloud = observation.remediation.gcloud!;
    expect(gcloud).toMatch(/^gcloud compute firewall-rules create kf-net-allow-webhook-tcp-15017 /);
    for (const flag of ['--network=kf-net', '--direction=INGRESS', '--source-ranges=172.16.0.32/28', '--allow=tcp:15017', '--target-tags=gke-kf-test-1b2c3d4e-node', '--priority=1000', '--project=kf-test-project']) {
      expect(gcloud).toContain(flag);
    }
    const manifest = parseYaml(observation.remediation.manifest!) as Record<string, any>;
    expect(manifest).toMatchObject({
      apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
      kind: 'ComputeFirewall',
      metadata: { name: 'kf-net-allow-webhook-tcp-15017' },
      spec: { allow: [{ protocol: 'tcp', ports: ['15017'] }], sourceRanges: ['172.16.0.32/28'], direction: 'INGRESS', networkRef: { name: 'kf-net' }, targetTags: ['gke-kf-test-1b2c3d4e-node'] },
    });
  });

  it('master-to-node-blocked: priority beats the overriding deny and only the denied port is opened', () => {
    const observation = observe(entry('master-to-node-blocked'));
    expect(observation.remediation.gcloud).toContain('--priority=899');
    expect(observation.remediation.gcloud).toContain('--allow=tcp:10250 ');
    expect(observation.explanation).toContain('priority 900');
  });

  it('health checks: both prober ranges, in either direction', () => {
    const ingress = observe(entry('health-check-blocked'));
    expect(ingress.flow?.source).toBe('35.191.0.0/16,130.211.0.0/22');
    expect(ingress.remediation.gcloud).toContain('--source-ranges=35.191.0.0/16,130.211.0.0/22');
    const egress = observe(entry('health-check-blocked-egress'));
    expect(egress.flow?.direction).toBe('EGRESS');
    expect(egress.remediation.gcloud).toContain('--destination-ranges=35.191.0.0/16,130.211.0.0/22');
    expect(egress.remediation.gcloud).toContain('--priority=1000');
  });

  it('node-to-master: egress to the control-plane range on 443', () => {
    const observation = observe(entry('node-to-master-blocked'));
    expect(observation.flow).toMatchObject({ direction: 'EGRESS', source: '10.10.10.0/24', destination: '172.16.0.32/28', ports: [443] });
    expect(observation.remediation.gcloud).toContain('--destination-ranges=172.16.0.32/28');
    expect(observation.remediation.gcloud).toContain('--direction=EGRESS');
  });

  it('google-apis-blocked: the restricted VIP range on 443', () => {
    const observation = observe(entry('google-apis-blocked'));
    expect(observation.flow?.destination).toBe('199.36.153.4/30');
    expect(observation.remediation.gcloud).toContain('--destination-ranges=199.36.153.4/30');
    expect(observation.remediation.gcloud).toContain('--allow=tcp:443');
  });

  it('internet egress to a public Google address on 443 points at DNS, not at opening the address', () => {
    const observation = observe(entry('internet-egress-blocked-google'));
    expect(observation.explanation).toContain('restricted VIP');
    expect(observation.remediation.gcloud).toContain('gcloud dns managed-zones create');
    expect(observation.remediation.gcloud).toContain('--networks=kf-net');
    expect(observation.resources).toContain('ip:142.250.72.14');
    const plain = observe(entry('internet-egress-blocked'));
    expect(plain.explanation).toContain('Cloud NAT');
    expect(plain.remediation.gcloud).toContain('--destination-ranges=3.211.199.249/32');
  });

  it('intra-cluster: pod to pod', () => {
    const observation = observe(entry('intra-cluster-blocked'));
    expect(observation.flow).toMatchObject({ sourceClass: 'pod', destinationClass: 'pod', ports: [8080] });
  });

  it('accepts the protocol as a name as well as an IANA number', () => {
    const named = entry('webhook-port-blocked');
    named.jsonPayload.connection['protocol'] = 'tcp';
    expect(observe(named).key).toBe(observe(entry('webhook-port-blocked')).key);
    const udp = entry('unclassified-denial');
    udp.jsonPayload.connection['protocol'] = 17;
    expect(observe(udp).flow?.protocol).toBe('udp');
  });

  it('ALLOWED entries are ignored, never findings', () => {
    const allowed = entry('webhook-port-blocked');
    allowed.jsonPayload.disposition = 'ALLOWED';
    expect(diagnoseEntry(allowed, { model })).toEqual({ kind: 'ignored', reason: 'allowed' });
  });

  it.each([
    ['an unknown protocol', (e: Entry) => (e.jsonPayload.connection['protocol'] = 'quic'), /unknown protocol "quic"/],
    ['a protocol number out of range', (e: Entry) => (e.jsonPayload.connection['protocol'] = 300), /unknown protocol 300/],
    ['a bad address', (e: Entry) => (e.jsonPayload.connection['src_ip'] = '10.0.0.999'), /src_ip.*not an IP address/],
    ['a port over 65535', (e: Entry) => (e.jsonPayload.connection['dest_port'] = 70000), /dest_port/],
    ['no connection', (e: Entry) => delete (e.jsonPayload as Record<string, unknown>)['connection'], /connection/],
  ])('rejects %s with the field at fault', (_name, mutate, reason) => {
    const bad = entry('webhook-port-blocked');
    mutate(bad);
    const diagnosis = diagnoseEntry(bad, { model });
    expect(diagnosis.kind).toBe('rejected');
    expect(diagnosis.kind === 'rejected' && diagnosis.reason).toMatch(reason);
  });

  it('rejects objects that are not LogEntries', () => {
    expect(diagnoseEntry({ hello: 'world' }, { model })).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/not a LogEntry/) });
    expect(diagnoseEntry([1, 2], { model })).toMatchObject({ kind: 'rejected' });
  });
});

describe('classification without cluster ranges', () => {
  it('infers nodes from gke- VM names and the control plane from a 172.16/12 peer that is no VM', () => {
    const diagnosis = diagnoseEntry(entry('webhook-port-blocked'), { model: emptyClusterModel() });
    expect(diagnosis.kind).toBe('finding');
    if (diagnosis.kind !== 'finding') return;
    expect(diagnosis.observation.rule).toBe('webhook-port-blocked');
    expect(diagnosis.observation.flow).toMatchObject({ source: '172.16.0.32/28', destination: 'node' });
    expect(diagnosis.inferred.map((e) => e.cls).sort()).toEqual(['control-plane', 'node']);
    expect(diagnosis.observation.detail().remediation.gcloud).toContain('--target-tags=NODE_TAG');
  });

  it('does not invent a control plane for public sources', () => {
    const diagnosis = diagnoseEntry(entry('unclassified-denial'), { model: emptyClusterModel() });
    expect(diagnosis.kind === 'finding' && diagnosis.observation.rule).toBe('unclassified-denial');
  });
});
