import { stringify } from 'yaml';
import { cidrsOverlap, isRfc1918Range, type Cidr } from '../net/cidr.js';
import { checkObservation } from '../check/observation.js';
import type { CheckContext } from '../check/context.js';
import { shellArg } from '../firewall/proposal.js';
import type { FirewallRule } from '../firewall/rule.js';
import type { CheckRule } from './check-rule.js';

const CONTROL_PLANE_PREFIX = 28;

/** The side of a rule that names the control plane: sources for ingress, destinations for egress. */
function farRanges(rule: FirewallRule): Cidr[] {
  return rule.direction === 'INGRESS' ? rule.sourceRanges : rule.destinationRanges;
}

/** Whether the rule selects this cluster's nodes by tag or service account; false for a rule on every instance. */
function targetsClusterNodes(rule: FirewallRule, context: CheckContext): boolean {
  return rule.targetTags.some((tag) => context.nodeTags.includes(tag)) || rule.targetServiceAccounts.some((account) => context.nodeServiceAccounts.includes(account));
}

const appliesToEveryInstance = (rule: FirewallRule): boolean => rule.targetTags.length === 0 && rule.targetServiceAccounts.length === 0;

/** The control-plane ranges of every cluster the inputs hold: another cluster's /28 is never stale. */
function knownControlPlanes(context: CheckContext): Cidr[] {
  return context.config.clusters.flatMap((cluster) => (cluster.model.masterCidr ? [cluster.model.masterCidr] : []));
}

export const masterCidrMismatch: CheckRule = {
  id: 'master-cidr-mismatch',
  title: "A control-plane firewall rule uses another range than the cluster's",
  severity: 'error',
  source: 'configuration',
  requires: ['firewalls', 'clusters'],
  why:
    "The blueprint's master-egress, istio and cert-manager rules name the control-plane /28 literally and ask you to keep it \"in sync\" with the cluster's masterIpv4CidrBlock by hand. When the cluster uses another /28, those rules open nothing useful: nodes cannot reach the API server and webhooks time out, while the rules look right at a glance.",
  remediation: "Set the rule's range to the cluster's masterIpv4CidrBlock (better: drive both from one kpt setter). A rule shared by every instance of the network gets the cluster's range added, so another cluster it serves keeps working.",
  check(context) {
    const master = context.cluster?.masterCidr;
    if (!master) return [];
    const clusterRanges = [...(context.cluster?.nodeCidrs ?? []), ...(context.cluster?.podCidrs ?? []), ...(context.cluster?.serviceCidrs ?? [])];
    const others = knownControlPlanes(context);
    // GKE keeps its own rules (this cluster's and every other's) in step with their clusters.
    const candidates = context.firewalls.filter((rule) => !rule.managedByGke && !rule.policy && (targetsClusterNodes(rule, context) || appliesToEveryInstance(rule)));
    return candidates.flatMap((rule) => {
      const stale = farRanges(rule).filter(
        (range) => range.family === 4 && range.prefix === CONTROL_PLANE_PREFIX && isRfc1918Range(range) && range.text !== master.text && !clusterRanges.some((own) => cidrsOverlap(own, range)) && !others.some((other) => other.text === range.text),
      );
      if (stale.length === 0) return [];
      const field = rule.direction === 'INGRESS' ? 'source' : 'destination';
      const shared = !targetsClusterNodes(rule, context);
      const kept = farRanges(rule).map((range) => range.text).filter((text) => shared || !stale.some((range) => range.text === text));
      const fixed = [...new Set([...kept, master.text])];
      const staleText = stale.map((r) => r.text).join(', ');
      const clusterName = context.cluster?.name ?? 'the cluster';
      const project = context.networkProject ? ` --project=${shellArg(context.networkProject)}` : '';
      return [
        checkObservation(masterCidrMismatch, {
          key: [context.cluster?.name, rule.name],
          flow: { direction: rule.direction, protocol: rule.protocols[0]?.protocol ?? 'all', source: rule.direction === 'INGRESS' ? stale[0]!.text : 'nodes', destination: rule.direction === 'INGRESS' ? 'nodes' : stale[0]!.text, ports: [] },
          firewallRule: rule.name,
          firewallLayer: rule.layer,
          resources: [`firewall:${rule.name}`],
          explanation: `Firewall rule ${rule.name} names ${staleText} as its ${field} range, but the control plane of ${clusterName} is ${master.text}: the rule does not reach it.`,
          remediation: {
            summary: shared
              ? `Add ${master.text} to ${rule.name}'s ${field} ranges. The rule applies to every instance of the network, so ${staleText} is kept in case another cluster's control plane uses it; remove it once you know none does.`
              : `Change ${rule.name}'s ${field} ranges to ${master.text} instead of ${staleText}: the rule targets ${clusterName}'s nodes.`,
            gcloud: `gcloud compute firewall-rules update ${shellArg(rule.name)}${project} --${field}-ranges=${fixed.join(',')}`,
            manifest: stringify({ spec: { [`${field}Ranges`]: fixed } }),
            layer: 'vpc-firewall',
          },
        }),
      ];
    });
  },
};
