import type { Direction } from '../diagnosis/flow.js';
import type { Remediation } from '../findings/finding.js';
import type { Traffic, TrafficEnd } from './evaluator.js';
import { networkPath, policyProposalToRule, renderPolicyGcloud, renderPolicyManifest, type PolicyRuleProposal } from './policy-proposal.js';
import { namedProposal, PLACEHOLDER_NODE_TAG, renderGcloud, renderManifest, unfilledPlaceholders, type AllowedProtocol, type FirewallProposal, type ProposalBody } from './proposal.js';
import { describeRule, type FirewallLayer, type FirewallRule, type PolicyRef } from './rule.js';
import type { FirewallStack, StackLayer } from './stack.js';
import { proposalToRule, proveFix, type FixProof, type FixTarget } from './verify.js';
import { renderFirewallTerraform, renderPolicyRuleTerraform } from './terraform.js';

/** What a fix must let through, whatever layer it ends up in. */
export interface Opening {
  direction: Direction;
  allow: AllowedProtocol[];
  /** The far side: sources for ingress, destinations for egress (ranges, or placeholders to fill in). */
  farRanges: string[];
  /**
   * The near side, when only part of the targeted instances' addresses must open (the pods, not
   * the nodes' own addresses): destinations for ingress, sources for egress.
   */
  nearRanges?: string[];
  /** Network tags of the instances to open, for VPC rules (empty: every instance). */
  targetTags: string[];
  /** Their service accounts, for policy rules, which cannot select by network tag. */
  targetServiceAccounts: string[];
  network?: string;
  /** The project that holds the network: the host project for Shared VPC. */
  project?: string;
  description: string;
  /** Words that name a proposed VPC rule after the network. */
  nameParts: (string | number)[];
}

/** The rule a fix must win over, as far as kfguard knows it. */
export interface Blocker {
  layer: FirewallLayer;
  priority?: number;
  policy?: PolicyRef;
  rule?: FirewallRule;
  /** How the deny is named in prose: "firewall rule kf-deny-egress (priority 1100)". */
  description?: string;
}

export type FirewallFix = { kind: 'vpc-rule'; proposal: FirewallProposal } | { kind: 'policy-rule'; proposal: PolicyRuleProposal };

/** What kfguard proves a fix against: the stack, the blocked flows, and the instances its target selects. */
export interface ProofInput {
  stack: FirewallStack;
  /** The flows the fix is for, each with the pieces it must let through. */
  flows: readonly FixTarget[];
  nearEnds: readonly TrafficEnd[];
  /** Every flow the cluster needs: what a fix may open (defaults to `flows`). */
  needed?: readonly Traffic[];
}

export interface ProposedFix {
  fix: FirewallFix;
  remediation: Remediation;
}

const VPC_DEFAULT_PRIORITY = 1000;

/** The highest priority below `limit` (starting at `preferred`) that no rule of the layer holds. */
function freePriority(limit: number, taken: ReadonlySet<number>, preferred: number): number | undefined {
  for (let priority = Math.min(preferred, limit - 1); priority >= 0; priority--) if (!taken.has(priority)) return priority;
  return undefined;
}

function layerOfPolicy(stack: FirewallStack | undefined, policy: PolicyRef | undefined): StackLayer | undefined {
  return policy ? stack?.layers.find((layer) => layer.policy?.name === policy.name && layer.policy.kind === policy.kind) : undefined;
}

function vpcFix(opening: Opening, limit: number, stack: FirewallStack | undefined): { fix: FirewallFix; notes: string[] } {
  const vpc = stack?.layers.find((layer) => layer.layer === 'vpc-firewall');
  const free = vpc ? freePriority(limit, vpc.priorities, VPC_DEFAULT_PRIORITY) : undefined;
  const priority = free ?? Math.max(0, Math.min(VPC_DEFAULT_PRIORITY, limit - 1));
  const body: ProposalBody = { direction: opening.direction, priority, allow: opening.allow, targetTags: opening.targetTags, description: opening.description };
  if (opening.network) body.network = opening.network;
  if (opening.project) body.project = opening.project;
  Object.assign(body, sides(opening));
  const notes = vpc && free === undefined ? [`Every priority below ${limit} is taken by a VPC rule; ${priority} is shared with one.`] : [];
  return { fix: { kind: 'vpc-rule', proposal: namedProposal(opening.nameParts, body) }, notes };
}

