import { addressSet, setToCidrs, type AddressSet, type Family } from '../net/address-set.js';
import { normalize, sameSet, type Point } from '../net/intervals.js';
import type { FlowSummary, Remediation } from '../findings/finding.js';
import type { Decision, Judgement, PortSet, Traffic } from '../firewall/evaluator.js';
import { proposeFix, type Opening } from '../firewall/fix.js';
import type { AllowedProtocol } from '../firewall/proposal.js';
import { describeRule, type FirewallRule } from '../firewall/rule.js';
import { memberEnds, type FirewallContext } from './context.js';

/** A blocked piece with the flow it belongs to. */
export interface BlockedPiece {
  traffic: Traffic;
  decision: Decision;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * Judges a flow kfguard requires and says in the notes what the verdict rests on: rules whose
 * match kfguard cannot resolve (judged both ways: only what is blocked either way is reported),
 * and rules that let the flow through to inspection, where a security profile may still drop it.
 */
export function judgeRequired(context: FirewallContext, label: string, traffic: Traffic): Judgement {
  const judgement = context.evaluator.judge(traffic);
  const unresolved = judgement.uncertain.map((rule) => describeRule(rule)).join(', ');
  for (const decision of judgement.possiblyBlocked) {
    context.notes.push(`${label} may be blocked by ${describeRule(decision.rule)}, depending on ${unresolved}, whose match kfguard cannot resolve (secure tags, address groups, FQDNs, geolocations or threat lists): kfguard judged it both ways.`);
  }
  for (const decision of judgement.decisions.filter((entry) => entry.rule.action === 'apply_security_profile_group')) {
    context.notes.push(`${label} is handed to inspection by ${describeRule(decision.rule)}, an apply_security_profile_group rule: kfguard took it as allowed, but the security profile may still drop it.`);
  }
  return judgement;
}

function unionOf(sets: readonly AddressSet[]): AddressSet {
  return normalize(sets.flat());
}

const family = (pieces: readonly BlockedPiece[]) => pieces[0]!.traffic.source.range.family;

/** The far side of a piece: the source for ingress, the destination for egress. */
const farSide = (piece: BlockedPiece): AddressSet => (piece.traffic.direction === 'INGRESS' ? piece.decision.piece.source : piece.decision.piece.destination);
const nearSide = (piece: BlockedPiece): AddressSet => (piece.traffic.direction === 'INGRESS' ? piece.decision.piece.destination : piece.decision.piece.source);

/** The near side's ranges when they are only part of the cluster's instances (the pods, not the nodes): else none. */
function narrowerNear(context: FirewallContext, near: AddressSet, fam: Family): string[] | undefined {
  const members = addressSet(memberEnds(context).map((end) => end.range), fam);
  return sameSet(near, members) ? undefined : setToCidrs(near, fam).map((cidr) => cidr.text);
}

const portRanges = (ports: PortSet) => ports.map((interval) => ({ from: interval.lo, to: interval.hi }));

/** The ports of each protocol the pieces block: "1-1000" ranges, single ports as numbers. */
export function blockedProtocols(pieces: readonly BlockedPiece[]): AllowedProtocol[] {
  return unique(pieces.map((piece) => piece.traffic.protocol)).map((protocol) => ({
    protocol,
    ports: portRanges(normalize(pieces.filter((piece) => piece.traffic.protocol === protocol).flatMap((piece) => piece.decision.piece.ports))),
  }));
}

/** The blocked pieces as a finding's flow: exactly the sub-ranges, protocols and ports that are denied. */
export function blockedFlowSummary(name: string | undefined, pieces: readonly BlockedPiece[], classes?: Pick<FlowSummary, 'sourceClass' | 'destinationClass'>): FlowSummary {
  const fam = family(pieces);
  const source = setToCidrs(unionOf(pieces.map((piece) => piece.decision.piece.source)), fam).map((cidr) => cidr.text);
  const destination = setToCidrs(unionOf(pieces.map((piece) => piece.decision.piece.destination)), fam).map((cidr) => cidr.text);
  const protocols = blockedProtocols(pieces);
  const summary: FlowSummary = {
    direction: pieces[0]!.traffic.direction,
    protocol: protocols.map((entry) => entry.protocol).join(','),
    source: source.join(','),
    destination: destination.join(','),
    ports: unique(protocols.flatMap((entry) => entry.ports.map((range) => (range.from === range.to ? range.from : `${range.from}-${range.to}`)))),
    ...classes,
  };
  if (name) summary.name = name;
  return summary;
}

/** A box of blocked traffic on one protocol: far side × near side × ports, each a set. */
interface Box {
  protocol: string;
  far: AddressSet;
  near: AddressSet;
  ports: PortSet;
  pieces: BlockedPiece[];
}

/** Merges boxes that agree on every dimension but one: the union along that one is still exactly the boxes. */
function mergeAlong(boxes: readonly Box[], along: 'far' | 'near' | 'ports'): Box[] {
  const merged: Box[] = [];
  const others = (['far', 'near', 'ports'] as const).filter((dimension) => dimension !== along);
  for (const box of boxes) {
    const match = merged.find((candidate) => candidate.protocol === box.protocol && others.every((dimension) => sameSet<Point>(candidate[dimension], box[dimension])));
    if (!match) merged.push({ ...box, pieces: [...box.pieces] });
    else {
      match[along] = normalize<Point>([...match[along], ...box[along]]) as never;
      match.pieces.push(...box.pieces);
    }
  }
  return merged;
}

/** The fewest boxes that make up the pieces exactly: one rule opens each. */
function exactBoxes(pieces: readonly BlockedPiece[]): Box[] {
  const boxes = pieces.map((piece): Box => ({ protocol: piece.traffic.protocol, far: farSide(piece), near: nearSide(piece), ports: piece.decision.piece.ports, pieces: [piece] }));
  return mergeAlong(mergeAlong(mergeAlong(boxes, 'ports'), 'far'), 'near');
}

/** The traffic the cluster needs: what a proposed fix may open. */
export type NeededTraffic = readonly Traffic[];

/**
 * The fix for pieces one rule blocks: for each group of pieces with the same ports, an opening of
 * exactly their far ranges and ports on the cluster's nodes, placed at the layer that decides and
 * proved against the whole stack.
 */
export function blockedPiecesFix(context: FirewallContext, pieces: readonly BlockedPiece[], blocking: FirewallRule, label: string, summary: string, needed: NeededTraffic): Remediation {
  const fam = family(pieces);
  const blocker = { layer: blocking.layer, priority: blocking.priority, rule: blocking, description: describeRule(blocking), ...(blocking.policy ? { policy: blocking.policy } : {}) };
  const proposals = exactBoxes(pieces).map((box) => {
    const group = box.pieces;
    const near = narrowerNear(context, box.near, fam);
    const opening: Opening = {
      direction: group[0]!.traffic.direction,
      allow: [{ protocol: box.protocol, ports: portRanges(box.ports) }],
      farRanges: setToCidrs(box.far, fam).map((cidr) => cidr.text),
      ...(near ? { nearRanges: near } : {}),
      targetTags: context.fixTag ? [context.fixTag] : [],
      targetServiceAccounts: context.nodeServiceAccounts,
      description: `kfguard: ${label}`,
      nameParts: [label, group[0]!.traffic.direction.toLowerCase()],
    };
    if (context.network ?? blocking.network) opening.network = (context.network ?? blocking.network)!;
    if (context.networkProject) opening.project = context.networkProject;
    const flows = unique(group.map((piece) => piece.traffic)).map((traffic) => ({ traffic, pieces: group.filter((piece) => piece.traffic === traffic).map((piece) => piece.decision.piece) }));
    const untagged = context.fixTag ? '' : ` It targets every VM in network ${opening.network ?? 'NETWORK'}, as the blueprint's own rules do: the nodes' tag (gke-NAME-HASH-node) is known only once GKE creates the cluster.`;
    return proposeFix(opening, blocker, summary + untagged, { stack: context.stack, flows, nearEnds: memberEnds(context), needed });
  });
  const made = proposals.filter((proposal) => proposal !== undefined);
  if (made.length === 0) {
    return { summary: `${summary} ${blocking.policy ? `It is decided by a Google-managed system firewall policy, which cannot be changed: find which Google service manages ${blocking.name}.` : ''}`.trim(), gcloud: null, manifest: null, layer: blocking.layer };
  }
  const [first] = made;
  if (made.length === 1) return first!.remediation;
  return {
    ...first!.remediation,
    gcloud: made.map((proposal) => proposal.remediation.gcloud).join('\n'),
    manifest: made.map((proposal) => proposal.remediation.manifest).join('---\n'),
    terraform: made.map((proposal) => proposal.remediation.terraform).join('\n'),
    changes: made.flatMap((proposal) => proposal.remediation.changes ?? []),
    verified: made.every((proposal) => proposal.remediation.verified === true),
  };
}
