import { proposeFix, type Blocker, type Opening } from '../firewall/fix.js';
import { PLACEHOLDER_NODE_TAG, PLACEHOLDER_RANGES, singlePorts } from '../firewall/proposal.js';
import { describeRule, type PolicyRef } from '../firewall/rule.js';
import { networkProjectOf, resolveServiceAccounts } from '../model/cluster.js';
import type { DenialFix, FixContext } from '../rules/rule.js';
import { classRanges, describeDenyingRule, namedByClass } from './describe.js';
import type { DeniedFlow, Endpoint, EndpointClass } from './flow.js';
import { classTraffic, liveBlock } from './live-fix.js';
import type { RequiredFlowName } from '../check/required-flows.js';

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
  /**
   * What `check` calls this traffic (a required flow's name, `webhook`), for rules whose traffic
   * it judges too: against a swept cluster's live rules the fix is then `check`'s own, so a cause
   * seen in the logs and by the sweep gets one proposed rule.
   */
  label?: RequiredFlowName | 'webhook';
}

/** The rule the fix must win over: the one in force when the rules were given, else the one the entry names. */
export function blockerOf(flow: DeniedFlow): Blocker {
  const rule = flow.rule;
  if (!rule) return { layer: 'vpc-firewall' };
  if (rule.inForce) return { layer: rule.inForce.layer, priority: rule.inForce.priority, rule: rule.inForce, description: describeRule(rule.inForce), ...(rule.inForce.policy ? { policy: rule.inForce.policy } : {}) };
  const blocker: Blocker = { layer: rule.layer, description: describeDenyingRule(flow) };
  if (rule.priority !== undefined) blocker.priority = rule.priority;
  if (rule.policy) {
    const policy: PolicyRef = { name: rule.policy, kind: rule.layer === 'hierarchical-policy' ? 'hierarchical' : 'network' };
    if (flow.project && rule.layer !== 'hierarchical-policy') policy.project = flow.project;
    blocker.policy = policy;
  }
  return blocker;
}

/**
 * Proposes the rule that lets this kind of denied flow through and nothing more: same direction,
 * the far side's class range, the flow's protocol and port, on the cluster's nodes, placed at the
 * layer that denied it (and proved against the rules in force when they were given). Against a
 * swept cluster's live rules, traffic `check` judges gets `check`'s fix.
 */
export function allowRuleFix(flow: DeniedFlow, context: FixContext, fix: AllowFix): DenialFix {
  const deciding = flow.rule?.inForce;
  if (context.live && deciding && fix.label) {
    const block = liveBlock(context.live, classTraffic(flow, context.live), fix.label, fix.summary, deciding);
    if (block) return { remediation: block.fix() };
  }
  const ingress = flow.direction === 'INGRESS';
  const network = flow.network ?? context.model.network;
  const project = networkProjectOf(context.model) ?? flow.project;
  const opening: Opening = {
    direction: flow.direction,
    allow: [{ protocol: flow.protocol, ports: singlePorts(...portsOf(flow)) }],
    farRanges: farRanges(ingress ? flow.src : flow.dst, ingress),
    targetTags: fix.targetTags ?? nodeTargetTags(flow, context),
    targetServiceAccounts: resolveServiceAccounts(context.model.nodeServiceAccounts ?? [], context.model.projectNumber),
    description: fix.description,
    nameParts: [...fix.nameParts, ...portsOf(flow)],
  };
  if (network) opening.network = network;
  if (project) opening.project = project;
  const proposed = proposeFix(opening, blockerOf(flow), fix.summary, context.proof);
  return { remediation: proposed?.remediation ?? { summary: `${fix.summary} The deciding rule is in a Google-managed system policy, which cannot be changed.`, gcloud: null, manifest: null, layer: flow.rule?.layer ?? 'vpc-firewall' } };
}

export function portsOf(flow: DeniedFlow): number[] {
  return flow.dstPort === undefined ? [] : [flow.dstPort];
}