/** The rule's source and destination ranges: the far side, and the near side when it is narrower than the instances. */
function sides(opening: Opening): { sourceRanges?: string[]; destinationRanges?: string[] } {
  const near = opening.nearRanges?.length ? opening.nearRanges : undefined;
  if (opening.direction === 'INGRESS') return near ? { sourceRanges: opening.farRanges, destinationRanges: near } : { sourceRanges: opening.farRanges };
  return near ? { destinationRanges: opening.farRanges, sourceRanges: near } : { destinationRanges: opening.farRanges };
}

function policyTargets(opening: Opening, policy: PolicyRef): { serviceAccounts: string[]; networks: string[]; broad?: string } {
  const serviceAccounts = opening.targetServiceAccounts.filter((account) => account.includes('@'));
  if (serviceAccounts.length > 0) return { serviceAccounts, networks: [] };
  const network = opening.network ?? 'NETWORK';
  const broad = `It applies to every VM in network ${network}, not only the cluster's nodes: kfguard does not know their service account (pass the project number, gcloud projects describe, when they use the default one).`;
  return policy.kind === 'hierarchical' ? { serviceAccounts: [], networks: [networkPath(opening.project, network)], broad } : { serviceAccounts: [], networks: [], broad };
}

function policyFix(opening: Opening, blocker: Blocker, policy: PolicyRef, action: PolicyRuleProposal['action'], stack: FirewallStack | undefined): { fix: FirewallFix; notes: string[]; broad?: string } {
  const limit = blocker.priority ?? 1;
  const layer = layerOfPolicy(stack, policy);
  const free = layer ? freePriority(limit, layer.priorities, limit - 1) : undefined;
  const priority = free ?? Math.max(0, limit - 1);
  const targets = policyTargets(opening, policy);
  const proposal: PolicyRuleProposal = { policy, priority, action, direction: opening.direction, allow: opening.allow, targetServiceAccounts: targets.serviceAccounts, targetNetworks: targets.networks, description: opening.description };
  Object.assign(proposal, sides(opening));
  if (policy.kind !== 'hierarchical' && (policy.project ?? opening.project)) proposal.project = policy.project ?? opening.project;
  const notes = layer ? (free === undefined ? [`No priority below ${limit} is free in the policy; pick one.`] : []) : [`kfguard does not know the policy's other rules: if priority ${priority} is taken, use another free one below ${limit}.`];
  const fix: { fix: FirewallFix; notes: string[]; broad?: string } = { fix: { kind: 'policy-rule', proposal }, notes };
  if (targets.broad) fix.broad = targets.broad;
  return fix;
}

interface Candidate {
  fix: FirewallFix;
  notes: string[];
  /** Set when the target reaches beyond the cluster's instances: such a fix is never verified. */
  broad?: string;
}

const HIERARCHY_NOTE = 'This rule goes into a hierarchical firewall policy: an organization or folder administrator must apply it.';

/**
 * Where a fix goes, by the layer that decides: VPC denies and implied denies get a VPC rule that
 * beats them; a network policy deny gets a VPC rule when VPC rules come first
 * (AFTER_CLASSIC_FIREWALL) and a rule in that policy otherwise; a hierarchical deny gets a rule in
 * that policy, `goto_next` (the project's own rules then decide) before `allow`. Google-managed
 * system policies cannot be changed.
 */
function candidates(opening: Opening, blocker: Blocker, stack: FirewallStack | undefined): Candidate[] {
  const policy = blocker.policy;
  switch (blocker.layer) {
    case 'vpc-firewall':
      return [vpcFix(opening, blocker.priority ?? VPC_DEFAULT_PRIORITY + 1, stack)];
    case 'implied':
      return [vpcFix(opening, 65535, stack)];
    case 'hierarchical-policy':
      return policy ? [policyFix(opening, blocker, policy, 'goto_next', stack), policyFix(opening, blocker, policy, 'allow', stack)].map((candidate) => ({ ...candidate, notes: [HIERARCHY_NOTE, ...candidate.notes] })) : [];
    case 'network-policy':
    case 'regional-network-policy': {
      if (policy?.kind === 'system-global' || policy?.kind === 'system-regional') return [];
      const beforeClassic = stack?.enforcementOrder === 'BEFORE_CLASSIC_FIREWALL';
      if (beforeClassic && policy) return [policyFix(opening, blocker, policy, 'allow', stack)];
      const vpc = vpcFix(opening, 65535, stack);
      if (!stack?.orderKnown) {
        vpc.notes.push(`This assumes VPC rules are evaluated before network firewall policies (enforcement order AFTER_CLASSIC_FIREWALL, GCP's default); if the network says BEFORE_CLASSIC_FIREWALL, add the rule to policy ${policy?.name ?? 'POLICY'} at a priority below ${blocker.priority ?? 'the deny'} instead.`);
      }
      return [vpc];
    }
  }
}

