import { parseCidr } from '../net/cidr.js';
import { subtract, intersect, isEmpty } from '../net/intervals.js';
import { FirewallEvaluator, type Decision, type Piece, type Traffic, type TrafficEnd } from './evaluator.js';
import { firewallRuleDefaults, type FirewallRule } from './rule.js';
import type { FirewallStack } from './stack.js';
import type { FirewallProposal } from './proposal.js';

export function proposalToRule(proposal: FirewallProposal): FirewallRule {
  const rule: FirewallRule = {
    ...firewallRuleDefaults(proposal.name, proposal.direction, 'allow', 'proposal'),
    priority: proposal.priority,
    protocols: proposal.allow.map(({ protocol, ports }) => ({ protocol, ports })),
    sourceRanges: (proposal.sourceRanges ?? []).map(parseCidr),
    destinationRanges: (proposal.destinationRanges ?? []).map(parseCidr),
    targetTags: proposal.targetTags,
    logging: true,
  };
  if (proposal.network) rule.network = proposal.network;
  if (proposal.project) rule.project = proposal.project;
  return rule;
}

export interface FixProof {
  /** With the fix in the stack, every blocked piece of the flows passes. */
  letsThrough: boolean;
  /** The fix opens nothing, on the instances known, that was not blocked and needed. */
  opensOnlyWhatIsNeeded: boolean;
  /** When some piece is still blocked: the rule that blocks it with the fix in place. */
  stillBlockedBy?: FirewallRule;
}

/** Whether every point of a piece lies in one of the covering pieces. */
export const pieceWithin = (piece: Piece, cover: readonly Piece[]): boolean => {
  let rest: Piece[] = [piece];
  for (const box of cover) {
    rest = rest.flatMap((part) => {
      const source = intersect(part.source, box.source);
      const destination = intersect(part.destination, box.destination);
      const ports = intersect(part.ports, box.ports);
      if (isEmpty(source) || isEmpty(destination) || isEmpty(ports)) return [part];
      return [
        { source: subtract(part.source, box.source), destination: part.destination, ports: part.ports },
        { source, destination: subtract(part.destination, box.destination), ports: part.ports },
        { source, destination, ports: subtract(part.ports, box.ports) },
      ].filter((candidate) => !isEmpty(candidate.source) && !isEmpty(candidate.destination) && !isEmpty(candidate.ports));
    });
    if (rest.length === 0) return true;
  }
  return rest.length === 0;
};

const evaluators = new WeakMap<FirewallStack, FirewallEvaluator>();

/** One evaluator per stack: every fix proved against it shares its indexes. */
function evaluatorOf(stack: FirewallStack): FirewallEvaluator {
  let evaluator = evaluators.get(stack);
  if (!evaluator) {
    evaluator = new FirewallEvaluator(stack);
    evaluators.set(stack, evaluator);
  }
  return evaluator;
}

const blockedCache = new WeakMap<FirewallStack, WeakMap<readonly Traffic[], Piece[]>>();

/** What the stack blocks of the flows: the same for every fix proved against one stack and one set of needs. */
function blockedPieces(stack: FirewallStack, flows: readonly Traffic[]): Piece[] {
  const byFlows = blockedCache.get(stack) ?? new WeakMap<readonly Traffic[], Piece[]>();
  blockedCache.set(stack, byFlows);
  let pieces = byFlows.get(flows);
  if (!pieces) {
    const evaluator = evaluatorOf(stack);
    pieces = flows.flatMap((flow) => evaluator.judge(flow).blocked.map((decision) => decision.piece));
    byFlows.set(flows, pieces);
  }
  return pieces;
}

/** A flow and the pieces of it a fix is for (all of it when absent). */
export interface FixTarget {
  traffic: Traffic;
  pieces?: readonly Piece[];
}

const overlap = (a: Piece, b: Piece): boolean =>
  !isEmpty(intersect(a.source, b.source)) && !isEmpty(intersect(a.destination, b.destination)) && !isEmpty(intersect(a.ports, b.ports));

/** The traffic a rule can decide on the instances known: its far ranges to (or from) each near end, on each of its protocols. */
function spaceOf(rule: FirewallRule, nearEnds: readonly TrafficEnd[]): Traffic[] {
  const far = rule.direction === 'INGRESS' ? rule.sourceRanges : rule.destinationRanges;
  const external = (range: (typeof far)[number]): TrafficEnd => ({ range, tags: [], serviceAccounts: [], primaryAddress: false, instance: false });
  return far.flatMap((range) =>
    nearEnds.flatMap((near) =>
      rule.protocols.flatMap((spec) =>
        (spec.ports.length > 0 ? spec.ports : [{ from: 0, to: 65535 }]).map((ports): Traffic =>
          rule.direction === 'INGRESS'
            ? { direction: 'INGRESS', protocol: spec.protocol, ports, source: external(range), destination: near }
            : { direction: 'EGRESS', protocol: spec.protocol, ports, source: near, destination: external(range) },
        ),
      ),
    ),
  );
}

const newlyAllowed = (before: Decision[], after: Decision[]): Piece[] =>
  after.filter((decision) => decision.allowed).flatMap((allowed) => before.filter((decision) => !decision.allowed).flatMap((blocked) => {
    const source = intersect(allowed.piece.source, blocked.piece.source);
    const destination = intersect(allowed.piece.destination, blocked.piece.destination);
    const ports = intersect(allowed.piece.ports, blocked.piece.ports);
    return isEmpty(source) || isEmpty(destination) || isEmpty(ports) ? [] : [{ source, destination, ports }];
  }));

/**
 * Proves a fix against the whole stack: with it added, the pieces of each target it is for must pass;
 * and on the instances known (`nearEnds`), what it newly allows must lie within the pieces that
 * `needed` (the flows the cluster requires) had blocked, so that it opens nothing else.
 */
export function proveFix(stack: FirewallStack, fix: FirewallRule, targets: readonly FixTarget[], nearEnds: readonly TrafficEnd[], needed: readonly Traffic[] = targets.map((target) => target.traffic)): FixProof {
  const before = evaluatorOf(stack);
  const after = before.plus([fix]);
  const remaining = targets.flatMap(({ traffic, pieces }) => after.judge(traffic).blocked.filter((decision) => !pieces || pieces.some((piece) => overlap(piece, decision.piece))));
  const proof: FixProof = { letsThrough: remaining.length === 0, opensOnlyWhatIsNeeded: false };
  if (remaining[0]) proof.stillBlockedBy = remaining[0].rule;
  const allowedToOpen = blockedPieces(stack, needed);
  const opened = spaceOf(fix, nearEnds).flatMap((traffic) => newlyAllowed(before.judge(traffic).decisions, after.judge(traffic).decisions));
  proof.opensOnlyWhatIsNeeded = opened.every((piece) => pieceWithin(piece, allowedToOpen));
  return proof;
}

