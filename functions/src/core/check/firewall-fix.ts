import type { Traffic } from '../firewall/evaluator.js';
import { allowSpec, namedProposal, priorityAbove, renderGcloud, renderManifest, type AllowedProtocol, type ProposalBody } from '../firewall/proposal.js';
import type { FirewallRule } from '../firewall/rule.js';
import { verifyProposal } from '../firewall/verify.js';
import type { Remediation } from '../findings/finding.js';
import type { CheckContext } from './context.js';

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

const isSinglePort = (traffic: Traffic): boolean => traffic.ports.from === traffic.ports.to;

/** Each protocol of the flows with the single ports they need; a protocol any flow needs on every port allows them all. */
export function allowedProtocols(flows: readonly Traffic[]): AllowedProtocol[] {
  return unique(flows.map((flow) => flow.protocol)).map((protocol) => {
    const own = flows.filter((flow) => flow.protocol === protocol);
    return { protocol, ports: own.every(isSinglePort) ? unique(own.map((flow) => flow.ports.from)) : [] };
  });
}

/** The flows' far sides (the source for ingress, the destination for egress), each range once. */
function farRanges(flows: readonly Traffic[]): string[] {
  return unique(flows.map((flow) => (flow.direction === 'INGRESS' ? flow.source : flow.destination).range.text));
}

/** How protocols and ports read in a finding: `tcp:443,10250`, `tcp,udp (all ports)`. */
export function describeProtocols(allowed: readonly AllowedProtocol[]): string {
  return allowed.every((entry) => entry.ports.length === 0) ? `${allowed.map((entry) => entry.protocol).join(',')} (all ports)` : allowSpec(allowed);
}

/**
 * One allow rule that opens exactly these flows (all in one direction) on the cluster's nodes,
 * above the rule that blocks them: their far ranges, protocols and ports combined, proved with
 * the evaluator against every flow before it is proposed.
 */
export function allowTrafficFix(context: CheckContext, flows: readonly Traffic[], blocking: FirewallRule, label: string, summary: string): Remediation {
  const direction = flows[0]!.direction;
  const allow = allowedProtocols(flows);
  const network = context.network ?? blocking.network;
  const body: ProposalBody = { direction, priority: priorityAbove(blocking.priority), allow, targetTags: context.nodeTags.slice(0, 1), description: `kfguard: ${label}` };
  if (network) body.network = network;
  if (context.cluster?.project) body.project = context.cluster.project;
  if (direction === 'INGRESS') body.sourceRanges = farRanges(flows);
  else body.destinationRanges = farRanges(flows);
  const proposal = namedProposal([label, direction.toLowerCase(), ...allow.flatMap((entry) => [entry.protocol, ...entry.ports])], body);
  const proof = verifyProposal(context.firewalls, proposal, flows);
  const caveat =
    proof.letsThrough && proof.minimal
      ? ' kfguard checked that this rule lets the traffic through and opens nothing more.'
      : ` kfguard could not prove this rule wins over ${blocking.name} (priority ${blocking.priority}); change that rule instead.`;
  return { summary: `${summary}${caveat}`, gcloud: renderGcloud(proposal), manifest: renderManifest(proposal) };
}
