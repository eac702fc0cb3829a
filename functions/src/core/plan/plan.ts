import { parseCidr } from '../net/cidr.js';
import { addressSet } from '../net/address-set.js';
import { covers, normalize } from '../net/intervals.js';
import { shortHash } from '../pipeline/fingerprint.js';
import type { EvidenceSource } from '../findings/causes.js';
import type { Finding } from '../findings/finding.js';
import type { FirewallLayer } from '../firewall/rule.js';
import { fixLayer, renderFix, type FirewallFix } from '../firewall/fix.js';
import { gcpResourceName, namedProposal, unfilledPlaceholders, type AllowedProtocol } from '../firewall/proposal.js';
import type { PolicyRuleProposal } from '../firewall/policy-proposal.js';
import type { FirewallStack } from '../firewall/stack.js';

/** One change of a plan: a rule to create, or a command to run, and the findings it fixes. */
export interface PlanChange {
  id: string;
  /** The firewall layer a rule goes to; null for changes that are not firewall rules. */
  layer: FirewallLayer | null;
  action: 'create' | 'run';
  /** What it creates or acts on: `projects/P/global/firewalls/NAME`, `firewallPolicies/ID/rules/PRIORITY`, a resource name. */
  resource: string;
  gcloud: string | null;
  manifest: string | null;
  terraform: string | null;
  /** The ids of the findings it fixes. */
  fixes: string[];
}

export interface Plan {
  changes: PlanChange[];
  /** Error findings the plan does not fix, and why. */
  unresolved: { finding: string; why: string }[];
  /** Set by the proof: every finding the plan claims to fix is gone with it applied, and nothing new appears. */
  verified: boolean;
  notes: string[];
}

interface Candidate {
  fix: FirewallFix;
  findings: string[];
  /** The far side's class, from the cause: what the rule's name says it is for. */
  far: string | undefined;
}

const ingress = (fix: FirewallFix): boolean => fix.proposal.direction === 'INGRESS';
const farRanges = (fix: FirewallFix): readonly string[] => (ingress(fix) ? fix.proposal.sourceRanges : fix.proposal.destinationRanges) ?? [];
const nearRanges = (fix: FirewallFix): readonly string[] => (ingress(fix) ? fix.proposal.destinationRanges : fix.proposal.sourceRanges) ?? [];
const sorted = (values: readonly string[]): string[] => [...values].sort();

/** Where a rule goes and whom it opens for: rules agreeing on all of it can be one rule. */
function placement(fix: FirewallFix): string {
  const { proposal } = fix;
  const common = [proposal.direction, proposal.project ?? ''];
  if (fix.kind === 'vpc-rule') return JSON.stringify(['vpc', ...common, fix.proposal.network ?? '', sorted(fix.proposal.targetTags)]);
  const { policy } = fix.proposal;
  return JSON.stringify(['policy', ...common, policy.kind, policy.name, policy.region ?? '', fix.proposal.action, sorted(fix.proposal.targetServiceAccounts), sorted(fix.proposal.targetNetworks)]);
}

/** Rules that can merge: the same placement, the same far and near ranges (the ports are what grows). */
const mergeKey = (fix: FirewallFix): string => JSON.stringify([placement(fix), sorted(farRanges(fix)), sorted(nearRanges(fix))]);

function portSets(allow: readonly AllowedProtocol[]): Map<string, { lo: number; hi: number }[] | 'all'> {
  const byProtocol = new Map<string, { lo: number; hi: number }[] | 'all'>();
  for (const { protocol, ports } of allow) {
    const known = byProtocol.get(protocol);
    if (known === 'all' || ports.length === 0) byProtocol.set(protocol, 'all');
    else byProtocol.set(protocol, [...(known ?? []), ...ports.map((range) => ({ lo: range.from, hi: range.to }))]);
  }
  return byProtocol;
}

function unionAllow(allows: readonly (readonly AllowedProtocol[])[]): AllowedProtocol[] {
  return [...portSets(allows.flat())].map(([protocol, ports]) => ({ protocol, ports: ports === 'all' ? [] : normalize(ports).map((interval) => ({ from: interval.lo, to: interval.hi })) }));
}

