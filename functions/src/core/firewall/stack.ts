import type { FirewallLayer, FirewallRule, PolicyRef } from './rule.js';
import { firewallRuleDefaults, policyLayer } from './rule.js';

export type EnforcementOrder = 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL';
export const DEFAULT_ENFORCEMENT_ORDER: EnforcementOrder = 'AFTER_CLASSIC_FIREWALL';

/** One step of the evaluation: the VPC rules, one firewall policy, or the implied rules. */
export interface StackLayer {
  layer: FirewallLayer;
  policy?: PolicyRef;
  /** Enabled rules in the order they are tried. */
  rules: FirewallRule[];
  /** Every priority a rule of this layer holds, disabled ones included: what a new rule must not reuse. */
  priorities: Set<number>;
}

/** Every rule that can decide a VM's traffic on one network, in Cloud NGFW's order. */
export interface FirewallStack {
  network?: string;
  enforcementOrder: EnforcementOrder;
  /** Whether the order came from the network's description rather than GCP's default. */
  orderKnown: boolean;
  /** Whether the inputs said anything about firewall policies; without that, a policy may still decide. */
  policiesKnown: boolean;
  layers: StackLayer[];
}

export const IMPLIED_DENY_INGRESS: FirewallRule = { ...firewallRuleDefaults('implied-deny-ingress', 'INGRESS', 'deny', 'implied', 'implied'), priority: 65535, protocols: [{ protocol: 'all', ports: [] }] };
export const IMPLIED_ALLOW_EGRESS: FirewallRule = { ...firewallRuleDefaults('implied-allow-egress', 'EGRESS', 'allow', 'implied', 'implied'), priority: 65535, protocols: [{ protocol: 'all', ports: [] }] };

/** VPC rules: lower number first; at equal priority deny before allow, as GCP applies them. */
export function compareVpcRules(a: FirewallRule, b: FirewallRule): number {
  const rank = (rule: FirewallRule) => (rule.action === 'deny' ? 0 : 1);
  return a.priority - b.priority || rank(a) - rank(b) || a.name.localeCompare(b.name);
}

const byPriority = (a: FirewallRule, b: FirewallRule): number => a.priority - b.priority;

export interface StackInput {
  rules: readonly FirewallRule[];
  network?: string;
  enforcementOrder?: EnforcementOrder;
  policiesKnown: boolean;
}

/** A policy's key across its rules: kind and name (a regional policy also by region). */
function policyKey(policy: PolicyRef): string {
  return [policy.kind, policy.region ?? '', policy.name].join('|');
}

/** Organization policies come before folder policies; among folders, the order the inputs gave. */
function hierarchyRank(policy: PolicyRef): number {
  return policy.parent?.startsWith('folders/') ? 1 : 0;
}

function groupPolicies(rules: readonly FirewallRule[]): StackLayer[] {
  const byPolicy = new Map<string, StackLayer>();
  for (const rule of rules) {
    if (!rule.policy) continue;
    const key = policyKey(rule.policy);
    const layer = byPolicy.get(key) ?? { layer: policyLayer(rule.policy), policy: rule.policy, rules: [], priorities: new Set<number>() };
    layer.priorities.add(rule.priority);
    if (!rule.disabled) layer.rules.push(rule);
    byPolicy.set(key, layer);
  }
  for (const layer of byPolicy.values()) layer.rules.sort(byPriority);
  return [...byPolicy.values()];
}

const ofKind = (layers: readonly StackLayer[], ...kinds: PolicyRef['kind'][]): StackLayer[] => layers.filter((layer) => kinds.includes(layer.policy!.kind));

/**
 * Orders the layers as Cloud NGFW evaluates them: hierarchical policies (organization, then
 * folders), regional system policies, then VPC rules and the global and regional network policies
 * in the network's enforcement order, then the implied rules.
 */