export function fixRule(fix: FirewallFix): FirewallRule {
  return fix.kind === 'vpc-rule' ? proposalToRule(fix.proposal) : policyProposalToRule(fix.proposal);
}

export function renderFix(fix: FirewallFix): { gcloud: string; manifest: string; terraform: string } {
  return fix.kind === 'vpc-rule'
    ? { gcloud: renderGcloud(fix.proposal), manifest: renderManifest(fix.proposal), terraform: renderFirewallTerraform(fix.proposal) }
    : { gcloud: renderPolicyGcloud(fix.proposal), manifest: renderPolicyManifest(fix.proposal), terraform: renderPolicyRuleTerraform(fix.proposal) };
}

export function fixLayer(fix: FirewallFix): FirewallLayer {
  return fix.kind === 'vpc-rule' ? 'vpc-firewall' : fixRule(fix).layer;
}

function unfilledText(unfilled: readonly string[]): string {
  const ranges = unfilled.filter((value) => value !== PLACEHOLDER_NODE_TAG);
  const reasons = [unfilled.includes(PLACEHOLDER_NODE_TAG) ? "the nodes' tag is unknown (pass --cluster)" : '', ranges.length > 0 ? `${ranges.join(', ')} must be filled in first` : ''];
  return reasons.filter(Boolean).join(' and ');
}

function unfilledOf(fix: FirewallFix): string[] {
  if (fix.kind === 'vpc-rule') return unfilledPlaceholders(fix.proposal);
  return unfilledPlaceholders({ ...fix.proposal, targetTags: [] });
}

interface Judged {
  candidate: Candidate;
  proof?: FixProof;
  unfilled: string[];
}

function judged(candidate: Candidate, input: ProofInput | undefined): Judged {
  const unfilled = unfilledOf(candidate.fix);
  if (!input || unfilled.length > 0) return { candidate, unfilled };
  return { candidate, unfilled, proof: proveFix(input.stack, fixRule(candidate.fix), input.flows, input.nearEnds, input.needed) };
}

const proven = (entry: Judged): boolean => entry.proof !== undefined && entry.proof.letsThrough && entry.proof.opensOnlyWhatIsNeeded && !entry.candidate.broad;

/** Without the rules in force nothing is proved: the reader is told what the fix must beat instead. */
function placementText(blocker: Blocker): string {
  if (!blocker.description || blocker.layer === 'implied') return '';
  return ` It must have a smaller priority number than ${blocker.description}${blocker.layer === 'vpc-firewall' ? '' : ', in the same policy'}.`;
}

function verdictText(entry: Judged, input: ProofInput | undefined, blocker: Blocker): string {
  if (!input) return placementText(blocker);
  if (entry.unfilled.length > 0) return ` Not verified: ${unfilledText(entry.unfilled)}.`;
  if (!entry.proof) return '';
  if (proven(entry)) return ' kfguard applied it to the whole firewall stack: the blocked traffic passes and nothing else opens.';
  if (!entry.proof.letsThrough) return ` Not verified: with it in place, ${entry.proof.stillBlockedBy ? describeRule(entry.proof.stillBlockedBy) : 'another rule'} still blocks part of this traffic; change that rule too.`;
  return entry.candidate.broad ? ' Not verified: it reaches beyond the cluster\'s instances.' : ' Not verified: it would open more than the blocked traffic on the instances kfguard knows.';
}

/**
 * Places an opening at the layer that decides and, given the stack, proves each way of doing it;
 * the first proven one is proposed, else the first that lets the traffic through, else the first.
 * The remediation says where it goes, who must apply it, and what kfguard could and could not prove.
 */
export function proposeFix(opening: Opening, blocker: Blocker, summary: string, proof?: ProofInput): ProposedFix | undefined {
  const options = candidates(opening, blocker, proof?.stack).map((candidate) => judged(candidate, proof));
  const chosen = options.find(proven) ?? options.find((entry) => entry.proof?.letsThrough) ?? options[0];
  if (!chosen) return undefined;
  const { fix, notes, broad } = chosen.candidate;
  const rendered = renderFix(fix);
  const policiesUnknown = proof && !proof.stack.policiesKnown ? ' Firewall policies were not among the inputs: a hierarchical or network firewall policy may still decide this traffic.' : '';
  const text = [summary, ...notes, ...(broad ? [broad] : [])].join(' ') + verdictText(chosen, proof, blocker) + policiesUnknown;
  const remediation: Remediation = { summary: text, gcloud: rendered.gcloud, manifest: rendered.manifest, terraform: rendered.terraform, changes: [fix], layer: fixLayer(fix) };
  if (proof) remediation.verified = proven(chosen);
  return { fix, remediation };
}
