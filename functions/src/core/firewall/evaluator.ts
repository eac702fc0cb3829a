import type { Cidr } from '../net/cidr.js';
import { addressSet, everyAddress, type AddressSet, type Family } from '../net/address-set.js';
import { intersect, isEmpty, normalize, subtract, type IntervalSet } from '../net/intervals.js';
import type { Direction } from '../diagnosis/flow.js';
import { ALL_PORTS, type FirewallRule, type PortRange } from './rule.js';
import { buildStack, IMPLIED_ALLOW_EGRESS, IMPLIED_DENY_INGRESS, type FirewallStack } from './stack.js';

/** One side of the traffic being judged: a range of addresses, and what instance they belong to. */
export interface TrafficEnd {
  range: Cidr;
  /** Network tags and service accounts of the instance, when the addresses are a VM's. */
  tags: readonly string[];
  serviceAccounts: readonly string[];
  /** Secure tags (tagValues/N) of the instance; absent when unknown, which policy rules on them are judged both ways for. */
  secureTags?: readonly string[];
  /** Source tags and service accounts match only a VM's primary address, not alias ranges (pods). */
  primaryAddress: boolean;
  /** Whether these addresses are instances in the network (targets only ever match instances). */
  instance: boolean;
}

export interface Traffic {
  direction: Direction;
  protocol: string;
  ports: PortRange;
  source: TrafficEnd;
  destination: TrafficEnd;
}

export type PortSet = IntervalSet<number>;

/** A box of the traffic's space: source addresses × destination addresses × ports. */
export interface Piece {
  source: AddressSet;
  destination: AddressSet;
  ports: PortSet;
}

/** The rule that decides one piece, and the `goto_next` or inspection rules it passed on the way. */
export interface Decision {
  piece: Piece;
  rule: FirewallRule;
  allowed: boolean;
  via: FirewallRule[];
}

/** How the stack judges a flow: exactly which pieces are blocked, and by which rule. */
export interface Judgement {
  decisions: Decision[];
  /** Blocked whatever kfguard assumes about the matches it cannot resolve. */
  blocked: Decision[];
  /** Blocked only under one assumption about a rule kfguard cannot resolve (secure tags, FQDNs, address groups...). */
  possiblyBlocked: Decision[];
  /** The rules whose match kfguard could not resolve that touched this traffic. */
  uncertain: FirewallRule[];
  allowed: boolean;
}

/** The verdict on a flow as one answer: the rule that decides it (the first blocking rule, if any blocks). */
export interface Verdict {
  allowed: boolean;
  rule: FirewallRule;
}

interface RuleMatch {
  source: AddressSet;
  destination: AddressSet;
  ports: PortSet;
  uncertain: boolean;
}

const EVERY_PORT: PortSet = [{ lo: ALL_PORTS.from, hi: ALL_PORTS.to }];
const intersects = (a: readonly string[], b: readonly string[]): boolean => a.some((item) => b.includes(item));

function pieceIsEmpty(piece: Piece): boolean {
  return isEmpty(piece.source) || isEmpty(piece.destination) || isEmpty(piece.ports);
}

function intersectPiece(piece: Piece, match: Omit<RuleMatch, 'uncertain'>): Piece | undefined {
  const result = { source: intersect(piece.source, match.source), destination: intersect(piece.destination, match.destination), ports: intersect(piece.ports, match.ports) };
  return pieceIsEmpty(result) ? undefined : result;
}

/** What of `piece` lies outside `match`: at most three boxes. */
function subtractPiece(piece: Piece, match: Omit<RuleMatch, 'uncertain'>): Piece[] {
  const sourceIn = intersect(piece.source, match.source);
  const destinationIn = intersect(piece.destination, match.destination);
  const rest: Piece[] = [
    { source: subtract(piece.source, match.source), destination: piece.destination, ports: piece.ports },
    { source: sourceIn, destination: subtract(piece.destination, match.destination), ports: piece.ports },
    { source: sourceIn, destination: destinationIn, ports: subtract(piece.ports, match.ports) },
  ];
  return rest.filter((box) => !pieceIsEmpty(box));
}

