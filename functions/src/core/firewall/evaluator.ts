import type { Cidr } from '../net/cidr.js';
import { addressSet, everyAddress, type AddressSet, type Family } from '../net/address-set.js';
import { intersect, isEmpty, normalize, subtract, type IntervalSet, type Point } from '../net/intervals.js';
import type { Direction } from '../diagnosis/flow.js';
import { ALL_PORTS, type FirewallRule, type PortRange } from './rule.js';
import { buildStack, compareVpcRules, homeLayer, IMPLIED_ALLOW_EGRESS, IMPLIED_DENY_INGRESS, withRules, type FirewallStack, type StackLayer } from './stack.js';

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

/** The part of a piece a match covers; dimensions are tried one by one, so a miss costs one intersection. */
function intersectPiece(piece: Piece, match: Omit<RuleMatch, 'uncertain'>): Piece | undefined {
  const ports = intersect(piece.ports, match.ports);
  if (isEmpty(ports)) return undefined;
  const source = intersect(piece.source, match.source);
  if (isEmpty(source)) return undefined;
  const destination = intersect(piece.destination, match.destination);
  return isEmpty(destination) ? undefined : { source, destination, ports };
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

/** What a rule matches, worked out once per rule: evaluation asks it for every piece of every flow. */
interface CompiledRule {
  /** Set when the rule matches every protocol on every port. */
  everyProtocol: boolean;
  /** The ports it matches, by protocol; a protocol not listed is not matched. */
  ports: Map<string, PortSet>;
  /** Its source and destination ranges as sets, by family, built when first asked for. */
  sources: Partial<Record<Family, AddressSet>>;
  destinations: Partial<Record<Family, AddressSet>>;
  /** Whether anything of its match is beyond kfguard (secure tags, FQDNs, address groups...). */
  mayBeUncertain: boolean;
}

function compileRule(rule: FirewallRule): CompiledRule {
  let everyProtocol = false;
  const ranges = new Map<string, { lo: number; hi: number }[] | null>();
  for (const spec of rule.protocols) {
    if (spec.protocol === 'all') everyProtocol = true;
    // No ports on a protocol means all of its ports (null), which no list can narrow again.
    else if (spec.ports.length === 0) ranges.set(spec.protocol, null);
    else if (ranges.get(spec.protocol) !== null) ranges.set(spec.protocol, [...(ranges.get(spec.protocol) ?? []), ...spec.ports.map((range) => ({ lo: range.from, hi: range.to }))]);
  }
  const ports = new Map([...ranges].map(([protocol, list]) => [protocol, list ? normalize(list) : EVERY_PORT]));
  const mayBeUncertain = rule.targetSecureTags.length > 0 || rule.sourceSecureTags.length > 0 || rule.opaqueSources.length > 0 || rule.opaqueDestinations.length > 0;
  return { everyProtocol, ports, sources: {}, destinations: {}, mayBeUncertain };
}

function cachedSet(cache: Partial<Record<Family, AddressSet>>, ranges: FirewallRule['sourceRanges'], family: Family): AddressSet {
  return (cache[family] ??= addressSet(ranges, family));
}

/** The ports of the traffic's protocol a rule matches; undefined when it does not match the protocol. */
function rulePorts({ everyProtocol, ports }: CompiledRule, protocol: string): PortSet | undefined {
  return everyProtocol ? EVERY_PORT : ports.get(protocol);
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

/** The source addresses a rule matches for sure: its ranges, or everything when the source instance carries its source tags. */
function sourceSet(rule: FirewallRule, compiledRule: CompiledRule, end: TrafficEnd, family: Family): AddressSet {
  const byIdentity = rule.sourceTags.length > 0 || rule.sourceServiceAccounts.length > 0 || rule.sourceSecureTags.length > 0;
  if (rule.sourceRanges.length === 0 && !byIdentity && rule.opaqueSources.length === 0) return everyAddress(family);
  if (end.primaryAddress && (intersects(rule.sourceTags, end.tags) || intersects(rule.sourceServiceAccounts, end.serviceAccounts))) return everyAddress(family);
  if (end.primaryAddress && end.secureTags && intersects(rule.sourceSecureTags, end.secureTags)) return everyAddress(family);
  return cachedSet(compiledRule.sources, rule.sourceRanges, family);
}

/** Whether part of the source side is beyond kfguard: secure tags it does not know the source carries, FQDNs, address groups... */
function sourceUncertain(rule: FirewallRule, end: TrafficEnd): boolean {
  return rule.opaqueSources.length > 0 || (rule.sourceSecureTags.length > 0 && end.secureTags === undefined && end.primaryAddress);
}

function destinationSet(rule: FirewallRule, compiledRule: CompiledRule, family: Family): AddressSet {
  if (rule.destinationRanges.length === 0 && rule.opaqueDestinations.length === 0) return everyAddress(family);
  return cachedSet(compiledRule.destinations, rule.destinationRanges, family);
}

/**
 * The part of the traffic's space a rule matches, or undefined when it cannot touch what is
 * still undecided (`bounds`). Where a match depends on something kfguard cannot resolve,
 * `assumeMatch` decides: true takes the unknown part to cover everything, false to cover nothing.
 */
function ruleMatch(rule: FirewallRule, compiledRule: CompiledRule, traffic: Traffic, family: Family, assumeMatch: boolean, bounds?: Bounds): RuleMatch | undefined {
  if (rule.direction !== traffic.direction) return undefined;
  const ports = rulePorts(compiledRule, traffic.protocol);
  if (!ports || (bounds && !spans(ports, bounds.ports))) return undefined;
  const instance = traffic.direction === 'INGRESS' ? traffic.destination : traffic.source;
  const target = targetMatch(rule, instance);
  if (target === 'no' || (target === 'unknown' && !assumeMatch)) return undefined;
  const uncertainSource = compiledRule.mayBeUncertain && sourceUncertain(rule, traffic.source);
  const uncertainDestination = rule.opaqueDestinations.length > 0;
  const source = uncertainSource && assumeMatch ? everyAddress(family) : sourceSet(rule, compiledRule, traffic.source, family);
  if (bounds && !spans(source, bounds.source)) return undefined;
  const destination = uncertainDestination && assumeMatch ? everyAddress(family) : destinationSet(rule, compiledRule, family);
  if (bounds && !spans(destination, bounds.destination)) return undefined;
  return { source, destination, ports, uncertain: target === 'unknown' || uncertainSource || uncertainDestination };
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
  /** Rules evaluated as if they were in the stack, by layer: what a proof adds, without copying thousands of rules. */
  private readonly extras: Map<number, FirewallRule[]>;
  private readonly compiledExtras: Map<FirewallRule, CompiledRule>;
  private readonly judged = new WeakMap<Traffic, Judgement>();

  constructor(stackOrRules: FirewallStack | readonly FirewallRule[], extras = new Map<number, FirewallRule[]>()) {
    this.stack = Array.isArray(stackOrRules) ? buildStack({ rules: stackOrRules as readonly FirewallRule[], policiesKnown: false }) : (stackOrRules as FirewallStack);
    this.extras = extras;
    this.compiledExtras = new Map([...extras.values()].flat().map((rule) => [rule, compileRule(rule)]));
  }

  /** This stack with more rules, each in its layer, sharing what was worked out for the rest. */
  plus(rules: readonly FirewallRule[]): FirewallEvaluator {
    const extras = new Map([...this.extras].map(([layer, added]) => [layer, [...added]]));
    for (const rule of rules) {
      const index = homeLayer(this.stack, rule);
      if (index < 0) return new FirewallEvaluator(withRules(this.stack, rules));
      const added = [...(extras.get(index) ?? []), rule].sort(orderIn(this.stack.layers[index]!));
      extras.set(index, added);
    }
    return new FirewallEvaluator(this.stack, extras);
  }

  judge(traffic: Traffic): Judgement {
    // Checks and proofs ask about the same flows more than once; a judgement depends on nothing else.
    const known = this.judged.get(traffic);
    if (known) return known;
    const judgement = this.judgeAfresh(traffic);
    this.judged.set(traffic, judgement);
    return judgement;
  }

  private judgeAfresh(traffic: Traffic): Judgement {
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
    let bounds = boundsOf(pending);
    /** Decides the part of what is pending that one rule matches. */
    const apply = (rule: FirewallRule, compiledRule: CompiledRule, passed: PendingPiece[]): void => {
      if (!assumeMatch && compiledRule.mayBeUncertain) noteUncertain(rule, compiledRule, traffic, family, pending, uncertain);
      const match = ruleMatch(rule, compiledRule, traffic, family, assumeMatch, bounds);
      if (!match) return;
      const rest: PendingPiece[] = [];
      let touched = false;
      for (const { piece, via } of pending) {
        const matched = intersectPiece(piece, match);
        if (!matched) {
          rest.push({ piece, via });
          continue;
        }
        touched = true;
        if (rule.action === 'goto_next') passed.push({ piece: matched, via: [...via, rule] });
        else decisions.push({ piece: matched, rule, allowed: rule.action !== 'deny', via });
        for (const outside of subtractPiece(piece, match)) rest.push({ piece: outside, via });
      }
      if (!touched) return;
      pending = rest;
      bounds = boundsOf(pending);
    };
    this.stack.layers.forEach((layer, layerIndex) => {
      if (!bounds) return;
      const passed: PendingPiece[] = [];
      const { rules, compiled, spans } = rulesFor(layer, traffic.direction, traffic.protocol);
      const extras = (this.extras.get(layerIndex) ?? []).filter((rule) => rule.direction === traffic.direction);
      const order = orderIn(this.stack.layers[layerIndex]!);
      let extra = 0;
      const applyExtra = (): void => {
        const rule = extras[extra++]!;
        apply(rule, this.compiledExtras.get(rule)!, passed);
      };
      for (let index = 0; index < rules.length; index++) {
        if (!bounds) break;
        const rule = rules[index]!;
        while (extra < extras.length && bounds && order(extras[extra]!, rule) <= 0) applyExtra();
        if (!bounds) break;
        // The spans rule out most rules with a few comparisons, before any set is built.
        const at = index * SPAN_WIDTH;
        if (spans[at + 4]! > bounds.ports[1] || spans[at + 5]! < bounds.ports[0]) continue;
        if (family === 4 && (spans[at]! > (bounds.source[1] as number) || spans[at + 1]! < (bounds.source[0] as number) || spans[at + 2]! > (bounds.destination[1] as number) || spans[at + 3]! < (bounds.destination[0] as number))) continue;
        apply(rule, compiled[index]!, passed);
      }
      while (extra < extras.length && bounds) applyExtra();
      pending = [...pending, ...passed];
      bounds = boundsOf(pending);
    });
    return decisions;
  }
}

/** Rules at the same priority in a VPC layer: deny first; in a policy, priorities are unique. */
function orderIn(layer: StackLayer): (a: FirewallRule, b: FirewallRule) => number {
  return layer.layer === 'vpc-firewall' ? compareVpcRules : (a, b) => a.priority - b.priority;
}

/**
 * A layer's rules that can match one direction and protocol, each with what it matches worked out
 * and its spans: IPv4 source lo, hi, destination lo, hi, then port lo, hi.
 */
interface IndexedRules {
  rules: FirewallRule[];
  compiled: CompiledRule[];
  spans: Float64Array;
}

/**
 * What is worked out for a layer, kept as long as the layer: its compiled rules, by position in
 * `layer.rules` (keying ten thousand rule objects in a map costs more than compiling them all
 * once), and its indexes by direction and protocol.
 */
interface LayerIndex {
  compiled: CompiledRule[];
  byKind: Map<string, IndexedRules>;
}

const SPAN_WIDTH = 6;
const V4_ALL: [number, number] = [0, 0xffffffff];

/** Writes the IPv4 span a side can match at `at`: everything when tags, secure tags or unresolvable fields may widen it. */
function writeV4Span(spans: Float64Array, at: number, ranges: FirewallRule['sourceRanges'], open: boolean): void {
  let lo = V4_ALL[1];
  let hi = V4_ALL[0];
  if (open || ranges.length === 0) [lo, hi] = V4_ALL;
  else {
    for (const range of ranges) {
      if (range.family !== 4) continue;
      if (range.first < lo) lo = range.first;
      if (range.last > hi) hi = range.last;
    }
  }
  // A side of IPv6 ranges only leaves lo above hi: an empty span no IPv4 traffic meets.
  spans[at] = lo;
  spans[at + 1] = hi;
}

function indexRules(layer: StackLayer, index: LayerIndex, direction: Direction, protocol: string): IndexedRules {
  const rules: FirewallRule[] = [];
  const compiled: CompiledRule[] = [];
  const ports: PortSet[] = [];
  for (let position = 0; position < layer.rules.length; position++) {
    const rule = layer.rules[position]!;
    if (rule.direction !== direction) continue;
    const compiledRule = index.compiled[position]!;
    const matched = rulePorts(compiledRule, protocol);
    if (!matched) continue;
    rules.push(rule);
    compiled.push(compiledRule);
    ports.push(matched);
  }
  const spans = new Float64Array(rules.length * SPAN_WIDTH);
  rules.forEach((rule, at) => {
    const offset = at * SPAN_WIDTH;
    writeV4Span(spans, offset, rule.sourceRanges, rule.sourceTags.length > 0 || rule.sourceServiceAccounts.length > 0 || rule.sourceSecureTags.length > 0 || rule.opaqueSources.length > 0);
    writeV4Span(spans, offset + 2, rule.destinationRanges, rule.opaqueDestinations.length > 0);
    spans[offset + 4] = ports[at]![0]!.lo;
    spans[offset + 5] = ports[at]![ports[at]!.length - 1]!.hi;
  });
  return { rules, compiled, spans };
}

const indexes = new WeakMap<StackLayer, LayerIndex>();

/** The layer's rules for a direction and protocol, indexed the first time they are asked for. */
function rulesFor(layer: StackLayer, direction: Direction, protocol: string): IndexedRules {
  let index = indexes.get(layer);
  if (!index) {
    index = { compiled: layer.rules.map(compileRule), byKind: new Map() };
    indexes.set(layer, index);
  }
  const key = `${direction} ${protocol}`;
  let indexed = index.byKind.get(key);
  if (!indexed) {
    indexed = indexRules(layer, index, direction, protocol);
    index.byKind.set(key, indexed);
  }
  return indexed;
}

/** The smallest box around what is still undecided: a rule outside it cannot match, whatever its pieces. */
interface Bounds {
  source: [Point, Point];
  destination: [Point, Point];
  ports: [number, number];
}

function boundsOf(pending: readonly PendingPiece[]): Bounds | undefined {
  if (pending.length === 0) return undefined;
  const span = <T extends Point>(sets: readonly IntervalSet<T>[]): [T, T] => {
    let lo = sets[0]![0]!.lo;
    let hi = sets[0]![sets[0]!.length - 1]!.hi;
    for (const set of sets) {
      if (set[0]!.lo < lo) lo = set[0]!.lo;
      if (set[set.length - 1]!.hi > hi) hi = set[set.length - 1]!.hi;
    }
    return [lo, hi];
  };
  return { source: span(pending.map((entry) => entry.piece.source)), destination: span(pending.map((entry) => entry.piece.destination)), ports: span(pending.map((entry) => entry.piece.ports)) };
}

/** Whether a set has a point in [lo, hi]: a binary search, no allocation (most rules are turned away here). */
function spans(set: IntervalSet<Point>, [lo, hi]: [Point, Point]): boolean {
  let low = 0;
  let high = set.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (set[middle]!.hi < lo) low = middle + 1;
    else high = middle;
  }
  return low < set.length && set[low]!.lo <= hi;
}

/**
 * Records a rule whose match kfguard cannot resolve when, were it to match, it would touch what is
 * still undecided: then the flow is judged a second time, assuming it does.
 */
function noteUncertain(rule: FirewallRule, compiledRule: CompiledRule, traffic: Traffic, family: Family, pending: readonly PendingPiece[], uncertain: Set<FirewallRule>): void {
  const widest = ruleMatch(rule, compiledRule, traffic, family, true);
  if (widest?.uncertain && pending.some(({ piece }) => intersectPiece(piece, widest))) uncertain.add(rule);
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
