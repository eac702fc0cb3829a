import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firewallContext } from '../../functions/src/core/check/context.js';
import { collectCheckObservations } from '../../functions/src/core/check/run.js';
import { diagnoseEntry, type DiagnosisContext } from '../../functions/src/core/diagnosis/engine.js';
import type { Observation } from '../../functions/src/core/findings/finding.js';
import { firewallRuleDefaults } from '../../functions/src/core/firewall/rule.js';
import { parseCidr } from '../../functions/src/core/net/cidr.js';
import { decodeSnapshot, encodeSnapshot, isFresh, liveNetwork, MAX_SNAPSHOT_PARTS, SNAPSHOT_PART_CHARS, SnapshotError, type NetworkSnapshot } from '../../functions/src/core/pipeline/snapshot.js';
import { demoScenario, INCIDENT_LOGS, sweptNetwork } from '../helpers/live-network.js';

type Json = Record<string, any>;

const incident = (): Json[] =>
  readFileSync(INCIDENT_LOGS, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Json);

const roundTrip = (snapshot: NetworkSnapshot): NetworkSnapshot => {
  const { head, parts } = encodeSnapshot(snapshot);
  return decodeSnapshot(head, parts);
};

function finding(entry: Json, context: DiagnosisContext): Observation & { explanation: string; remediation: Json } {
  const diagnosis = diagnoseEntry(entry, context);
  if (diagnosis.kind !== 'finding') throw new Error(`not a finding: ${JSON.stringify(diagnosis)}`);
  return { ...diagnosis.observation, ...diagnosis.observation.detail() };
}

/** The incident's first entry of this kind. */
const entryWhere = (test: (entry: Json) => boolean): Json => structuredClone(incident().find(test)!);
const deniedTo = (port: number, address?: string) => entryWhere((entry) => entry.jsonPayload?.disposition === 'DENIED' && entry.jsonPayload.connection.dest_port === port && (address === undefined || entry.jsonPayload.connection.dest_ip === address));

function manyRules(count: number, description: (index: number) => string) {
  return Array.from({ length: count }, (_, index) => ({
    ...firewallRuleDefaults(`team-rule-${index}`, 'INGRESS', index % 7 === 0 ? 'deny' : 'allow', 'gcloud'),
    network: 'kf-prod',
    priority: 100 + index,
    protocols: [{ protocol: 'tcp', ports: [{ from: 1024 + index, to: 1024 + index }] }],
    sourceRanges: [parseCidr(`10.${index % 250}.${index % 13}.0/24`)],
    description: description(index),
  }));
}

describe('a live network snapshot', () => {
  it('reads back as the rules, tags and ranges the sweep judged, deciding traffic the same way', () => {
    const { snapshot } = sweptNetwork(demoScenario());
    const read = roundTrip(snapshot);
    expect(read.view).toEqual(snapshot.view);
    expect(read.model).toMatchObject({ id: snapshot.model.id, network: 'kf-prod', nodeTags: snapshot.model.nodeTags, privateNodes: true });
    expect(read.model.nodeCidrs.map((range) => range.text)).toEqual(['10.10.10.0/24']);
    const before = firewallContext(snapshot.view, snapshot.model);
    const after = liveNetwork(read).live;
    expect(after.nodeTags).toEqual(before.nodeTags);
    const masterToPods = { direction: 'INGRESS' as const, protocol: 'tcp', ports: { from: 9443, to: 9443 }, source: after.ends.master!, destination: after.ends.pods[0]! };
    expect(after.evaluator.evaluate(masterToPods).rule.name).toBe('kf-prod-deny-all-ingress');
    expect(before.evaluator.evaluate({ ...masterToPods, source: before.ends.master!, destination: before.ends.pods[0]! }).rule.name).toBe('kf-prod-deny-all-ingress');
  });

  it('is cut into ASCII parts no larger than a Firestore document holds, and non-ASCII text survives any cut', () => {
    const { snapshot } = sweptNetwork(demoScenario());
    const rules = manyRules(4000, (index) => `Zugriff für Prüfer ${index} – 監査 😀`);
    const large: NetworkSnapshot = { ...snapshot, view: { ...snapshot.view, stack: { ...snapshot.view.stack, rules } } };
    const { head, parts } = encodeSnapshot(large);
    expect(parts.length).toBeGreaterThan(1);
    expect(head).toMatchObject({ parts: parts.length, rules: 4000 });
    for (const part of parts) {
      expect(part.text.length).toBeLessThanOrEqual(SNAPSHOT_PART_CHARS);
      expect(part.text).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(decodeSnapshot(head, parts).view.stack.rules.map((rule) => rule.description)).toEqual(rules.map((rule) => rule.description));
  });

  it('is refused unless it is exactly the parts its head names', () => {
    const { snapshot } = sweptNetwork(demoScenario());
    const large: NetworkSnapshot = { ...snapshot, view: { ...snapshot.view, stack: { ...snapshot.view.stack, rules: manyRules(3000, () => 'x'.repeat(200)) } } };
    const { head, parts } = encodeSnapshot(large);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(() => decodeSnapshot(head, parts.slice(1))).toThrow(SnapshotError);
    expect(() => decodeSnapshot(head, [...parts].reverse())).toThrow(SnapshotError);
    expect(() => decodeSnapshot(head, parts.map((part) => ({ ...part, generation: '000000000000' })))).toThrow(SnapshotError);
    expect(() => decodeSnapshot(head, parts.map((part, index) => (index === 0 ? { ...part, text: part.text.replace('kf-prod', 'kf-prox') } : part)))).toThrow(/do not make the text the head describes/);
    expect(() => decodeSnapshot({ ...head, takenAt: 'yesterday' }, parts)).toThrow(SnapshotError);
  });

  it('is not kept for a network past the limit', () => {
    const { snapshot } = sweptNetwork(demoScenario());
    const rules = manyRules(MAX_SNAPSHOT_PARTS + 1, () => 'd'.repeat(SNAPSHOT_PART_CHARS));
    expect(() => encodeSnapshot({ ...snapshot, view: { ...snapshot.view, stack: { ...snapshot.view.stack, rules } } })).toThrow(/past the 20 MiB a snapshot may hold/);
  });

  it('stops standing for the live network once it is older than the bound', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    expect(isFresh({ takenAt: '2026-12-07T09:00:00Z' }, now, 180)).toBe(true);
    expect(isFresh({ takenAt: '2026-12-07T08:59:59Z' }, now, 180)).toBe(false);
  });
});

