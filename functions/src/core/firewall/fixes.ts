import { networkProjectOf, resolveServiceAccounts, type ClusterModel } from '../model/cluster.js';
import type { Remediation } from '../findings/finding.js';
import { proposeFix, type Opening } from './fix.js';
import { PLACEHOLDER_NODE_TAG, PLACEHOLDER_RANGES, singlePorts } from './proposal.js';

/**
 * Where the control plane's connections to the nodes come from: its /28, or for a Private Service
 * Connect cluster the konnectivity agents' pods (kfguard's assumption: GKE documents no other source).
 */
function controlPlaneSources(model: ClusterModel): string[] {
  if (model.masterCidr) return [model.masterCidr.text];
  if (model.controlPlaneConnection === 'psc' && model.podCidrs.length > 0) return model.podCidrs.map((range) => range.text);
  return [PLACEHOLDER_RANGES.controlPlane];
}

/** Ingress from the control plane to the cluster's nodes on the given tcp ports: the fix for webhook ports. */
export function controlPlaneIngressFix(model: ClusterModel, ports: number[], description: string, summary: string): Remediation {
  const opening: Opening = {
    direction: 'INGRESS',
    allow: [{ protocol: 'tcp', ports: singlePorts(...ports) }],
    farRanges: controlPlaneSources(model),
    targetTags: model.nodeTags.length > 0 ? [model.nodeTags[0]!] : [PLACEHOLDER_NODE_TAG],
    targetServiceAccounts: resolveServiceAccounts(model.nodeServiceAccounts ?? [], model.projectNumber),
    description,
    nameParts: ['webhook', 'tcp', ...ports],
  };
  if (model.network) opening.network = model.network;
  const project = networkProjectOf(model);
  if (project) opening.project = project;
  // Without the rules in force the deciding rule is unknown: a VPC rule at the default priority.
  return proposeFix(opening, { layer: 'vpc-firewall' }, summary)!.remediation;
}