function allowCovers(outer: readonly AllowedProtocol[], inner: readonly AllowedProtocol[]): boolean {
  const outerSets = portSets(outer);
  return [...portSets(inner)].every(([protocol, ports]) => {
    const have = outerSets.get(protocol) ?? outerSets.get('all');
    if (have === 'all') return true;
    if (!have || ports === 'all') return false;
    return covers(normalize(have), normalize(ports));
  });
}

/** Whether every address of `inner` is in `outer`; no ranges on the near side means every instance targeted. */
function rangesCover(outer: readonly string[], inner: readonly string[]): boolean {
  if (outer.length === 0) return true;
  if (inner.length === 0) return false;
  return ([4, 6] as const).every((family) => covers(addressSet(outer.map(parseCidr), family), addressSet(inner.map(parseCidr), family)));
}

/** Whether `wide` lets through all that `narrow` does, at a priority that wins wherever `narrow` wins. */
function subsumes(wide: FirewallFix, narrow: FirewallFix): boolean {
  return (
    placement(wide) === placement(narrow) &&
    wide.proposal.priority <= narrow.proposal.priority &&
    rangesCover(farRanges(wide), farRanges(narrow)) &&
    rangesCover(nearRanges(wide), nearRanges(narrow)) &&
    allowCovers(wide.proposal.allow, narrow.proposal.allow)
  );
}

const FAR_WORDS: Record<string, string> = {
  'control-plane': 'control-plane',
  'health-check': 'health-checks',
  iap: 'iap',
  'google-apis': 'google-apis',
  cluster: 'intra-cluster',
};

const everyPort = (ports: AllowedProtocol['ports']): boolean => ports.length === 0 || ports.some((range) => range.from <= 1 && range.to === 65535);

/** `tcp-8443-9443`, or `tcp` for every port; `5-ports` when the numbers would not fit in a GCP name. */
function portWords(allow: readonly AllowedProtocol[], room: number): string[] {
  const words = allow.map(({ protocol, ports }) => (everyPort(ports) ? protocol : `${protocol}-${ports.map((range) => (range.from === range.to ? range.from : `${range.from}-${range.to}`)).join('-')}`));
  if (words.join('-').length <= room) return words;
  const count = allow.reduce((total, { ports }) => total + ports.length, 0);
  return [...allow.map(({ protocol }) => protocol), `${count}-ports`];
}

/** Longest a proposal's words can be: 63 characters, less the network, `-allow-` and `-HASH`. */
const wordRoom = (network: string | undefined, used: readonly string[]): number => 63 - `${network ?? 'kf'}-allow-${used.join('-')}--123456`.length;

/** What the rule is for, in its name: `intra-cluster-ingress`, `from-control-plane`, `to-google-apis`, then its ports. */
function ruleWords(fix: FirewallFix, far: string | undefined, allow: readonly AllowedProtocol[], network: string | undefined): string[] {
  const side = far === 'cluster' ? ['intra-cluster', fix.proposal.direction.toLowerCase()] : [ingress(fix) ? 'from' : 'to', FAR_WORDS[far ?? ''] ?? 'kfguard'];
  return [...side, ...portWords(allow, wordRoom(network, side))];
}

/** The rule for merged candidates: every port of them, at the lowest priority any of them needed. */
function merged(group: readonly Candidate[]): Candidate {
  const [first] = group;
  if (group.length === 1) return first!;
  const allow = unionAllow(group.map((candidate) => candidate.fix.proposal.allow));
  const priority = Math.min(...group.map((candidate) => candidate.fix.proposal.priority));
  const findings = [...new Set(group.flatMap((candidate) => candidate.findings))];
  const far = first!.far;
  const base = first!.fix;
  if (base.kind === 'policy-rule') return { fix: { kind: 'policy-rule', proposal: { ...base.proposal, allow, priority } }, findings, far };
  const { name: _name, ...body } = base.proposal;
  const words = ruleWords(base, far, allow, body.network);
  return { fix: { kind: 'vpc-rule', proposal: namedProposal(words, { ...body, allow, priority, description: `kfguard plan: ${words.join(' ')}` }) }, findings, far };
}

