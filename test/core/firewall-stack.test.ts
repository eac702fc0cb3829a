import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../functions/src/core/net/cidr.js';
import { setToCidrs } from '../../functions/src/core/net/address-set.js';
import { FirewallEvaluator, type Decision, type Traffic, type TrafficEnd } from '../../functions/src/core/firewall/evaluator.js';
import { firewallRuleDefaults, parsePortRange, policyRuleName, type FirewallAction, type FirewallRule, type PolicyRef } from '../../functions/src/core/firewall/rule.js';
import { buildStack, type EnforcementOrder } from '../../functions/src/core/firewall/stack.js';

/** "tcp:80,443" / "udp" / "all" → protocols, as gcloud writes them. */
function protocols(specs: string[]): FirewallRule['protocols'] {
  return specs.map((text) => {
    const [protocol, ports] = text.split(':');
    return { protocol: protocol!, ports: ports ? ports.split(',').map(parsePortRange) : [] };
  });
}

interface Spec {
  name: string;
  action?: FirewallAction;
  direction?: 'INGRESS' | 'EGRESS';
  priority?: number;
  rules?: string[];
  from?: string[];
  to?: string[];
  targetTags?: string[];
  sourceTags?: string[];
  targetSecureTags?: string[];
  opaqueSources?: string[];
}

const vpc = (spec: Spec): FirewallRule => ({
  ...firewallRuleDefaults(spec.name, spec.direction ?? 'INGRESS', spec.action ?? 'allow', 'manifest'),
  priority: spec.priority ?? 1000,
  protocols: protocols(spec.rules ?? ['all']),
  sourceRanges: (spec.from ?? []).map(parseCidr),
  destinationRanges: (spec.to ?? []).map(parseCidr),
  targetTags: spec.targetTags ?? [],
  sourceTags: spec.sourceTags ?? [],
});

const HIERARCHY: PolicyRef = { name: '81828481824', kind: 'hierarchical', parent: 'organizations/1234' };
const FOLDER: PolicyRef = { name: '99', kind: 'hierarchical', parent: 'folders/55' };
const GLOBAL: PolicyRef = { name: 'kf-global', kind: 'network' };
const REGIONAL: PolicyRef = { name: 'kf-regional', kind: 'regional-network', region: 'us-central1' };

const policyRule = (policy: PolicyRef, spec: Spec & { priority: number }): FirewallRule => ({
  ...vpc(spec),
  name: policyRuleName(policy.name, spec.priority),
  layer: policy.kind === 'hierarchical' ? 'hierarchical-policy' : policy.kind === 'network' ? 'network-policy' : 'regional-network-policy',
  policy,
  targetSecureTags: spec.targetSecureTags ?? [],
  opaqueSources: spec.opaqueSources ?? [],
});

const NODE_TAG = 'gke-kf-1234abcd-node';
const nodes: TrafficEnd = { range: parseCidr('10.10.10.0/24'), tags: [NODE_TAG], serviceAccounts: [], primaryAddress: true, instance: true };
const pods: TrafficEnd = { ...nodes, range: parseCidr('10.1.0.0/16'), primaryAddress: false };
const master: TrafficEnd = { range: parseCidr('172.16.0.32/28'), tags: [], serviceAccounts: [], primaryAddress: false, instance: false };
const probers: TrafficEnd = { ...master, range: parseCidr('35.191.0.0/16') };

const ingress = (source: TrafficEnd, destination: TrafficEnd, protocol: string, from: number, to = from): Traffic => ({ direction: 'INGRESS', protocol, ports: { from, to }, source, destination });

function judge(rules: FirewallRule[], traffic: Traffic, order?: EnforcementOrder) {
  return new FirewallEvaluator(buildStack({ rules, policiesKnown: true, ...(order ? { enforcementOrder: order } : {}) })).judge(traffic);
}

/** Each decision as "RULE SOURCES→DESTINATIONS PORTS", so a test reads like the verdict it expects. */
const describeDecisions = (decisions: readonly Decision[]): string[] =>
  decisions.map((decision) => {
    const cidrs = (set: Decision['piece']['source']) => setToCidrs(set, 4).map((cidr) => cidr.text).join(',');
    const ports = decision.piece.ports.map((range) => (range.lo === range.hi ? `${range.lo}` : `${range.lo}-${range.hi}`)).join(',');
    return `${decision.allowed ? 'allow' : 'deny'} ${decision.rule.name} ${cidrs(decision.piece.source)}→${cidrs(decision.piece.destination)} ${ports}`;
  });