/** The ports of the traffic's protocol a rule matches; undefined when it does not match the protocol. */
function rulePorts(rule: FirewallRule, protocol: string): PortSet | undefined {
  const specs = rule.protocols.filter((spec) => spec.protocol === 'all' || spec.protocol === protocol);
  if (specs.length === 0) return undefined;
  if (specs.some((spec) => spec.ports.length === 0)) return EVERY_PORT;
  return normalize(specs.flatMap((spec) => spec.ports.map((range) => ({ lo: range.from, hi: range.to }))));
}

type Tri = 'yes' | 'no' | 'unknown';

/** Whether the rule's targets select the instance the rule is evaluated on. */
function targetMatch(rule: FirewallRule, instance: TrafficEnd): Tri {
  const { targetTags, targetServiceAccounts, targetSecureTags } = rule;
  if (targetTags.length === 0 && targetServiceAccounts.length === 0 && targetSecureTags.length === 0) return 'yes';
  if (!instance.instance) return 'no';
  if (intersects(targetTags, instance.tags) || intersects(targetServiceAccounts, instance.serviceAccounts)) return 'yes';
  if (targetSecureTags.length === 0) return 'no';
  if (!instance.secureTags) return 'unknown';
  return intersects(targetSecureTags, instance.secureTags) ? 'yes' : 'no';
}

interface SideMatch {
  set: AddressSet;
  /** Part of the side kfguard cannot resolve: under the "matches" assumption it takes in everything. */
  uncertain: boolean;
}

/** The source side a rule matches: its ranges, plus everything when the source instance carries its source tags. */
function sourceMatch(rule: FirewallRule, end: TrafficEnd, family: Family): SideMatch {
  const byIdentity = rule.sourceTags.length > 0 || rule.sourceServiceAccounts.length > 0 || rule.sourceSecureTags.length > 0;
  if (rule.sourceRanges.length === 0 && !byIdentity && rule.opaqueSources.length === 0) return { set: everyAddress(family), uncertain: false };
  const ranges = addressSet(rule.sourceRanges, family);
  if (end.primaryAddress && (intersects(rule.sourceTags, end.tags) || intersects(rule.sourceServiceAccounts, end.serviceAccounts))) return { set: everyAddress(family), uncertain: false };
  if (end.primaryAddress && end.secureTags && intersects(rule.sourceSecureTags, end.secureTags)) return { set: everyAddress(family), uncertain: false };
  const unknownTags = rule.sourceSecureTags.length > 0 && end.secureTags === undefined && end.primaryAddress;
  return { set: ranges, uncertain: unknownTags || rule.opaqueSources.length > 0 };
}

function destinationMatch(rule: FirewallRule, family: Family): SideMatch {
  if (rule.destinationRanges.length === 0 && rule.opaqueDestinations.length === 0) return { set: everyAddress(family), uncertain: false };
  return { set: addressSet(rule.destinationRanges, family), uncertain: rule.opaqueDestinations.length > 0 };
}

/**
 * The part of the traffic's space a rule matches. Where a match depends on something kfguard
 * cannot resolve, `assumeMatch` decides: true takes the unknown part to cover everything, false
 * to cover nothing.
 */
function ruleMatch(rule: FirewallRule, traffic: Traffic, family: Family, assumeMatch: boolean): RuleMatch | undefined {
  if (rule.direction !== traffic.direction) return undefined;
  const ports = rulePorts(rule, traffic.protocol);
  if (!ports) return undefined;
  const instance = traffic.direction === 'INGRESS' ? traffic.destination : traffic.source;
  const target = targetMatch(rule, instance);
  if (target === 'no' || (target === 'unknown' && !assumeMatch)) return undefined;
  const source = sourceMatch(rule, traffic.source, family);
  const destination = destinationMatch(rule, family);
  const widen = (side: SideMatch): AddressSet => (side.uncertain && assumeMatch ? everyAddress(family) : side.set);
  return { source: widen(source), destination: widen(destination), ports, uncertain: target === 'unknown' || source.uncertain || destination.uncertain };
}

function wholePiece(traffic: Traffic, family: Family): Piece {
  const ports = traffic.protocol === 'tcp' || traffic.protocol === 'udp' || traffic.protocol === 'sctp' ? [{ lo: traffic.ports.from, hi: traffic.ports.to }] : EVERY_PORT;
  return { source: addressSet([traffic.source.range], family), destination: addressSet([traffic.destination.range], family), ports };
}

