import type { ClusterModel } from '../model/cluster.js';
import type { Remediation } from '../findings/finding.js';
import { namedProposal, PLACEHOLDER_NODE_TAG, PLACEHOLDER_RANGES, renderGcloud, renderManifest, type FirewallProposal, type ProposalBody } from './proposal.js';

/** Ingress from the control-plane /28 to the cluster's nodes on the given tcp ports: the fix for webhook ports. */
export function controlPlaneIngressProposal(model: ClusterModel, ports: number[], description: string, priority = 1000): FirewallProposal {
  const body: ProposalBody = {
    direction: 'INGRESS',
    priority,
    allow: [{ protocol: 'tcp', ports }],
    sourceRanges: [model.masterCidr?.text ?? PLACEHOLDER_RANGES.controlPlane],
    targetTags: model.nodeTags.length > 0 ? [model.nodeTags[0]!] : [PLACEHOLDER_NODE_TAG],
    description,
  };
  if (model.network) body.network = model.network;
  if (model.project) body.project = model.project;
  return namedProposal(['webhook', 'tcp', ...ports], body);
}

export function proposalRemediation(summary: string, proposal: FirewallProposal): Remediation {
  return { summary, gcloud: renderGcloud(proposal), manifest: renderManifest(proposal) };
}
