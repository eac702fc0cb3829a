import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const healthCheckBlocked: DenialRule = {
  id: 'health-check-blocked',
  title: 'Google health checks are blocked',
  severity: 'error',
  source: 'firewall-log',
  why:
    'Load balancers and GKE Ingress probe backends from 35.191.0.0/16 and 130.211.0.0/22. A private network that denies them, in either direction, marks every backend unhealthy: the guide\'s "cluster health checks are failing", and an IAP ingress that never becomes ready.',
  remediation: 'Allow ingress from 35.191.0.0/16 and 130.211.0.0/22 to the nodes on the probed port (and the matching egress where egress is denied by default), like the blueprint\'s health-ingress and health-egress rules.',
  matches: (flow) => flow.src.cls === 'health-check' || flow.dst.cls === 'health-check',
  explain: (flow) => `${describeDenial(flow)} Backends that cannot be probed are marked unhealthy and get no traffic.`,
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      label: 'health-check-to-node',
      nameParts: ['health', flow.direction === 'INGRESS' ? 'ingress' : 'egress'],
      description: `kfguard: Google health checks on ${describePort(flow)}`,
      summary: `Allow Google's health-check ranges on ${describePort(flow)} (${flow.direction.toLowerCase()}).`,
    }),
};
