import { stringify } from 'yaml';
import { ANYWHERE_V4 } from '../net/well-known.js';
import { setToCidrs } from '../net/address-set.js';
import { normalize } from '../net/intervals.js';
import { checkObservation } from '../check/observation.js';
import { externalEnd, type CheckContext } from '../check/context.js';
import { networkName } from '../check/network.js';
import { FirewallEvaluator, type Decision, type Traffic, type TrafficEnd } from '../firewall/evaluator.js';
import { pieceWithin } from '../firewall/verify.js';
import { gcpResourceName, PLACEHOLDER_PROJECT, shellArg } from '../firewall/proposal.js';
import { firewallRuleDefaults, type FirewallRule } from '../firewall/rule.js';
import { withRules } from '../firewall/stack.js';
import type { CheckRule } from './check-rule.js';

/** The catch-all goes no lower than 65534: at 65535 it would tie with the implied rules, whose order among equals GCP does not document. */
const CATCH_ALL_PRIORITY = 65534;
const PROTOCOLS = ['tcp', 'udp', 'icmp'];

/**
 * A VPC deny of everything, on every instance: nothing gets past the VPC rules, so nothing reaches
 * the implied rule (judging all of 0.0.0.0/0 against thousands of rules would only say so slowly).
 */
function hasVpcCatchAll(context: CheckContext): boolean {
  const vpc = context.stack.layers.find((layer) => layer.layer === 'vpc-firewall');
  return (vpc?.rules ?? []).some(
    (rule) =>
      rule.direction === 'INGRESS' &&
      rule.action === 'deny' &&
      rule.protocols.some((spec) => spec.protocol === 'all') &&
      rule.targetTags.length === 0 &&
      rule.targetServiceAccounts.length === 0 &&
      rule.sourceRanges.some((range) => range.family === 4 && range.prefix === 0) &&
      rule.destinationRanges.length === 0,
  );
}

/** Every ingress connection to the instances checked: the cluster's nodes, or any instance of the network. */
function everyIngress(context: CheckContext): Traffic[] {
  const instances: TrafficEnd[] = context.ends.nodes.length > 0 ? context.ends.nodes : [{ ...externalEnd(ANYWHERE_V4), instance: true }];
  return instances.flatMap((instance) => PROTOCOLS.map((protocol): Traffic => ({ direction: 'INGRESS', protocol, ports: { from: 0, to: 65535 }, source: externalEnd(ANYWHERE_V4), destination: instance })));
}

/**
 * The catch-all must come after every VPC allow rule, so that it drops only what nothing allows.
 * Allow rules at its priority (GCP's default-allow-* rules sit at 65534) move one step up first:
 * at equal priority a deny wins.
 */
function catchAllPlan(context: CheckContext): { priority: number; moved: FirewallRule[] } {
  const allows = context.stack.layers.find((layer) => layer.layer === 'vpc-firewall')?.rules.filter((rule) => rule.action === 'allow') ?? [];
  const highest = Math.max(-1, ...allows.map((rule) => rule.priority));
  if (highest < CATCH_ALL_PRIORITY) return { priority: Math.max(highest + 1, CATCH_ALL_PRIORITY), moved: [] };
  return { priority: CATCH_ALL_PRIORITY, moved: allows.filter((rule) => rule.priority >= CATCH_ALL_PRIORITY).map((rule) => ({ ...rule, priority: CATCH_ALL_PRIORITY - 1 })) };
}

function loggedCatchAll(context: CheckContext, priority: number): FirewallRule {
  const rule: FirewallRule = {
    ...firewallRuleDefaults(gcpResourceName(networkName(context), 'deny-all', 'ingress', 'logged'), 'INGRESS', 'deny', 'proposal'),
    priority,
    protocols: [{ protocol: 'all', ports: [] }],
    sourceRanges: [ANYWHERE_V4],
    logging: true,
  };
  if (context.network) rule.network = context.network;
  return rule;
}

/**
 * Whether the change is safe: after it, every piece keeps its verdict (allowed stays allowed,
 * denied stays denied), and the logged deny decides only what the implied rule decided before.
 */
