import { cidrContainsIp } from '../net/cidr.js';
import type { Remediation } from '../findings/finding.js';
import { externalEnd, type FirewallContext } from '../check/context.js';
import type { BlockedPiece } from '../check/firewall-fix.js';
import { piecesFix, requiredFlows } from '../check/required-flows.js';
import { portRange, type Traffic, type TrafficEnd } from '../firewall/evaluator.js';
import type { FirewallRule } from '../firewall/rule.js';
import { classRanges } from './describe.js';
import type { DeniedFlow, Endpoint } from './flow.js';

/** What blocks some traffic in a cluster's live rules, and the fix `check` proposes for it. */
export interface LiveBlock {
  rule: FirewallRule;
  pieces: BlockedPiece[];
  /** Built when asked: proving it against the stack is the costly part. */
  fix(): Remediation;
}

const isMember = (endpoint: Endpoint): boolean => endpoint.cls === 'node' || endpoint.cls === 'pod';

/** An end of a denied flow as the checks see its class: the cluster's members with their tags, the control plane's end, or the class's ranges. */
function classEnds(endpoint: Endpoint, isSource: boolean, live: FirewallContext): TrafficEnd[] {
  if (isMember(endpoint)) return (endpoint.cls === 'node' ? live.ends.nodes : live.ends.pods).filter((end) => cidrContainsIp(end.range, endpoint.ip));
  if (endpoint.cls === 'control-plane') {
    const end = isSource ? live.ends.master : live.ends.controlPlane;
    return end ? [end] : [];
  }
  return classRanges(endpoint).map(externalEnd);
}

/**
 * The denied connection widened to what its finding stands for, as `check` would probe it: the
 * far side's class to the near side's class (the cluster's nodes or pods), on the flow's port.
 * Empty when either class has no ranges kfguard knows (the internet), or the near side is no member.
 */
export function classTraffic(flow: DeniedFlow, live: FirewallContext): Traffic[] {
  const near = flow.direction === 'INGRESS' ? flow.dst : flow.src;
  if (!isMember(near)) return [];
  const sources = classEnds(flow.src, true, live);
  const destinations = classEnds(flow.dst, false, live);
  return sources.flatMap((source) => destinations.map((destination): Traffic => ({ direction: flow.direction, protocol: flow.protocol, ports: portRange(flow.dstPort), source, destination })));
}

/**
 * Judges traffic against the live rules and, where `deciding` (else the first blocking rule)
 * blocks it, builds the fix exactly as `check` does, so the same traffic gets the same proposed
 * rule from a log entry as from the sweep.
 */
export function liveBlock(live: FirewallContext, traffic: readonly Traffic[], label: string, summary: string, deciding?: FirewallRule): LiveBlock | undefined {
  // Its own notes: the cached context serves every entry, and what one judgement notes belongs to none of them.
  const context: FirewallContext = { ...live, notes: [] };
  const blocked = traffic.flatMap((each) => context.evaluator.judge(each).blocked.map((decision): BlockedPiece => ({ traffic: each, decision })));
  const rule = deciding ?? blocked[0]?.decision.rule;
  const pieces = blocked.filter((piece) => piece.decision.rule === rule);
  if (!rule || pieces.length === 0) return undefined;
  return {
    rule,
    pieces,
    fix: () => {
      const required = requiredFlows(context);
      return piecesFix(context, required, pieces, rule, label, summary, [...required.probes.map((probe) => probe.traffic), ...traffic]);
    },
  };
}
