import { describeDenial, describePort, endpointLabel } from '../diagnosis/describe.js';
import { allowRuleFix, describeFarRanges } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const unclassifiedDenial: DenialRule = {
  id: 'unclassified-denial',
  title: 'Denied traffic kfguard could not attribute',
  severity: 'info',
  source: 'firewall-log',
  why: 'The connection matches none of the flows a private Kubeflow cluster needs: it may be expected (a deny doing its job) or involve ranges kfguard was not told about. Passing the cluster with `--cluster` or the range flags lets kfguard classify more of it.',
  remediation: 'Decide whether this traffic should flow; if so, add an allow rule for exactly the sources, destinations and port that need it, above the denying rule.',
  matches: () => true,
  explain: (flow) => describeDenial(flow),
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      nameParts: [flow.direction === 'INGRESS' ? 'ingress' : 'egress', flow.protocol],
      targetTags: flow.rule?.targetTags ?? [],
      description: `kfguard: ${endpointLabel(flow.src)} to ${endpointLabel(flow.dst)} on ${describePort(flow)}`,
      summary: `Only if this traffic is expected: allow ${describePort(flow)} ${flow.direction === 'INGRESS' ? 'from' : 'to'} ${describeFarRanges(flow)}.`,
    }),
};
