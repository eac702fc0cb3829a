import { CLUSTER_CLASSES } from '../diagnosis/flow.js';
import { describeDenial } from '../diagnosis/describe.js';
import { allowRuleFix } from '../diagnosis/denial-fix.js';
import type { DenialRule } from './rule.js';

export const intraClusterBlocked: DenialRule = {
  id: 'intra-cluster-blocked',
  title: 'Traffic between nodes, pods and services is blocked',
  severity: 'error',
  source: 'firewall-log',
  why:
    "GKE's `-vms` and `-all` rules let nodes and pods talk to each other; a deny-all egress rule without an allow for the cluster's own ranges (the blueprint's int-egress: 10.0.0.0/8 and 192.168.0.0/16) cuts pods off from each other, from kube-dns and from Services.",
  remediation: "Allow the node, pod and service ranges to reach each other (egress to those ranges, ingress from them) above any deny rule.",
  matches: (flow) => CLUSTER_CLASSES.has(flow.src.cls) && CLUSTER_CLASSES.has(flow.dst.cls),
  explain: (flow) => `${describeDenial(flow)} Pods, nodes and Services of one cluster must reach each other.`,
  fix: (flow, context) =>
    allowRuleFix(flow, context, {
      label: 'intra-cluster',
      nameParts: ['intra-cluster', flow.direction === 'INGRESS' ? 'ingress' : 'egress'],
      description: 'kfguard: traffic inside the cluster',
      summary: 'Allow traffic between the cluster\'s node, pod and service ranges.',
    }),
};