interface PendingPiece {
  piece: Piece;
  via: FirewallRule[];
}

/**
 * Cloud NGFW semantics over ranges. Each layer of the stack (hierarchical policies, VPC rules,
 * network policies, implied rules, in the network's order) tries its rules in priority order;
 * each piece of the traffic is decided by the first rule that matches it. `allow` and `deny` end
 * evaluation, `goto_next` passes the piece to the next layer, `apply_security_profile_group` lets
 * it through to inspection. A flow is blocked exactly where some piece is denied.
 */
export class FirewallEvaluator {
  readonly stack: FirewallStack;

  constructor(stackOrRules: FirewallStack | readonly FirewallRule[]) {
    this.stack = Array.isArray(stackOrRules) ? buildStack({ rules: stackOrRules as readonly FirewallRule[], policiesKnown: false }) : (stackOrRules as FirewallStack);
  }

  judge(traffic: Traffic): Judgement {
    const uncertain = new Set<FirewallRule>();
    const decisions = this.decide(traffic, false, uncertain);
    if (uncertain.size === 0) {
      const blocked = decisions.filter((decision) => !decision.allowed);
      return { decisions, blocked, possiblyBlocked: [], uncertain: [], allowed: blocked.length === 0 };
    }
    const assumingMatch = this.decide(traffic, true, new Set());
    const blockedA = decisions.filter((decision) => !decision.allowed);
    const blockedB = assumingMatch.filter((decision) => !decision.allowed);
    const blocked = blockedA.flatMap((a) => blockedB.flatMap((b) => {
      const piece = intersectPiece(a.piece, b.piece);
      return piece ? [{ ...a, piece }] : [];
    }));
    const possiblyBlocked = [...blockedA, ...blockedB].flatMap((decision) => remainder(decision, blocked));
    return { decisions, blocked, possiblyBlocked, uncertain: [...uncertain], allowed: blocked.length === 0 };
  }

  /** The whole flow's answer: allowed when no piece is certainly blocked; the rule is the first blocking one, else the first deciding one. */
  evaluate(traffic: Traffic): Verdict {
    const judgement = this.judge(traffic);
    const deciding = judgement.blocked[0] ?? judgement.decisions[0];
    return { allowed: judgement.allowed, rule: deciding?.rule ?? (traffic.direction === 'INGRESS' ? IMPLIED_DENY_INGRESS : IMPLIED_ALLOW_EGRESS) };
  }

  private decide(traffic: Traffic, assumeMatch: boolean, uncertain: Set<FirewallRule>): Decision[] {
    const family = traffic.source.range.family;
    const decisions: Decision[] = [];
    let pending: PendingPiece[] = [{ piece: wholePiece(traffic, family), via: [] }];
    for (const layer of this.stack.layers) {
      const passed: PendingPiece[] = [];
      for (const rule of layer.rules) {
        if (pending.length === 0) break;
        const match = ruleMatch(rule, traffic, family, assumeMatch);
        if (!match) continue;
        const rest: PendingPiece[] = [];
        for (const { piece, via } of pending) {
          const matched = intersectPiece(piece, match);
          if (!matched) {
            rest.push({ piece, via });
            continue;
          }
          if (match.uncertain) uncertain.add(rule);
          if (rule.action === 'goto_next') passed.push({ piece: matched, via: [...via, rule] });
          else decisions.push({ piece: matched, rule, allowed: rule.action !== 'deny', via });
          for (const outside of subtractPiece(piece, match)) rest.push({ piece: outside, via });
        }
        pending = rest;
      }
      pending = [...pending, ...passed];
      if (pending.length === 0) break;
    }
    return decisions;
  }
}

/** What of a decision's piece is not in any of the given decisions' pieces. */
function remainder(decision: Decision, taken: readonly Decision[]): Decision[] {
  let pieces = [decision.piece];
  for (const other of taken) pieces = pieces.flatMap((piece) => subtractPiece(piece, other.piece));
  return pieces.map((piece) => ({ ...decision, piece }));
}

export function portRange(port: number | undefined): PortRange {
  return port === undefined ? ALL_PORTS : { from: port, to: port };
}
