import {
  namedProposal,
  PLACEHOLDER_NODE_TAG,
  PLACEHOLDER_RANGES,
  priorityAbove,
  renderGcloud,
  renderManifest,
  type ProposalBody,
} from '../firewall/proposal.js';
import type { DenialFix, FixContext } from '../rules/rule.js';
import { classRanges, describeDenyingRule, namedByClass } from './describe.js';
import type { DeniedFlow, Endpoint, EndpointClass } from './flow.js';

/**
 * Tags that select the cluster's nodes: GKE's own node tag when the cluster is known, else the
 * denying rule's node-looking target tags, else a placeholder the operator must fill in.
 */
export function nodeTargetTags(flow: DeniedFlow, context: FixContext): string[] {
  if (context.model.nodeTags.length > 0) return [context.model.nodeTags[0]!];
  const fromRule = flow.rule?.targetTags.filter((tag) => /^gke-.+-node$/.test(tag)) ?? [];
  return fromRule.length > 0 ? fromRule : [PLACEHOLDER_NODE_TAG];
}

const CLASS_PLACEHOLDERS: Partial<Record<EndpointClass, string>> = {
  node: PLACEHOLDER_RANGES.node,
  pod: PLACEHOLDER_RANGES.pod,
  service: PLACEHOLDER_RANGES.service,
};

/**
 * The far side of a fix, from its class: the class's ranges, or a placeholder where the finding
 * stands for a class without one kfguard knows (the internet: which of its addresses to open is
 * the operator's call).
 */
export function farRanges(far: Endpoint, ingress: boolean): string[] {
  if (!namedByClass(far)) return classRanges(far).map((range) => range.text);
  return [CLASS_PLACEHOLDERS[far.cls] ?? (ingress ? PLACEHOLDER_RANGES.source : PLACEHOLDER_RANGES.destination)];
}

/** What a fix opens on the far side, in words: its ranges, or the placeholder to fill in. */
export function describeFarRanges(flow: DeniedFlow): string {
  const ingress = flow.direction === 'INGRESS';
  const far = ingress ? flow.src : flow.dst;
  const ranges = farRanges(far, ingress).join(',');
  return namedByClass(far) ? `${ranges} (fill in the addresses to allow; resources lists those seen)` : ranges;
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
 * Proposes the allow rule that lets this kind of denied flow through and nothing more: same
 * direction, the far side's class range, the flow's protocol and port, on the cluster's nodes, at
 * a priority that beats the deny.
 */
export function allowRuleFix(flow: DeniedFlow, context: FixContext, fix: AllowFix): DenialFix {
  const ingress = flow.direction === 'INGRESS';
  const ranges = farRanges(ingress ? flow.src : flow.dst, ingress);
  const network = flow.network ?? context.model.network;
  const body: ProposalBody = {
    direction: flow.direction,
    priority: priorityAbove(flow.rule?.priority),
    allow: [{ protocol: flow.protocol, ports: portsOf(flow) }],
    targetTags: fix.targetTags ?? nodeTargetTags(flow, context),
    description: fix.description,
  };
  if (network) body.network = network;
  if (flow.project) body.project = flow.project;
  if (ingress) body.sourceRanges = ranges;
  else body.destinationRanges = ranges;
  const proposal = namedProposal([...fix.nameParts, ...portsOf(flow)], body);
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
