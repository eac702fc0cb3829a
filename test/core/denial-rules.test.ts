import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
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
    expect(gcloud).toMatch(/^gcloud compute firewall-rules create kf-net-allow-webhook-tcp-15017-[0-9a-f]{6} /);
    for (const flag of ['--network=kf-net', '--direction=INGRESS', '--source-ranges=172.16.0.32/28', '--allow=tcp:15017', '--target-tags=gke-kf-test-1b2c3d4e-node', '--priority=1000', '--project=kf-test-project']) {
      expect(gcloud).toContain(flag);
    }
    const manifest = parseYaml(observation.remediation.manifest!) as Record<string, any>;
    expect(manifest).toMatchObject({
      apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
      kind: 'ComputeFirewall',
      metadata: { name: expect.stringMatching(/^kf-net-allow-webhook-tcp-15017-[0-9a-f]{6}$/) },
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

  it('internet egress to a public Google address on 443 points at DNS for every name the summary gives, not at opening the address', () => {
    const observation = observe(entry('internet-egress-blocked-google'));
    expect(observation.explanation).toContain('restricted VIP');
    expect(observation.resources).toContain('ip:142.250.72.14');
    const commands = observation.remediation.gcloud!.split('\n');
    const zones = commands.filter((line) => line.startsWith('gcloud dns managed-zones create'));
    expect(zones.map((line) => line.match(/--dns-name=(\S+)/)?.[1])).toEqual(['googleapis.com.', 'gcr.io.', 'pkg.dev.']);
    for (const zone of zones) expect(zone).toContain('--networks=kf-net');
    // pkg.dev only matters for Artifact Registry images, which a log entry cannot tell.
    expect(commands.indexOf('# Only if images come from Artifact Registry (pkg.dev):')).toBe(commands.indexOf(zones[2]!) - 1);
    // Zones go in the project that holds the network (the host project, for Shared VPC).
    expect(commands).toContain("gcloud dns record-sets create '*.gcr.io.' --project=kf-test-project --zone=kf-net-gcr-io --type=CNAME --ttl=300 --rrdatas=gcr.io.");
    const manifests = parseAllDocuments(observation.remediation.manifest!).map((doc) => doc.toJS() as { kind: string; spec: { dnsName?: string } });
    expect(manifests.filter((doc) => doc.kind === 'DNSManagedZone').map((doc) => doc.spec.dnsName)).toEqual(['googleapis.com.', 'gcr.io.', 'pkg.dev.']);
  });

  it('internet egress elsewhere: one fix for the class, the sites to fill in, the addresses seen as resources', () => {
    const plain = observe(entry('internet-egress-blocked'));
    expect(plain.explanation).toContain('Cloud NAT');
    expect(plain.flow).toMatchObject({ destination: 'internet', destinationClass: 'internet', ports: [443] });
    expect(plain.resources).toEqual(['vm:gke-kf-test-default-pool-1b2c3d4e-abcd', 'ip:3.211.199.249']);
    expect(plain.remediation.summary).toBe(
      'For each site the cluster must reach, allow egress on tcp:443 to DESTINATION_CIDR (fill in the addresses to allow; resources lists those seen); Cloud NAT and a 0.0.0.0/0 route to the default internet gateway must exist too. It must have a smaller priority number than firewall rule kf-deny-egress (priority 1100).',
    );
    expect(plain.remediation.gcloud).toMatch(
      /^gcloud compute firewall-rules create kf-net-allow-egress-internet-tcp-443-[0-9a-f]{6} --project=kf-test-project --network=kf-net --direction=EGRESS --priority=1000 --allow=tcp:443 --destination-ranges=DESTINATION_CIDR --target-tags=gke-kf-test-1b2c3d4e-node --enable-logging --description='kfguard: egress to allowed internet sites on tcp:443'$/,
    );
  });

  it('iap-blocked: the exact fix', () => {
    const { remediation } = observe(entry('iap-blocked'));
    expect(remediation.summary).toBe('Allow IAP TCP forwarding (35.235.240.0/20) on tcp:22. It must have a smaller priority number than firewall rule kf-deny-all-ingress (priority 65534).');
    expect(remediation.gcloud).toMatch(
      /^gcloud compute firewall-rules create kf-net-allow-iap-tcp-22-[0-9a-f]{6} --project=kf-test-project --network=kf-net --direction=INGRESS --priority=1000 --allow=tcp:22 --source-ranges=35.235.240.0\/20 --target-tags=gke-kf-test-1b2c3d4e-node --enable-logging --description='kfguard: IAP TCP forwarding on tcp:22'$/,
    );
  });

  it('unclassified-denial: the exact fix, built from the class rather than the first address', () => {
    const observation = observe(entry('unclassified-denial'));
    expect(observation.flow).toMatchObject({ source: 'internet', sourceClass: 'internet', destination: '10.10.10.0/24', ports: [3389] });
    expect(observation.resources).toEqual(['vm:gke-kf-test-default-pool-1b2c3d4e-abcd', 'ip:203.0.113.7']);
    expect(observation.explanation).toBe(
      'INGRESS the internet such as 203.0.113.7 → a node 10.10.10.31 (10.10.10.0/24) on gke-kf-test-default-pool-1b2c3d4e-abcd on tcp:3389 was denied by firewall rule kf-deny-all-ingress (priority 65534).',
    );
    expect(observation.remediation.summary).toBe(
      'Only if this traffic is expected: allow tcp:3389 from SOURCE_CIDR (fill in the addresses to allow; resources lists those seen). It must have a smaller priority number than firewall rule kf-deny-all-ingress (priority 65534).',
    );
    expect(observation.remediation.gcloud).toMatch(
      /^gcloud compute firewall-rules create kf-net-allow-ingress-tcp-3389-[0-9a-f]{6} --project=kf-test-project --network=kf-net --direction=INGRESS --priority=1000 --allow=tcp:3389 --source-ranges=SOURCE_CIDR --enable-logging --description='kfguard: internet to 10.10.10.0\/24 on tcp:3389'$/,
    );
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

describe('direction when rule_details.direction is missing', () => {
  const withoutDirection = (id: string): Entry => {
    const bare = entry(id);
    delete (bare.jsonPayload as { rule_details?: { direction?: string } }).rule_details!.direction;
    return bare;
  };

  it('private to the Google APIs VIP is EGRESS even without a cluster model', () => {
    const vip = withoutDirection('google-apis-blocked');
    vip.jsonPayload.connection['dest_ip'] = '199.36.153.5';
    const observation = observe(vip, emptyClusterModel());
    expect(observation.rule).toBe('google-apis-blocked');
    expect(observation.flow).toMatchObject({ direction: 'EGRESS', sourceClass: 'node', destination: '199.36.153.4/30' });
    expect(observation.remediation.gcloud).toContain('--direction=EGRESS');
    expect(observation.remediation.gcloud).toContain('--destination-ranges=199.36.153.4/30');
    expect(observation.remediation.gcloud).not.toContain('--source-ranges');
  });

  it('outside to inside is INGRESS', () => {
    expect(observe(withoutDirection('iap-blocked'), emptyClusterModel()).flow?.direction).toBe('INGRESS');
  });

  it('the VM that reported the entry decides between two private addresses', () => {
    const between = (reporterIs: 'src_instance' | 'dest_instance') => {
      const bare = withoutDirection('intra-cluster-blocked');
      Object.assign(bare.jsonPayload, { [reporterIs]: { vm_name: 'gke-kf-test-default-pool-1b2c3d4e-abcd' } });
      return observe(bare, emptyClusterModel()).flow?.direction;
    };
    expect(between('src_instance')).toBe('EGRESS');
    expect(between('dest_instance')).toBe('INGRESS');
  });
});

describe('proposed rule names', () => {
  it('differ whenever the proposed rules differ, and repeat for the same flow', () => {
    const nameOf = (value: Entry): string => observe(value).remediation.gcloud!.split(' ')[4]!;
    const byOtherRule = entry('unclassified-denial');
    Object.assign((byOtherRule.jsonPayload as unknown as { rule_details: object }).rule_details, { reference: 'network:kf-net/firewall:kf-deny-rdp', priority: 500 });
    const overUdp = entry('unclassified-denial');
    overUdp.jsonPayload.connection['protocol'] = 17;
    const names = [entry('unclassified-denial'), byOtherRule, overUdp].map(nameOf);
    expect(new Set(names).size).toBe(3);
    expect(nameOf(entry('unclassified-denial'))).toBe(names[0]);
  });
});
