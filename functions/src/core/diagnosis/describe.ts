import { HEALTH_CHECK_RANGES } from '../net/well-known.js';
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

/**
 * How an endpoint is named in findings and in their aggregation key: its class range when it has
 * one, the class itself for cluster members whose range is unknown, the address otherwise.
 */
export function endpointLabel(endpoint: Endpoint): string {
  switch (endpoint.cls) {
    case 'health-check':
      return HEALTH_CHECK_RANGES.filter((range) => range.family === endpoint.ip.family)
        .map((range) => range.text)
        .join(',');
    case 'control-plane':
    case 'iap':
    case 'google-apis':
    case 'metadata':
      return endpoint.range?.text ?? endpoint.ip.text;
    case 'node':
    case 'pod':
    case 'service':
      return endpoint.range?.text ?? endpoint.cls;
    case 'google-public':
      // One cause (DNS not using the restricted VIP) behind every such address: one finding.
      return 'google-public';
    default:
      return endpoint.ip.text;
  }
}

/** A range usable in a firewall rule for this endpoint: its class range, else the address itself. */
export function endpointRanges(endpoint: Endpoint): string[] {
  if (endpoint.cls === 'health-check') return endpointLabel(endpoint).split(',');
  if (endpoint.range) return [endpoint.range.text];
  return [`${endpoint.ip.text}/${endpoint.ip.family === 4 ? 32 : 128}`];
}

export function describeEndpoint(endpoint: Endpoint): string {
  const where = endpoint.range ? ` (${endpoint.range.text})` : '';
  const vm = endpoint.vm ? ` on ${endpoint.vm}` : '';
  return `${CLASS_NAMES[endpoint.cls]} ${endpoint.ip.text}${where}${vm}`;
}

export function describePort(flow: DeniedFlow): string {
  return flow.dstPort === undefined ? flow.protocol : `${flow.protocol}:${flow.dstPort}`;
}

export function describeDenyingRule(flow: DeniedFlow): string {
  if (!flow.rule) return 'a firewall rule';
  const priority = flow.rule.priority === undefined ? '' : ` (priority ${flow.rule.priority})`;
  return `firewall rule ${flow.rule.name}${priority}`;
}

/** "control plane 172.16.0.34 → a node 10.10.10.31 on tcp:8443 was denied by firewall rule X (priority 1000)." */
export function describeDenial(flow: DeniedFlow): string {
  return `${flow.direction} ${describeEndpoint(flow.src)} → ${describeEndpoint(flow.dst)} on ${describePort(flow)} was denied by ${describeDenyingRule(flow)}.`;
}
