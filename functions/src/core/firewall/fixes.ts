import type { ClusterModel } from '../model/cluster.js';
import type { Remediation } from '../findings/finding.js';
import {
  gcpResourceName,
  PLACEHOLDER_NODE_TAG,
  renderGcloud,
  renderManifest,
  type FirewallProposal,
} from './proposal.js';

export const PLACEHOLDER_CONTROL_PLANE_CIDR = 'CONTROL_PLANE_CIDR';

/** Ingress from the control-plane /28 to the cluster's nodes on the given tcp ports: the fix for webhook ports. */
export function controlPlaneIngressProposal(model: ClusterModel, ports: number[], description: string, priority = 1000): FirewallProposal {
  const proposal: FirewallProposal = {
    name: gcpResourceName(model.network ?? model.name ?? 'kf', 'allow', 'webhook', 'tcp', ...ports),
    direction: 'INGRESS',
    priority,
    protocol: 'tcp',
    ports,
    sourceRanges: [model.masterCidr?.text ?? PLACEHOLDER_CONTROL_PLANE_CIDR],
    targetTags: model.nodeTags.length > 0 ? [model.nodeTags[0]!] : [PLACEHOLDER_NODE_TAG],
    description,
  };
  if (model.network) proposal.network = model.network;
  if (model.project) proposal.project = model.project;
  return proposal;
}

export function proposalRemediation(summary: string, proposal: FirewallProposal): Remediation {
  return { summary, gcloud: renderGcloud(proposal), manifest: renderManifest(proposal) };
}
