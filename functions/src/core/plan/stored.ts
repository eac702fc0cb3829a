import { externalEnd, firewallContext, firewallView, type FirewallContext } from '../check/context.js';
import { clusterFirewalls } from '../check/firewall-stack.js';
import type { FlowSummary } from '../findings/finding.js';
import type { TrafficEnd } from '../firewall/evaluator.js';
import { tryParseCidr, type Cidr } from '../net/cidr.js';
import { runChecks } from '../check/run.js';
import type { NetworkConfig } from '../config/specs.js';
import { groupCauses } from '../findings/causes.js';
import type { ClusterModel } from '../model/cluster.js';
import { storedFindingsDocument, type StoredFinding } from '../pipeline/finding-record.js';
import { sourceOf } from '../report/findings-report.js';
import { withPlanApplied } from './apply.js';
import { buildPlan, type Plan } from './plan.js';
import { provePlan } from './prove.js';

const logged = (rule: string): boolean => ['firewall-log', 'kubernetes-log'].includes(sourceOf(rule));

/** A side of a logged finding's flow as ranges: its CIDRs, or the cluster's ranges its class names; undefined when it is neither. */
function sideRanges(text: string, model: ClusterModel): Cidr[] | undefined {
  const byClass: Record<string, readonly Cidr[]> = { node: model.nodeCidrs, pod: model.podCidrs, service: model.serviceCidrs };
  const ranges: Cidr[] = [];
  for (const part of text.split(',')) {
    const known = tryParseCidr(part) ?? byClass[part];
    if (!known || (Array.isArray(known) && known.length === 0)) return undefined;
    ranges.push(...(Array.isArray(known) ? known : [known as Cidr]));
  }
  return ranges;
}

/**
 * Whether the rules let a logged finding's flow through: its sides as ranges, the cluster's side
 * as its nodes (tags and service accounts) and the far side as outside addresses. Undefined when
 * a side is a class with no range (the internet, Google's public addresses).
 */
function flowAllowed(flow: FlowSummary, context: FirewallContext, model: ClusterModel): boolean | undefined {
  const ingress = flow.direction === 'INGRESS';
  const near = sideRanges(ingress ? flow.destination : flow.source, model);
  const far = sideRanges(ingress ? flow.source : flow.destination, model);
  const ports = flow.ports.filter((port): port is number => typeof port === 'number');
  if (!near || !far || ports.length === 0) return undefined;
  const member = (range: Cidr): TrafficEnd => ({ range, tags: context.nodeTags, serviceAccounts: context.nodeServiceAccounts, primaryAddress: !model.podCidrs.some((pods) => pods.text === range.text), instance: true });
  return near.every((nearRange) =>
    far.every((farRange) =>
      ports.every((port) => {
        const ends = ingress ? { source: externalEnd(farRange), destination: member(nearRange) } : { source: member(nearRange), destination: externalEnd(farRange) };
        return context.evaluator.judge({ direction: flow.direction, protocol: flow.protocol, ports: { from: port, to: port }, ...ends }).allowed;
      }),
    ),
  );
}

/**
 * A registered cluster's plan: its open findings (from logs and sweeps alike) planned against its
 * live network, and proved by checking that network again with the plan applied. Logged entries
 * are not kept, so a logged finding is judged again by its flow (its sides as ranges) or, when a
 * side has no range, by its cause's configuration findings; one with neither keeps the plan
 * unverified.
 */
export function planForStoredFindings(stored: readonly StoredFinding[], config: NetworkConfig, model: ClusterModel): Plan {
  const { findings } = storedFindingsDocument(stored);
  const { causeOf } = groupCauses(findings, sourceOf);
  const caused = findings.map((finding) => ({ ...finding, cause: causeOf.get(finding.id)! }));
  const open = caused.filter((finding) => finding.status === 'open');
  const plan = buildPlan({ findings: open, sourceOf, stack: clusterFirewalls(config, model).stack });
  const applied = withPlanApplied(config, plan.changes, 'the plan').config;
  const rechecked = runChecks(applied, { clusters: [model] }).findings;
  const withPlan = firewallContext(firewallView(applied, model).view, model);
  const still = new Set(rechecked.map((finding) => finding.id));
  const configured = (cause: string) => caused.filter((finding) => finding.cause === cause && !logged(finding.rule));
  // A logged finding is fixed when the rules with the plan let its flow through, or when its cause's configuration findings are all gone.
  const fixed = (finding: (typeof open)[number]): boolean | undefined => {
    const allowed = finding.flow ? flowAllowed(finding.flow, withPlan, model) : undefined;
    if (allowed !== undefined) return allowed;
    return configured(finding.cause).length > 0 ? configured(finding.cause).every((member) => !still.has(member.id)) : undefined;
  };
  const loggedOpen = open.filter((finding) => logged(finding.rule));
  const unjudged = loggedOpen.filter((finding) => fixed(finding) === undefined);
  const proved = provePlan(plan, caused, [...rechecked, ...loggedOpen.filter((finding) => fixed(finding) !== true)]);
  if (unjudged.length === 0) return proved;
  return { ...proved, notes: [...proved.notes, `${unjudged.length} logged finding${unjudged.length === 1 ? '' : 's'} (${unjudged.map((finding) => finding.id.slice(0, 8)).join(', ')}) could not be judged again: ${unjudged.length === 1 ? 'its flow reaches' : 'their flows reach'} addresses kfguard has no range for, and no configuration finding of the same cause was there to check: run kfguard plan on the exported logs.`] };
}
