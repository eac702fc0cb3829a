import type { Traffic } from '../firewall/evaluator.js';
import { gcpResourceName, priorityAbove, renderGcloud, renderManifest, type FirewallProposal } from '../firewall/proposal.js';
import type { FirewallRule } from '../firewall/rule.js';
import { verifyProposal } from '../firewall/verify.js';
import type { Remediation } from '../findings/finding.js';
import type { CheckContext } from './context.js';

/**
 * The allow rule that opens exactly this traffic on the cluster's nodes, above the rule that
 * blocks it, proved with the evaluator before it is proposed.
 */
export function allowTrafficFix(context: CheckContext, traffic: Traffic, ports: number[], blocking: FirewallRule, label: string, summary: string): Remediation {
  const ingress = traffic.direction === 'INGRESS';
  const far = ingress ? traffic.source : traffic.destination;
  const network = context.network ?? blocking.network;
  const proposal: FirewallProposal = {
    name: gcpResourceName(network ?? 'kf', 'allow', label, traffic.protocol, ...ports),
    direction: traffic.direction,
    priority: priorityAbove(blocking.priority),
    protocol: traffic.protocol,
    ports,
    targetTags: context.ends.nodes.tags.slice(0, 1),
    description: `kfguard: ${label}`,
  };
  if (network) proposal.network = network;
  if (context.cluster?.project) proposal.project = context.cluster.project;
  if (ingress) proposal.sourceRanges = [far.range.text];
  else proposal.destinationRanges = [far.range.text];
  const probes = ports.length > 0 ? ports.map((port) => ({ ...traffic, ports: { from: port, to: port } })) : [traffic];
  const verified = probes.every((probe) => {
    const check = verifyProposal(context.firewalls, proposal, probe);
    return check.letsThrough && check.minimal;
  });
  const caveat = verified
    ? ' kfguard checked that this rule lets the traffic through and opens nothing more.'
    : ` kfguard could not prove this rule wins over ${blocking.name} (priority ${blocking.priority}); change that rule instead.`;
  return { summary: `${summary}${caveat}`, gcloud: renderGcloud(proposal), manifest: renderManifest(proposal) };
}