describe('exact evaluation over whole ranges', () => {
  it("GKE's kubelet rules: the partial allow above the deny decides its piece, so intra-cluster traffic is not blocked", () => {
    const rules = [
      vpc({ name: 'gke-kf-1234abcd-inkubelet', priority: 999, rules: ['tcp:10255'], from: ['10.1.0.0/16'], sourceTags: [NODE_TAG], targetTags: [NODE_TAG] }),
      vpc({ name: 'gke-kf-1234abcd-exkubelet', action: 'deny', rules: ['tcp:10255'], from: ['0.0.0.0/0'], targetTags: [NODE_TAG] }),
      vpc({ name: 'gke-kf-1234abcd-vms', rules: ['tcp:1-65535', 'udp:1-65535', 'icmp'], from: ['10.10.10.0/24'], targetTags: [NODE_TAG] }),
      vpc({ name: 'gke-kf-1234abcd-all', rules: ['tcp', 'udp'], from: ['10.1.0.0/16'], targetTags: [NODE_TAG] }),
    ];
    for (const source of [nodes, pods]) {
      const judgement = judge(rules, ingress(source, nodes, 'tcp', 1, 65535));
      expect(judgement.allowed).toBe(true);
      expect(judgement.decisions.map((decision) => decision.rule.name)).toContain('gke-kf-1234abcd-inkubelet');
    }
  });

  it('a deny names exactly the pieces it decides: the sub-range and the ports, not the whole flow', () => {
    const rules = [
      vpc({ name: 'deny-some', action: 'deny', priority: 900, rules: ['tcp:1-1000'], from: ['10.1.128.0/17'] }),
      vpc({ name: 'allow-pods', rules: ['tcp'], from: ['10.1.0.0/16'] }),
    ];
    const judgement = judge(rules, ingress(pods, nodes, 'tcp', 1, 65535));
    expect(describeDecisions(judgement.blocked)).toEqual(['deny deny-some 10.1.128.0/17→10.10.10.0/24 1-1000']);
    expect(describeDecisions(judgement.decisions.filter((decision) => decision.allowed))).toEqual([
      'allow allow-pods 10.1.0.0/17→10.10.10.0/24 1-65535',
      'allow allow-pods 10.1.128.0/17→10.10.10.0/24 1001-65535',
    ]);
  });

  it('an earlier allow keeps the pieces it decided, whatever deny comes later', () => {
    const rules = [vpc({ name: 'allow-443', rules: ['tcp:443'], from: ['172.16.0.32/28'] }), vpc({ name: 'deny-all', action: 'deny', priority: 2000, from: ['0.0.0.0/0'] })];
    expect(describeDecisions(judge(rules, ingress(master, pods, 'tcp', 443)).decisions)).toEqual(['allow allow-443 172.16.0.32/28→10.1.0.0/16 443']);
    expect(describeDecisions(judge(rules, ingress(master, pods, 'tcp', 440, 450)).blocked)).toEqual(['deny deny-all 172.16.0.32/28→10.1.0.0/16 440-442,444-450']);
  });
});

