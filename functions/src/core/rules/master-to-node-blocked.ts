import { GKE_MASTER_PORTS } from '../net/well-known.js';
import type { DeniedFlow } from '../diagnosis/flow.js';
import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const isControlPlaneToCluster = (flow: DeniedFlow): boolean =>
  flow.src.cls === 'control-plane' && (flow.dst.cls === 'node' || flow.dst.cls === 'pod');

export const masterToNodeBlocked: DenialRule = {
  id: 'master-to-node-blocked',
  title: 'Control plane cannot reach nodes on tcp 443 or 10250',
  severity: 'error',
  source: 'firewall-log',
  why:
    "GKE creates a `gke-NAME-HASH-master` ingress rule (priority 1000) that lets a private cluster's control plane reach the kubelet (tcp 10250) and webhooks on tcp 443. A denial on those ports means another rule overrides it: a deny at a smaller priority number, or the GKE rule was deleted. Without it, `kubectl logs/exec`, metrics and every webhook on 443 fail.",
  remediation:
    'Allow tcp 443 and 10250 from the control-plane /28 to the node tag at a priority that beats the deny, or raise the deny rule\'s priority number above 1000. Check that the `gke-NAME-HASH-master` rule still exists.',
  matches: (flow) => isControlPlaneToCluster(flow) && flow.protocol === 'tcp' && flow.dstPort !== undefined && GKE_MASTER_PORTS.includes(flow.dstPort),
  explain: (flow) =>
    `${describeDenial(flow)} GKE's own master rule opens this port, so a deny with a smaller priority number overrides it (or the GKE rule is missing).`,
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      label: 'master-to-node',
      nameParts: ['master', 'ingress'],
      description: 'kfguard: control plane to nodes (kubelet and webhooks on 443)',
      summary: `Restore control-plane access to the nodes on ${describePort(flow)} with an allow rule from the control-plane range.`,
    }),
};