/** The priorities each layer's rules hold: a new rule takes none of them. */
function takenPriorities(stack: FirewallStack | undefined, fix: FirewallFix): Set<number> {
  const layer = stack?.layers.find((candidate) => (fix.kind === 'vpc-rule' ? candidate.layer === 'vpc-firewall' : candidate.policy?.name === fix.proposal.policy.name && candidate.policy.kind === fix.proposal.policy.kind));
  return new Set(layer?.priorities ?? []);
}

/**
 * Moves each rule to the highest free priority at or below the one it needs, renaming VPC rules
 * whose priority changed. Within a policy every priority is one rule's; VPC allow rules may share
 * one with each other, just never with an existing rule (a deny there would win).
 */
function placePriorities(candidates: readonly Candidate[], stack: FirewallStack | undefined): Candidate[] {
  const assigned = new Map<string, Set<number>>();
  return candidates.map((candidate) => {
    const key = candidate.fix.kind === 'vpc-rule' ? 'vpc' : `${candidate.fix.proposal.policy.kind}|${candidate.fix.proposal.policy.name}`;
    const taken = assigned.get(key) ?? takenPriorities(stack, candidate.fix);
    assigned.set(key, taken);
    let priority = candidate.fix.proposal.priority;
    while (priority > 0 && taken.has(priority)) priority--;
    if (candidate.fix.kind === 'policy-rule') taken.add(priority);
    if (priority === candidate.fix.proposal.priority) return candidate;
    if (candidate.fix.kind === 'policy-rule') return { ...candidate, fix: { kind: 'policy-rule', proposal: { ...candidate.fix.proposal, priority } } };
    const { name, ...body } = candidate.fix.proposal;
    const words = name.replace(new RegExp(`^${gcpResourceName(body.network ?? 'kf', 'allow')}-`), '').replace(/-[0-9a-f]{6}$/, '').split('-');
    return { ...candidate, fix: { kind: 'vpc-rule', proposal: namedProposal(words, { ...body, priority }) } };
  });
}

function policyRuleResource(proposal: PolicyRuleProposal): string {
  const { policy } = proposal;
  if (policy.kind === 'hierarchical') return `locations/global/firewallPolicies/${policy.name}/rules/${proposal.priority}`;
  const scope = policy.kind === 'regional-network' ? `regions/${policy.region ?? 'REGION'}` : 'global';
  return `projects/${proposal.project ?? 'PROJECT'}/${scope}/firewallPolicies/${policy.name}/rules/${proposal.priority}`;
}

function ruleChange(candidate: Candidate): PlanChange {
  const { fix } = candidate;
  const rendered = renderFix(fix);
  const resource = fix.kind === 'vpc-rule' ? `projects/${fix.proposal.project ?? 'PROJECT'}/global/firewalls/${fix.proposal.name}` : policyRuleResource(fix.proposal);
  return { id: shortHash(`rule\n${rendered.gcloud}`), layer: fixLayer(fix), action: 'create', resource, ...rendered, fixes: candidate.findings };
}

/** Merges what can be one rule, drops what another rule already does, then finds each a free priority. */
function ruleChanges(candidates: readonly Candidate[], stack: FirewallStack | undefined): PlanChange[] {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) groups.set(mergeKey(candidate.fix), [...(groups.get(mergeKey(candidate.fix)) ?? []), candidate]);
  const rules = [...groups.values()].map(merged);
  const kept: Candidate[] = [];
  // Widest first, so a narrower rule finds the one that already does its work.
  for (const rule of [...rules].sort((a, b) => farRanges(b.fix).length - farRanges(a.fix).length)) {
    const wider = kept.find((candidate) => subsumes(candidate.fix, rule.fix));
    if (wider) wider.findings = [...new Set([...wider.findings, ...rule.findings])];
    else kept.push({ ...rule, findings: [...rule.findings] });
  }
  return placePriorities(kept, stack).map(ruleChange);
}

