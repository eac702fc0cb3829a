import { ANYWHERE_V4 } from '../net/well-known.js';
import { cidrContainsCidr } from '../net/cidr.js';
import { checkObservation } from '../check/observation.js';
import { networkName } from '../check/network.js';
import { gcpResourceName, PLACEHOLDER_PROJECT, shellArg } from '../firewall/proposal.js';
import { ALL_PORTS, rangeCovers, type FirewallRule } from '../firewall/rule.js';
import type { Direction } from '../diagnosis/flow.js';
import { stringify } from 'yaml';
import type { CheckRule } from './check-rule.js';

function coversEverything(rule: FirewallRule): boolean {
  const ranges = rule.direction === 'INGRESS' ? rule.sourceRanges : rule.destinationRanges;
  const everywhere = ranges.length === 0 ? rule.direction === 'EGRESS' || (rule.sourceTags.length === 0 && rule.sourceServiceAccounts.length === 0) : ranges.some((range) => cidrContainsCidr(range, ANYWHERE_V4));
  const allInstances = rule.targetTags.length === 0 && rule.targetServiceAccounts.length === 0;
  const tcpEverywhere = rule.protocols.some((spec) => (spec.protocol === 'all' || spec.protocol === 'tcp') && (spec.ports.length === 0 || spec.ports.some((range) => rangeCovers(range, { from: 1, to: ALL_PORTS.to }))));
  return everywhere && allInstances && tcpEverywhere;
}

export const noLoggedCatchAllDeny: CheckRule = {
  id: 'no-logged-catch-all-deny',
  title: 'Dropped traffic leaves no trace',
  severity: 'warning',
  source: 'configuration',
  requires: ['firewalls'],
  why:
    "GCP's implied rules (deny all ingress, allow all egress, priority 65535) never log. Unless a logged deny covering 0.0.0.0/0 sits at the bottom of the order, traffic that falls through to the implied deny is dropped without a DENIED entry, and the blueprint's deny-egress does not log by default. Ingress always needs one; egress needs one when it is denied by default.",
  remediation: 'Add a logged deny-all at priority 65534 for the direction (or enable logging on the existing deny-all).',
  check(context) {
    const rules = context.firewalls.filter((rule) => !rule.disabled && rule.origin !== 'implied');
    const missing: Direction[] = [];
    for (const direction of ['INGRESS', 'EGRESS'] as const) {
      const own = rules.filter((rule) => rule.direction === direction);
      const catchAlls = own.filter((rule) => rule.action === 'deny' && coversEverything(rule));
      // Egress is allowed by the implied rule: only a network that denies it by default needs the trace.
      if (direction === 'EGRESS' && catchAlls.length === 0) continue;
      const lowestAllow = Math.max(-1, ...own.filter((rule) => rule.action === 'allow').map((rule) => rule.priority));
      if (!catchAlls.some((rule) => rule.logging && rule.priority >= lowestAllow)) missing.push(direction);
    }
    return missing.map((direction) => {
      const name = gcpResourceName(networkName(context), 'deny-all', direction.toLowerCase(), 'logged');
      const range = direction === 'INGRESS' ? '--source-ranges=0.0.0.0/0' : '--destination-ranges=0.0.0.0/0';
      return checkObservation(noLoggedCatchAllDeny, {
        key: [context.network, direction],
        flow: { direction, protocol: 'all', source: direction === 'INGRESS' ? '0.0.0.0/0' : 'all instances', destination: direction === 'INGRESS' ? 'all instances' : '0.0.0.0/0', ports: [] },
        resources: [`network:${networkName(context)}`],
        explanation: `No logged deny covering 0.0.0.0/0 sits at the bottom of the ${direction} rules of ${networkName(context)}: traffic dropped there leaves no DENIED log entry.`,
        remediation: {
          summary: `Add a logged ${direction.toLowerCase()} deny-all at priority 65534, below every allow rule.`,
          gcloud: `gcloud compute firewall-rules create ${shellArg(name)} --project=${shellArg(context.cluster?.project ?? PLACEHOLDER_PROJECT)} --network=${shellArg(networkName(context))} --direction=${direction} --priority=65534 --action=DENY --rules=all ${range} --enable-logging`,
          manifest: stringify({
            apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
            kind: 'ComputeFirewall',
            metadata: { name },
            spec: { deny: [{ protocol: 'all' }], [direction === 'INGRESS' ? 'sourceRanges' : 'destinationRanges']: ['0.0.0.0/0'], direction, priority: 65534, networkRef: { name: networkName(context) }, enableLogging: true },
          }),
        },
      });
    });
  },
};