export function buildStack(input: StackInput): FirewallStack {
  const applicable = input.rules.filter((rule) => rule.layer !== 'implied' && appliesToNetwork(rule, input.network));
  const policies = groupPolicies(applicable);
  const hierarchical = ofKind(policies, 'hierarchical').sort((a, b) => hierarchyRank(a.policy!) - hierarchyRank(b.policy!));
  const vpcRules = applicable.filter((rule) => !rule.policy);
  const vpc: StackLayer = { layer: 'vpc-firewall', rules: vpcRules.filter((rule) => !rule.disabled).sort(compareVpcRules), priorities: new Set(vpcRules.map((rule) => rule.priority)) };
  const network = [...ofKind(policies, 'network'), ...ofKind(policies, 'regional-network')];
  const order = input.enforcementOrder ?? DEFAULT_ENFORCEMENT_ORDER;
  const classic = order === 'BEFORE_CLASSIC_FIREWALL' ? [...network, vpc] : [vpc, ...network];
  const implied: StackLayer = { layer: 'implied', rules: [IMPLIED_DENY_INGRESS, IMPLIED_ALLOW_EGRESS], priorities: new Set() };
  const stack: FirewallStack = {
    enforcementOrder: order,
    orderKnown: input.enforcementOrder !== undefined,
    policiesKnown: input.policiesKnown,
    // Google-managed system policies come right after the hierarchical ones, whatever the order.
    layers: [...hierarchical, ...ofKind(policies, 'system-global', 'system-regional'), ...classic, implied],
  };
  if (input.network) stack.network = input.network;
  return stack;
}

/** A hierarchical rule with target networks applies only to VMs on them. */
function appliesToNetwork(rule: FirewallRule, network: string | undefined): boolean {
  return rule.targetNetworks.length === 0 || network === undefined || rule.targetNetworks.includes(network);
}

/** The enabled rules of the stack, implied ones aside. */
export function stackRules(stack: FirewallStack): FirewallRule[] {
  return stack.layers.flatMap((layer) => layer.rules).filter((rule) => rule.layer !== 'implied');
}

/** The index of the layer a rule belongs in: its policy's, or the VPC rules'; -1 when the stack has no such layer. */
export function homeLayer(stack: FirewallStack, rule: FirewallRule): number {
  return stack.layers.findIndex((layer) => (rule.policy ? layer.policy !== undefined && policyKey(layer.policy) === policyKey(rule.policy) : layer.layer === 'vpc-firewall'));
}

/** The stack with more rules, each in its layer (a policy layer the stack lacks is added where it belongs). */
export function withRules(stack: FirewallStack, added: readonly FirewallRule[]): FirewallStack {
  // Only the layers that gain a rule are copied: the others stay the same objects, with what evaluators derived from them.
  const layers = [...stack.layers];
  for (const rule of added) {
    const index = homeLayer({ ...stack, layers }, rule);
    if (index < 0) return rebuilt(stack, added);
    const home = layers[index]!;
    const rules = [...home.rules];
    insertSorted(rules, rule, home.layer === 'vpc-firewall' ? compareVpcRules : byPriority);
    layers[index] = { ...home, rules, priorities: new Set([...home.priorities, rule.priority]) };
  }
  return { ...stack, layers };
}

/** Inserts into a sorted list where it belongs: a proof adds one rule to thousands, which a sort would redo. */
function insertSorted(rules: FirewallRule[], rule: FirewallRule, compare: (a: FirewallRule, b: FirewallRule) => number): void {
  let low = 0;
  let high = rules.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(rules[middle]!, rule) <= 0) low = middle + 1;
    else high = middle;
  }
  rules.splice(low, 0, rule);
}

function rebuilt(stack: FirewallStack, added: readonly FirewallRule[]): FirewallStack {
  const input: StackInput = { rules: [...stackRules(stack), ...added], enforcementOrder: stack.enforcementOrder, policiesKnown: stack.policiesKnown };
  if (stack.network) input.network = stack.network;
  return { ...buildStack(input), orderKnown: stack.orderKnown };
}

/** The layer a rule is in, and its place there: what a fix must beat. */
export function layerOf(stack: FirewallStack, rule: FirewallRule): StackLayer | undefined {
  return stack.layers.find((layer) => layer.rules.includes(rule));
}
