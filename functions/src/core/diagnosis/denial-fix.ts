import {
  gcpResourceName,
  PLACEHOLDER_NODE_TAG,
  priorityAbove,
  renderGcloud,
  renderManifest,
  type FirewallProposal,
} from '../firewall/proposal.js';
import type { Remediation } from '../findings/finding.js';
import type { FixContext } from '../rules/rule.js';
import { describeDenyingRule, endpointRanges } from './describe.js';
import type { DeniedFlow } from './flow.js';

/**
 * Tags that select the cluster's nodes: GKE's own node tag when the cluster is known, else the
 * denying rule's node-looking target tags, else a placeholder the operator must fill in.
 */
export function nodeTargetTags(flow: DeniedFlow, context: FixContext): string[] {
  if (context.model.nodeTags.length > 0) return [context.model.nodeTags[0]!];
  const fromRule = flow.rule?.targetTags.filter((tag) => /^gke-.+-node$/.test(tag)) ?? [];
  return fromRule.length > 0 ? fromRule : [PLACEHOLDER_NODE_TAG];
}

export interface AllowFix {
  /** Words that make the proposed rule's name, after the network name. */
  nameParts: (string | number)[];
  ports: number[];
  description: string;
  /** Ranges on the far side; defaults to the far endpoint's range. */
  ranges?: string[];
  /** Instances to open; defaults to the cluster's nodes. */
  targetTags?: string[];
  summary: string;
}

/**
 * Proposes the allow rule that lets this denied flow through: same direction, the far side's
 * range, the flow's protocol and ports, on the cluster's nodes, at a priority that beats the deny.
 */
export function allowRuleFix(flow: DeniedFlow, context: FixContext, fix: AllowFix): Remediation {
  const ingress = flow.direction === 'INGRESS';
  const ranges = fix.ranges ?? endpointRanges(ingress ? flow.src : flow.dst);
  const network = flow.network ?? context.model.network;
  const proposal: FirewallProposal = {
    name: gcpResourceName(network ?? 'kf', 'allow', ...fix.nameParts),
    direction: flow.direction,
    priority: priorityAbove(flow.rule?.priority),
    protocol: flow.protocol,
    ports: fix.ports,
    targetTags: fix.targetTags ?? nodeTargetTags(flow, context),
    description: fix.description,
  };
  if (network) proposal.network = network;
  if (flow.project) proposal.project = flow.project;
  if (ingress) proposal.sourceRanges = ranges;
  else proposal.destinationRanges = ranges;
  return {
    summary: `${fix.summary} It must have a smaller priority number than ${describeDenyingRule(flow)}.`,
    gcloud: renderGcloud(proposal),
    manifest: renderManifest(proposal),
  };
}

export function portsOf(flow: DeniedFlow): number[] {
  return flow.dstPort === undefined ? [] : [flow.dstPort];
}
