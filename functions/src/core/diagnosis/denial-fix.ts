import {
  gcpResourceName,
  PLACEHOLDER_NODE_TAG,
  priorityAbove,
  renderGcloud,
  renderManifest,
  type FirewallProposal,
} from '../firewall/proposal.js';
import type { DenialFix, FixContext } from '../rules/rule.js';
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
  description: string;
  /** Instances to open; defaults to the cluster's nodes. */
  targetTags?: string[];
  summary: string;
}

/**
 * Proposes the allow rule that lets this denied flow through and nothing more: same direction,
 * the far side's class range, the flow's protocol and port, on the cluster's nodes, at a priority
 * that beats the deny.
 */
export function allowRuleFix(flow: DeniedFlow, context: FixContext, fix: AllowFix): DenialFix {
  const ingress = flow.direction === 'INGRESS';
  const ranges = endpointRanges(ingress ? flow.src : flow.dst);
  const network = flow.network ?? context.model.network;
  const proposal: FirewallProposal = {
    name: gcpResourceName(network ?? 'kf', 'allow', ...fix.nameParts, ...portsOf(flow)),
    direction: flow.direction,
    priority: priorityAbove(flow.rule?.priority),
    protocol: flow.protocol,
    ports: portsOf(flow),
    targetTags: fix.targetTags ?? nodeTargetTags(flow, context),
    description: fix.description,
  };
  if (network) proposal.network = network;
  if (flow.project) proposal.project = flow.project;
  if (ingress) proposal.sourceRanges = ranges;
  else proposal.destinationRanges = ranges;
  return {
    remediation: {
      summary: `${fix.summary} It must have a smaller priority number than ${describeDenyingRule(flow)}.`,
      gcloud: renderGcloud(proposal),
      manifest: renderManifest(proposal),
    },
    proposal,
  };
}

export function portsOf(flow: DeniedFlow): number[] {
  return flow.dstPort === undefined ? [] : [flow.dstPort];
}