export interface PlanInput {
  /** The findings as the aggregator or the store holds them, each with its cause's id. */
  findings: readonly (Finding & { cause: string })[];
  /** The stack the findings were judged against: what new priorities must not collide with. */
  stack?: FirewallStack;
  /** Where each rule's evidence comes from: a command a check proposes wins over one a log entry suggests. */
  sourceOf(rule: string): EvidenceSource;
}

const fromLogs = (source: EvidenceSource): boolean => source === 'firewall-log' || source === 'kubernetes-log';

/** Commands that only look (`kubectl describe`, `gcloud ... describe`): where to look next, not a change. */
const LOOKING = /^(kubectl\b.*\s(get|describe)\s|gcloud\b.*\s(describe|list)(\s|$))/;
const onlyLooks = (commands: string): boolean => commands.split('\n').every((line) => LOOKING.test(line.trim()));

/**
 * The smallest change set that fixes the error findings: their firewall rules merged where they
 * share placement and ranges, rules another rule already covers dropped, free priorities; other
 * fixes as their commands, one per cause where the configuration says what to do. Not yet proved:
 * `verified` is for the proof to set.
 */
export function buildPlan(input: PlanInput): Plan {
  // A logged denial the rules in force already let through needs nothing more.
  const errors = input.findings.filter((finding) => finding.severity === 'error' && finding.allowedNow !== true);
  const candidates: Candidate[] = [];
  const commands = new Map<string, PlanChange>();
  const unresolved: Plan['unresolved'] = [];
  const commandCauses = new Set<string>();
  const configCommandCauses = new Set(errors.filter((finding) => !finding.remediation.changes?.length && finding.remediation.gcloud && !fromLogs(input.sourceOf(finding.rule))).map((finding) => finding.cause));
  for (const finding of errors) {
    const { remediation } = finding;
    const changes = remediation.changes ?? [];
    if (changes.length > 0) {
      const unfilled = changes.flatMap((fix) => unfilledPlaceholders({ sourceRanges: fix.proposal.sourceRanges, destinationRanges: fix.proposal.destinationRanges, targetTags: fix.kind === 'vpc-rule' ? fix.proposal.targetTags : [] }));
      if (unfilled.length > 0) unresolved.push({ finding: finding.id, why: `its fix needs ${[...new Set(unfilled)].join(', ')} filled in: pass the cluster (--cluster) or the range flags` });
      else for (const fix of changes) candidates.push({ fix, findings: [finding.id], far: finding.evidenceOf?.kind === 'blocked-flow' ? finding.evidenceOf.far : undefined });
      continue;
    }
    if ((!remediation.gcloud || onlyLooks(remediation.gcloud)) && !remediation.manifest) {
      unresolved.push({ finding: finding.id, why: remediation.summary });
      continue;
    }
    // A log entry's generic command gives way to the one a check of the same cause derived from the configuration.
    if (fromLogs(input.sourceOf(finding.rule)) && configCommandCauses.has(finding.cause)) {
      commandCauses.add(finding.cause);
      continue;
    }
    const key = `${remediation.gcloud ?? ''}\n${remediation.manifest ?? ''}`;
    const known = commands.get(key);
    if (known) known.fixes.push(finding.id);
    else commands.set(key, { id: shortHash(`run\n${key}`), layer: remediation.layer ?? null, action: 'run', resource: finding.resources[0] ?? finding.rule, gcloud: remediation.gcloud, manifest: remediation.manifest, terraform: remediation.terraform ?? null, fixes: [finding.id] });
  }
  const commandChanges = [...commands.values()];
  for (const cause of commandCauses) {
    const change = commandChanges.find((candidate) => candidate.fixes.some((id) => errors.find((finding) => finding.id === id)?.cause === cause));
    const skipped = errors.filter((finding) => finding.cause === cause && fromLogs(input.sourceOf(finding.rule)) && !finding.remediation.changes?.length);
    if (change) change.fixes.push(...skipped.map((finding) => finding.id));
  }
  return { changes: [...ruleChanges(candidates, input.stack), ...commandChanges], unresolved, verified: false, notes: [] };
}
