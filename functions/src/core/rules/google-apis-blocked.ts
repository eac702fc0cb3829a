import { INTERNAL_CLASSES } from '../diagnosis/flow.js';
import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const googleApisBlocked: DenialRule = {
  id: 'google-apis-blocked',
  title: 'Nodes cannot reach the Google APIs VIP',
  severity: 'error',
  source: 'firewall-log',
  why:
    'Private nodes reach Google APIs and gcr.io only through restricted.googleapis.com (199.36.153.4/30) or private.googleapis.com (199.36.153.8/30). If egress to that VIP is denied, image pulls, logging, monitoring and Config Connector calls all fail.',
  remediation: 'Allow egress tcp 443 to 199.36.153.4/30 (or 199.36.153.8/30) above the deny-all egress rule, like the blueprint\'s apis-egress rule.',
  matches: (flow) => INTERNAL_CLASSES.has(flow.src.cls) && flow.dst.cls === 'google-apis',
  explain: (flow) => `${describeDenial(flow)} Image pulls and every Google API call from the cluster go through this VIP.`,
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      label: 'node-to-google-apis',
      nameParts: ['google-apis-egress'],
      description: 'kfguard: private Google access through the restricted VIP',
      summary: `Allow egress ${describePort(flow)} to ${flow.dst.range?.text ?? '199.36.153.4/30'}.`,
    }),
};
