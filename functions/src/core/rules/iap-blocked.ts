import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const iapBlocked: DenialRule = {
  id: 'iap-blocked',
  title: 'IAP TCP forwarding cannot reach nodes',
  severity: 'warning',
  source: 'firewall-log',
  why: 'Private nodes have no external IP, so SSH and `gcloud compute start-iap-tunnel` go through IAP TCP forwarding from 35.235.240.0/20. Without an ingress rule for that range, operators cannot reach nodes to debug them.',
  remediation: 'Allow ingress from 35.235.240.0/20 to the nodes on the forwarded port (tcp 22 for SSH).',
  matches: (flow) => flow.src.cls === 'iap',
  explain: (flow) => `${describeDenial(flow)} IAP TCP forwarding (SSH, tunnels) to private nodes needs this range allowed.`,
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      nameParts: ['iap', flow.protocol],
      description: `kfguard: IAP TCP forwarding on ${describePort(flow)}`,
      summary: `Allow IAP TCP forwarding (35.235.240.0/20) on ${describePort(flow)}.`,
    }),
};
