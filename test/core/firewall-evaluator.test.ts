import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../functions/src/core/net/cidr.js';
import { FirewallEvaluator, type Traffic, type TrafficEnd } from '../../functions/src/core/firewall/evaluator.js';
import { firewallRuleDefaults, parsePortRange, type FirewallRule } from '../../functions/src/core/firewall/rule.js';
import { gkeCreatedRules } from '../../functions/src/core/firewall/gke-rules.js';
import { emptyClusterModel, withRangeOverrides } from '../../functions/src/core/model/cluster.js';
import type { Direction } from '../../functions/src/core/diagnosis/flow.js';

type RuleSpec = Partial<Omit<FirewallRule, 'sourceRanges' | 'destinationRanges' | 'protocols'>> & {
  name: string;
  sourceRanges?: string[];
  destinationRanges?: string[];
  allow?: string[];
  deny?: string[];
};

/** "tcp:80,443" / "udp" / "all" → protocols, as gcloud --rules writes them. */
function rule(spec: RuleSpec): FirewallRule {
  const action = spec.deny ? 'deny' : 'allow';
  const protocols = (spec.deny ?? spec.allow ?? ['all']).map((text) => {
    const [protocol, ports] = text.split(':');
    return { protocol: protocol!, ports: ports ? ports.split(',').map(parsePortRange) : [] };
  });
  const { allow: _a, deny: _d, sourceRanges, destinationRanges, ...rest } = spec;
  return {
    ...firewallRuleDefaults(spec.name, spec.direction ?? 'INGRESS', action, 'manifest'),
    ...rest,
    protocols,
    sourceRanges: (sourceRanges ?? []).map(parseCidr),
    destinationRanges: (destinationRanges ?? []).map(parseCidr),
  };
}

const node: TrafficEnd = { range: parseCidr('10.10.10.5/32'), tags: ['gke-kf-1234abcd-node', 'kf-nodes'], serviceAccounts: ['kf-vm@p.iam.gserviceaccount.com'], primaryAddress: true, instance: true };
const pod: TrafficEnd = { ...node, range: parseCidr('10.1.3.0/24'), primaryAddress: false };
const master: TrafficEnd = { range: parseCidr('172.16.0.32/28'), tags: [], serviceAccounts: [], primaryAddress: false, instance: false };
const internet: TrafficEnd = { range: parseCidr('203.0.113.9/32'), tags: [], serviceAccounts: [], primaryAddress: false, instance: false };

function traffic(direction: Direction, source: TrafficEnd, destination: TrafficEnd, protocol = 'tcp', port = 443): Traffic {
  return { direction, protocol, ports: { from: port, to: port }, source, destination };
}

function verdict(rules: FirewallRule[], t: Traffic): string {
  const result = new FirewallEvaluator(rules).evaluate(t);
  return `${result.allowed ? 'allowed' : 'denied'} by ${result.rule.name}`;
}