describe('Cloud NGFW layers', () => {
  const webhook = ingress(master, pods, 'tcp', 9443);
  const allowWebhook = vpc({ name: 'allow-webhook', priority: 1, rules: ['tcp:9443'], from: ['172.16.0.32/28'] });

  it('a hierarchical deny decides before any VPC rule, however high its priority', () => {
    const judgement = judge([policyRule(HIERARCHY, { name: '', action: 'deny', priority: 700, from: ['0.0.0.0/0'] }), allowWebhook], webhook);
    expect(judgement.blocked.map((decision) => [decision.rule.name, decision.rule.layer])).toEqual([['firewallPolicy:81828481824/priority:700', 'hierarchical-policy']]);
  });

  it('goto_next hands the piece to the next layer; the organization goes before the folder', () => {
    const rules = [
      policyRule(FOLDER, { name: '', action: 'deny', priority: 10, from: ['0.0.0.0/0'] }),
      policyRule(HIERARCHY, { name: '', action: 'goto_next', priority: 602, from: ['172.16.0.0/12'] }),
      policyRule(HIERARCHY, { name: '', action: 'deny', priority: 700, from: ['0.0.0.0/0'] }),
      allowWebhook,
    ];
    const judgement = judge(rules, webhook);
    // The organization's goto_next passes it on, the folder's deny then decides: no VPC rule is reached.
    expect(judgement.blocked.map((decision) => decision.rule.name)).toEqual(['firewallPolicy:99/priority:10']);
    expect(judgement.blocked[0]!.via.map((rule) => rule.name)).toEqual(['firewallPolicy:81828481824/priority:602']);
  });

  it('the enforcement order puts network policies after VPC rules by default, before them when told', () => {
    const rules = [policyRule(GLOBAL, { name: '', action: 'deny', priority: 100, from: ['0.0.0.0/0'] }), allowWebhook];
    expect(judge(rules, webhook).allowed).toBe(true);
    expect(judge(rules, webhook, 'BEFORE_CLASSIC_FIREWALL').blocked.map((decision) => decision.rule.layer)).toEqual(['network-policy']);
  });

  it('a global network policy comes before a regional one, and both before the implied rules', () => {
    const rules = [policyRule(REGIONAL, { name: '', action: 'allow', priority: 1, from: ['0.0.0.0/0'] }), policyRule(GLOBAL, { name: '', action: 'deny', priority: 5, from: ['172.16.0.0/12'] })];
    expect(judge(rules, webhook).blocked.map((decision) => decision.rule.name)).toEqual(['firewallPolicy:kf-global/priority:5']);
    expect(judge([policyRule(REGIONAL, { name: '', action: 'allow', priority: 1, from: ['0.0.0.0/0'] })], webhook).allowed).toBe(true);
  });

  it('apply_security_profile_group lets the traffic through to inspection', () => {
    const judgement = judge([policyRule(HIERARCHY, { name: '', action: 'apply_security_profile_group', priority: 5, from: ['0.0.0.0/0'] })], webhook);
    expect(judgement.allowed).toBe(true);
    expect(judgement.decisions[0]!.rule.action).toBe('apply_security_profile_group');
  });

  it('a rule on secure tags kfguard does not know the nodes carry is judged both ways', () => {
    const judgement = judge([policyRule(GLOBAL, { name: '', action: 'deny', priority: 5, targetSecureTags: ['tagValues/123'] }), allowWebhook], webhook, 'BEFORE_CLASSIC_FIREWALL');
    expect(judgement.blocked).toEqual([]);
    expect(judgement.possiblyBlocked.map((decision) => decision.rule.name)).toEqual(['firewallPolicy:kf-global/priority:5']);
    expect(judgement.uncertain.map((rule) => rule.name)).toEqual(['firewallPolicy:kf-global/priority:5']);
  });

  it('an FQDN source is an unknown set of addresses: judged both ways, certain only where both agree', () => {
    const fqdnDeny = policyRule(HIERARCHY, { name: '', action: 'deny', priority: 5, opaqueSources: ['srcFqdns example.com'] });
    const judgement = judge([fqdnDeny], webhook);
    // Blocked either way: by the FQDN rule if it matches, else by the implied deny-ingress.
    expect(judgement.blocked.length).toBeGreaterThan(0);
    expect(judge([fqdnDeny, allowWebhook], webhook).possiblyBlocked.map((decision) => decision.rule.name)).toEqual([fqdnDeny.name]);
  });

  it('health checks: the probers pass the hierarchy by goto_next and are judged by the VPC rules', () => {
    const rules = [
      policyRule(HIERARCHY, { name: '', action: 'goto_next', priority: 601, from: ['35.191.0.0/16', '130.211.0.0/22'] }),
      policyRule(HIERARCHY, { name: '', action: 'deny', priority: 700, from: ['0.0.0.0/0'] }),
      vpc({ name: 'k8s-fw-l7--abc', rules: ['tcp:8080'], from: ['35.191.0.0/16', '130.211.0.0/22'], targetTags: [NODE_TAG] }),
      vpc({ name: 'ingress-test-deny', action: 'deny', priority: 900, rules: ['tcp:1024-10000'], from: ['35.191.0.0/16'] }),
    ];
    expect(describeDecisions(judge(rules, ingress(probers, pods, 'tcp', 8080)).blocked)).toEqual(['deny ingress-test-deny 35.191.0.0/16→10.1.0.0/16 8080']);
    expect(judge(rules, ingress({ ...probers, range: parseCidr('130.211.0.0/22') }, pods, 'tcp', 8080)).allowed).toBe(true);
  });
});