describe('an entry diagnosed against the live network', () => {
  const { config, model, snapshot } = sweptNetwork(demoScenario());
  const live = liveNetwork(roundTrip(snapshot));
  const checks = collectCheckObservations(config, { clusters: [model] }).observations.map((observation) => ({ ...observation, ...observation.detail() }));
  const checkFinding = (rule: string, test: (observation: (typeof checks)[number]) => boolean) => checks.find((observation) => observation.rule === rule && test(observation))!;

  it('a denied webhook port gets the node tag, the deciding rule and the fix the sweep proposes for the same traffic', () => {
    const fromLog = finding(deniedTo(9443), live);
    const fromSweep = checkFinding('webhook-port-not-allowed', (observation) => observation.flow?.ports.includes(9443) ?? false);
    expect(fromLog).toMatchObject({ rule: 'webhook-port-blocked', firewallRule: fromSweep.firewallRule, firewallLayer: fromSweep.firewallLayer });
    expect(fromLog.remediation.gcloud).toBe(fromSweep.remediation.gcloud);
    expect(fromLog.remediation.gcloud).toContain('--target-tags=gke-kf-prod-7d1c4f2a-node');
    expect(fromLog.remediation.gcloud).toContain('--priority=899');
    expect(fromLog.remediation.verified).toBe(true);
  });

  it('the live rule and priority decide, not the entry: a stale priority in rule_details neither describes the deny nor places the fix', () => {
    const entry = deniedTo(443, '172.16.0.34');
    entry.jsonPayload.rule_details.priority = 1100;
    const fromLog = finding(entry, live);
    const fromSweep = checkFinding('required-flow-blocked', (observation) => observation.flow?.name === 'node-to-master');
    expect(fromLog.explanation).toContain('denied by firewall rule kf-prod-deny-egress (priority 900)');
    expect(fromLog.remediation.gcloud).toBe(fromSweep.remediation.gcloud);
    expect(fromLog.remediation.gcloud).toMatch(/--priority=899 /);
  });

  it('without a snapshot the registered model and the entry\'s own rule decide, as before the cluster was swept', () => {
    const entry = deniedTo(443, '172.16.0.34');
    entry.jsonPayload.rule_details.priority = 1100;
    const fromLog = finding(entry, { model: snapshot.model });
    expect(fromLog.explanation).toContain('kf-prod-deny-egress (priority 1100)');
    expect(fromLog.remediation.gcloud).toContain('--priority=1000');
    expect(fromLog.remediation.verified).toBeUndefined();
  });

  it('a denial the live rules no longer make keeps the entry\'s rule and says the live rules let it through', () => {
    const opened: NetworkSnapshot = { ...snapshot, view: { ...snapshot.view, stack: { ...snapshot.view.stack, rules: snapshot.view.stack.rules.filter((rule) => rule.name !== 'kf-prod-deny-all-ingress') } } };
    const fromLog = finding(deniedTo(9443), liveNetwork(opened));
    expect(fromLog.firewallRule).toBe('kf-prod-deny-all-ingress');
    expect(fromLog.explanation).toContain('The live rules now allow this flow (by firewall rule kf-prod-istio (priority 1000))');
  });

  it('a failed webhook call names the live rule that blocks its port and gets the sweep\'s fix for that port', () => {
    const entry = entryWhere((candidate) => JSON.stringify(candidate).includes('inferenceservice.kserve-webhook-server.defaulter'));
    const fromLog = finding(entry, live);
    const fromSweep = checkFinding('webhook-port-not-allowed', (observation) => observation.flow?.ports.includes(9443) ?? false);
    expect(fromLog).toMatchObject({ rule: 'webhook-call-failed', firewallRule: 'kf-prod-deny-all-ingress', firewallLayer: 'vpc-firewall', flow: { destination: '10.1.0.0/16', ports: [9443] } });
    expect(fromLog.explanation).toContain('In the live rules, firewall rule kf-prod-deny-all-ingress (priority 900) blocks the control plane from tcp:9443 on the pods.');
    expect(fromLog.remediation.gcloud).toBe(fromSweep.remediation.gcloud);
  });

  it('a failed webhook call whose port the live rules open is not blamed on the firewall', () => {
    const opened: NetworkSnapshot = { ...snapshot, view: { ...snapshot.view, stack: { ...snapshot.view.stack, rules: snapshot.view.stack.rules.filter((rule) => rule.name !== 'kf-prod-deny-all-ingress') } } };
    const entry = entryWhere((candidate) => JSON.stringify(candidate).includes('inferenceservice.kserve-webhook-server.defaulter'));
    const fromLog = finding(entry, liveNetwork(opened));
    expect(fromLog).toMatchObject({ firewallRule: null, flow: null });
    expect(fromLog.explanation).toContain('The live rules let the control plane reach tcp:9443 on the pods: the firewall is not what fails now.');
    expect(fromLog.remediation.gcloud).toMatch(/^kubectl -n kubeflow get service kserve-webhook-server-service/);
  });
});