describe('VPC firewall evaluation', () => {
  it.each<[string, RuleSpec[], Traffic, string]>([
    ['nothing: the implied deny-ingress', [], traffic('INGRESS', master, node), 'denied by implied-deny-ingress'],
    ['nothing: the implied allow-egress', [], traffic('EGRESS', node, internet), 'allowed by implied-allow-egress'],
    ['a lower number wins', [{ name: 'deny-900', priority: 900, deny: ['tcp'] }, { name: 'allow-1000', allow: ['tcp:443'], sourceRanges: ['172.16.0.32/28'] }], traffic('INGRESS', master, node), 'denied by deny-900'],
    ['at equal priority deny beats allow', [{ name: 'a-allow', priority: 1000, allow: ['tcp:443'] }, { name: 'z-deny', priority: 1000, deny: ['tcp:443'] }], traffic('INGRESS', master, node), 'denied by z-deny'],
    ['a disabled rule is ignored', [{ name: 'deny-all', priority: 0, deny: ['all'], disabled: true }, { name: 'allow', allow: ['tcp:443'] }], traffic('INGRESS', master, node), 'allowed by allow'],
    ['direction matters', [{ name: 'egress-allow', direction: 'EGRESS', allow: ['tcp:443'] }], traffic('INGRESS', master, node), 'denied by implied-deny-ingress'],
    ['port ranges include their ends', [{ name: 'allow-range', allow: ['tcp:8000-8443'], sourceRanges: ['172.16.0.32/28'] }], traffic('INGRESS', master, node, 'tcp', 8443), 'allowed by allow-range'],
    ['port ranges exclude the rest', [{ name: 'allow-range', allow: ['tcp:8000-8442'], sourceRanges: ['172.16.0.32/28'] }], traffic('INGRESS', master, node, 'tcp', 8443), 'denied by implied-deny-ingress'],
    ['a protocol without ports means all ports', [{ name: 'allow-tcp', allow: ['tcp'], sourceRanges: ['172.16.0.32/28'] }], traffic('INGRESS', master, node, 'tcp', 15017), 'allowed by allow-tcp'],
    ['all covers every protocol', [{ name: 'allow-all', allow: ['all'], sourceRanges: ['172.16.0.0/12'] }], traffic('INGRESS', master, node, 'udp', 53), 'allowed by allow-all'],
    ['udp is not tcp', [{ name: 'allow-tcp', allow: ['tcp'], sourceRanges: ['172.16.0.32/28'] }], traffic('INGRESS', master, node, 'udp', 53), 'denied by implied-deny-ingress'],
    ['target tags select instances', [{ name: 'other-tag', allow: ['tcp'], targetTags: ['web'] }, { name: 'node-tag', priority: 2000, allow: ['tcp'], targetTags: ['kf-nodes'] }], traffic('INGRESS', master, node), 'allowed by node-tag'],
    ['target service accounts select instances', [{ name: 'by-sa', allow: ['tcp'], targetServiceAccounts: ['kf-vm@p.iam.gserviceaccount.com'] }], traffic('INGRESS', master, node), 'allowed by by-sa'],
    ['a tagged rule does not apply to untagged instances', [{ name: 'deny-web', priority: 10, deny: ['all'], targetTags: ['web'] }, { name: 'allow', allow: ['tcp'] }], traffic('INGRESS', master, node), 'allowed by allow'],
    ['source tags match a VM primary address', [{ name: 'from-nodes', allow: ['tcp'], sourceTags: ['kf-nodes'] }], traffic('INGRESS', node, node), 'allowed by from-nodes'],
    ['source tags do not match pod alias ranges', [{ name: 'from-nodes', allow: ['tcp'], sourceTags: ['kf-nodes'] }], traffic('INGRESS', pod, node), 'denied by implied-deny-ingress'],
    ['source service accounts match like tags', [{ name: 'from-sa', allow: ['tcp'], sourceServiceAccounts: ['kf-vm@p.iam.gserviceaccount.com'] }], traffic('INGRESS', node, node), 'allowed by from-sa'],
    ['no source at all means 0.0.0.0/0', [{ name: 'open', allow: ['tcp:443'] }], traffic('INGRESS', internet, node), 'allowed by open'],
    ['an allow must cover the whole source range', [{ name: 'half', allow: ['tcp'], sourceRanges: ['172.16.0.32/29'] }], traffic('INGRESS', master, node), 'denied by implied-deny-ingress'],
    ['a deny touching part of the range blocks', [{ name: 'deny-part', priority: 900, deny: ['tcp'], sourceRanges: ['172.16.0.40/30'] }, { name: 'allow', allow: ['tcp'], sourceRanges: ['172.16.0.32/28'] }], traffic('INGRESS', master, node), 'denied by deny-part'],
    ['egress denies by destination range', [{ name: 'deny-egress', direction: 'EGRESS', priority: 1100, deny: ['tcp:0-65535'], destinationRanges: ['0.0.0.0/0'] }], traffic('EGRESS', node, master), 'denied by deny-egress'],
    ['egress allow above the deny', [{ name: 'deny-egress', direction: 'EGRESS', priority: 1100, deny: ['tcp'], destinationRanges: ['0.0.0.0/0'] }, { name: 'master-egress', direction: 'EGRESS', allow: ['tcp:443,10250'], destinationRanges: ['172.16.0.32/28'] }], traffic('EGRESS', node, master), 'allowed by master-egress'],
    ['egress to an uncovered range falls to the deny', [{ name: 'deny-egress', direction: 'EGRESS', priority: 1100, deny: ['tcp'], destinationRanges: ['0.0.0.0/0'] }, { name: 'master-egress', direction: 'EGRESS', allow: ['tcp:443'], destinationRanges: ['172.16.0.16/28'] }], traffic('EGRESS', node, master), 'denied by deny-egress'],
    ['egress rules target the sending instance', [{ name: 'deny-web-egress', direction: 'EGRESS', priority: 0, deny: ['all'], targetTags: ['web'] }], traffic('EGRESS', node, internet), 'allowed by implied-allow-egress'],
  ])('%s', (_name, specs, t, expected) => {
    expect(verdict(specs.map(rule), t)).toBe(expected);
  });

  it("models GKE's own rules for a private cluster", () => {
    const model = {
      ...withRangeOverrides(emptyClusterModel(), { masterCidr: '172.16.0.32/28', nodeCidrs: ['10.10.10.0/24'], podCidrs: ['10.1.0.0/16'] }),
      name: 'kf',
      id: '1234abcd5678',
      nodeTags: ['gke-kf-1234abcd-node'],
      privateNodes: true,
    };
    const rules = gkeCreatedRules(model);
    expect(rules.map((r) => r.name)).toEqual(['gke-kf-1234abcd-master', 'gke-kf-1234abcd-vms', 'gke-kf-1234abcd-all']);
    const nodes: TrafficEnd = { ...node, range: parseCidr('10.10.10.0/24') };
    expect(verdict(rules, traffic('INGRESS', master, nodes, 'tcp', 10250))).toBe('allowed by gke-kf-1234abcd-master');
    expect(verdict(rules, traffic('INGRESS', master, pod, 'tcp', 443))).toBe('allowed by gke-kf-1234abcd-master');
    expect(verdict(rules, traffic('INGRESS', master, pod, 'tcp', 15017))).toBe('denied by implied-deny-ingress');
    expect(verdict(rules, traffic('INGRESS', nodes, nodes, 'udp', 53))).toBe('allowed by gke-kf-1234abcd-vms');
    expect(verdict(rules, traffic('INGRESS', pod, nodes, 'tcp', 8080))).toBe('allowed by gke-kf-1234abcd-all');
    expect(verdict([...rules, rule({ name: 'harden', priority: 900, deny: ['all'], sourceRanges: ['0.0.0.0/0'] })], traffic('INGRESS', master, nodes, 'tcp', 10250))).toBe('denied by harden');
    expect(gkeCreatedRules({ ...model, privateNodes: false }).map((r) => r.name)).not.toContain('gke-kf-1234abcd-master');
  });
});
