import type { Cidr } from '../net/cidr.js';
import { HEALTH_CHECK_RANGES } from '../net/well-known.js';
import { describeRule } from '../firewall/rule.js';
import type { DeniedFlow, Endpoint } from './flow.js';

const CLASS_NAMES: Record<Endpoint['cls'], string> = {
  'control-plane': 'the control plane',
  node: 'a node',
  pod: 'a pod',
  service: 'a service',
  'health-check': 'Google health checkers',
  iap: 'IAP TCP forwarding',
  'google-apis': 'the Google APIs VIP',
  metadata: 'the metadata server',
  'google-public': 'a public Google address',
  internet: 'the internet',
  private: 'a private address',
};

/** The ranges that make up an endpoint's class, as far as kfguard knows them (none for the internet). */
export function classRanges(endpoint: Endpoint): Cidr[] {
  if (endpoint.cls === 'health-check') return HEALTH_CHECK_RANGES.filter((range) => range.family === endpoint.ip.family);
  return endpoint.range ? [endpoint.range] : [];
}

/**
 * Whether findings stand for this endpoint's whole class rather than its range: every address of
 * the class is one cause, so findings do not multiply per address; the addresses go to `resources`.
 */
export function namedByClass(endpoint: Endpoint): boolean {
  // Every public Google address has one cause (DNS not using the restricted VIP), whatever its block.
  return endpoint.cls === 'google-public' || classRanges(endpoint).length === 0;
}

/** How an endpoint is named in findings and in their aggregation key: its class range(s), else its class. */
export function endpointLabel(endpoint: Endpoint): string {
  return namedByClass(endpoint) ? endpoint.cls : classRanges(endpoint).map((range) => range.text).join(',');
}

export function describeEndpoint(endpoint: Endpoint): string {
  const vm = endpoint.vm ? ` on ${endpoint.vm}` : '';
  if (namedByClass(endpoint)) return `${CLASS_NAMES[endpoint.cls]} such as ${endpoint.ip.text}${vm}`;
  const where = endpoint.range ? ` (${endpoint.range.text})` : '';
  return `${CLASS_NAMES[endpoint.cls]} ${endpoint.ip.text}${where}${vm}`;
}

export function describePort(flow: DeniedFlow): string {
  return flow.dstPort === undefined ? flow.protocol : `${flow.protocol}:${flow.dstPort}`;
}

export function describeDenyingRule(flow: DeniedFlow): string {
  const rule = flow.rule;
  if (!rule) return 'a firewall rule';
  if (rule.inForce) return describeRule(rule.inForce);
  if (rule.policy) {
    const at = rule.priority === undefined ? 'a rule' : `the rule at priority ${rule.priority}`;
    return `${at} of ${rule.layer === 'hierarchical-policy' ? 'hierarchical' : 'network'} firewall policy ${rule.policy}`;
  }
  const priority = rule.priority === undefined ? '' : ` (priority ${rule.priority})`;
  return `firewall rule ${rule.name}${priority}`;
}

/** "INGRESS the control plane 172.16.0.34 (172.16.0.32/28) → a node 10.10.10.31 (10.10.10.0/24) on tcp:8443 was denied by firewall rule X (priority 1000)." */
export function describeDenial(flow: DeniedFlow): string {
  return `${flow.direction} ${describeEndpoint(flow.src)} → ${describeEndpoint(flow.dst)} on ${describePort(flow)} was denied by ${describeDenyingRule(flow)}.`;
}

/** "INGRESS the internet such as 203.0.113.7 → a node … on more than 20 tcp ports was denied by …": the cause of a folded finding. */
export function describeSpread(flow: DeniedFlow, ports: number): string {
  return `${flow.direction} ${describeEndpoint(flow.src)} → ${describeEndpoint(flow.dst)} on more than ${ports} ${flow.protocol} ports was denied by ${describeDenyingRule(flow)}.`;
}