function changesOnlyTheTrace(context: CheckContext, rule: FirewallRule, moved: readonly FirewallRule[], flows: readonly Traffic[]): boolean {
  const movedNames = new Set(moved.map((each) => each.name));
  const stack = { ...context.stack, layers: context.stack.layers.map((layer) => ({ ...layer, rules: layer.rules.filter((each) => !movedNames.has(each.name)) })) };
  const after = new FirewallEvaluator(withRules(stack, [...moved, rule]));
  return flows.every((flow) => {
    const before = context.evaluator.judge(flow).decisions;
    const pieces = (keep: (decision: Decision) => boolean) => before.filter(keep).map((decision) => decision.piece);
    const allowed = pieces((decision) => decision.allowed);
    const denied = pieces((decision) => !decision.allowed);
    const implied = pieces((decision) => decision.rule.layer === 'implied');
    return after.judge(flow).decisions.every((decision) => pieceWithin(decision.piece, decision.rule === rule ? implied : decision.allowed ? allowed : denied));
  });
}

export const noLoggedCatchAllDeny: CheckRule = {
  id: 'no-logged-catch-all-deny',
  title: 'Dropped traffic leaves no trace',
  severity: 'warning',
  source: 'configuration',
  requires: ['firewalls'],
  why:
    "GCP's implied rules (deny all ingress, allow all egress, priority 65535) never log. Ingress that no rule of any layer decides falls through to the implied deny and is dropped without a DENIED entry, so nothing reaches the log sink or `kfguard analyze`. A logged deny-all after every allow rule catches it.",
  remediation: 'Add a logged ingress deny-all after every VPC allow rule (the blueprint uses priority 65534), so that what nothing allows is dropped with a trace.',
  check(context) {
    if (hasVpcCatchAll(context)) return [];
    const flows = everyIngress(context);
    const silent = flows.flatMap((flow) => context.evaluator.judge(flow).blocked.filter((decision) => decision.rule.layer === 'implied'));
    if (silent.length === 0) return [];
    const network = networkName(context);
    const sources = setToCidrs(normalize(silent.flatMap((decision) => decision.piece.source)), 4).map((cidr) => cidr.text);
    const sample = `${sources.slice(0, 4).join(', ')}${sources.length > 4 ? `, … (${sources.length} ranges)` : ''}`;
    const plan = catchAllPlan(context);
    const rule = loggedCatchAll(context, plan.priority);
    const safe = changesOnlyTheTrace(context, rule, plan.moved, flows);
    const project = shellArg(context.networkProject ?? PLACEHOLDER_PROJECT);
    const moves = plan.moved.map((each) => `gcloud compute firewall-rules update ${shellArg(each.name)} --project=${project} --priority=${each.priority}`);
    return [
      checkObservation(noLoggedCatchAllDeny, {
        key: [context.network, 'INGRESS'],
        flow: { direction: 'INGRESS', protocol: 'all', source: sample, destination: context.ends.nodes.map((end) => end.range.text).join(',') || 'all instances', ports: [] },
        firewallRule: 'implied-deny-ingress',
        firewallLayer: 'implied',
        resources: [`network:${network}`],
        explanation: `Ingress from ${sample} to ${context.cluster?.name ?? 'instances'} of ${network} is decided by no rule of any layer: it falls through to the implied deny-ingress rule, which never logs.`,
        remediation:
          safe
            ? {
                summary: `${plan.moved.length > 0 ? `Move ${plan.moved.map((each) => each.name).join(', ')} to priority ${CATCH_ALL_PRIORITY - 1}, then add` : 'Add'} logged deny-all rule ${rule.name} at priority ${rule.priority}, after every VPC allow rule: kfguard checked that it changes no decision but the implied rule's.`,
                gcloud: [...moves, `gcloud compute firewall-rules create ${shellArg(rule.name)} --project=${project} --network=${shellArg(network)} --direction=INGRESS --priority=${rule.priority} --action=DENY --rules=all --source-ranges=0.0.0.0/0 --enable-logging`].join('\n'),
                manifest: stringify({
                  apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
                  kind: 'ComputeFirewall',
                  metadata: { name: rule.name },
                  spec: { deny: [{ protocol: 'all' }], sourceRanges: ['0.0.0.0/0'], direction: 'INGRESS', priority: rule.priority, networkRef: { name: network }, enableLogging: true },
                }),
                layer: 'vpc-firewall',
                verified: true,
              }
            : {
                summary: `A logged deny-all after every VPC allow rule would change what some of them decide${plan.moved.length > 0 ? ` (${plan.moved.map((each) => each.name).join(', ')} would have to move to ${CATCH_ALL_PRIORITY - 1})` : ''}: reorder those rules first, then add one at priority ${CATCH_ALL_PRIORITY}.`,
                gcloud: null,
                manifest: null,
                layer: 'vpc-firewall',
                verified: false,
              },
      }),
    ];
  },
};
