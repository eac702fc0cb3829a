import { CLUSTER_CLASSES } from '../diagnosis/flow.js';
import { describeDenial, describePort } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const nodeToMasterBlocked: DenialRule = {
  id: 'node-to-master-blocked',
  title: 'Nodes cannot reach the control plane',
  severity: 'error',
  source: 'firewall-log',
  why:
    "Kubelets and pods reach a private control plane on tcp 443 at its /28. GKE relies on the implied allow-egress rule, so a deny-all egress rule (like the blueprint's deny-egress at priority 1100) needs an allow for the control-plane range above it. The blueprint keeps that range \"in sync\" with the cluster by hand (master-egress), and a stale copy makes nodes never register: the cluster stays PROVISIONING.",
  remediation: "Allow egress tcp 443 (and 10250) to the cluster's masterIpv4CidrBlock at a smaller priority number than the deny-all egress rule.",
  matches: (flow) => CLUSTER_CLASSES.has(flow.src.cls) && flow.dst.cls === 'control-plane',
  explain: (flow) => `${describeDenial(flow)} Nodes that cannot reach the API server never register, and the cluster stays stuck provisioning.`,
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      label: 'node-to-master',
      nameParts: ['master', 'egress'],
      description: 'kfguard: nodes to the control plane',
      summary: `Allow egress from the nodes to the control-plane range on ${describePort(flow)}.`,
    }),
};
