import { stringify } from 'yaml';
import { cidrsOverlap, isRfc1918Range, type Cidr } from '../net/cidr.js';
import { checkObservation } from '../check/observation.js';
import { shellArg } from '../firewall/proposal.js';
import type { FirewallRule } from '../firewall/rule.js';
import type { CheckRule } from './check-rule.js';

const CONTROL_PLANE_PREFIX = 28;

/** The side of a rule that names the control plane: sources for ingress, destinations for egress. */
function farRanges(rule: FirewallRule): Cidr[] {
  return rule.direction === 'INGRESS' ? rule.sourceRanges : rule.destinationRanges;
}

export const masterCidrMismatch: CheckRule = {
  id: 'master-cidr-mismatch',
  title: "A control-plane firewall rule uses another range than the cluster's",
  severity: 'error',
  source: 'configuration',
  requires: ['firewalls', 'clusters'],
  why:
    "The blueprint's master-egress, istio and cert-manager rules name the control-plane /28 literally and ask you to keep it \"in sync\" with the cluster's masterIpv4CidrBlock by hand. When the cluster uses another /28, those rules open nothing useful: nodes cannot reach the API server and webhooks time out, while the rules look right at a glance.",
  remediation: "Set the rule's range to the cluster's masterIpv4CidrBlock (better: drive both from one kpt setter).",
  check(context) {
    const master = context.cluster?.masterCidr;
    if (!master) return [];
    const clusterRanges = [...(context.cluster?.nodeCidrs ?? []), ...(context.cluster?.podCidrs ?? []), ...(context.cluster?.serviceCidrs ?? [])];
    return context.firewalls
      .filter((rule) => rule.origin !== 'gke')
      .flatMap((rule) => {
        const stale = farRanges(rule).filter(
          (range) => range.family === 4 && range.prefix === CONTROL_PLANE_PREFIX && isRfc1918Range(range) && range.text !== master.text && !clusterRanges.some((own) => cidrsOverlap(own, range)),
        );
        if (stale.length === 0) return [];
        const field = rule.direction === 'INGRESS' ? 'source' : 'destination';
        const fixed = farRanges(rule).map((range) => (stale.includes(range) ? master.text : range.text));
        return [
          checkObservation(masterCidrMismatch, {
            key: [context.cluster?.name, rule.name],
            flow: { direction: rule.direction, protocol: rule.protocols[0]?.protocol ?? 'all', source: rule.direction === 'INGRESS' ? stale[0]!.text : 'nodes', destination: rule.direction === 'INGRESS' ? 'nodes' : stale[0]!.text, ports: [] },
            firewallRule: rule.name,
            resources: [`firewall:${rule.name}`],
            explanation: `Firewall rule ${rule.name} names ${stale.map((r) => r.text).join(', ')} as its ${field} range, but the control plane of ${context.cluster?.name ?? 'the cluster'} is ${master.text}: the rule does not reach it.`,
            remediation: {
              summary: `Change ${rule.name}'s ${field} ranges to include ${master.text} instead of ${stale.map((r) => r.text).join(', ')}.`,
              gcloud: `gcloud compute firewall-rules update ${shellArg(rule.name)} --${field}-ranges=${fixed.join(',')}`,
              manifest: stringify({ spec: { [`${field}Ranges`]: fixed } }),
            },
          }),
        ];
      });
  },
};
