import { z } from 'zod';
import { zodIssueText } from '../logs/log-entry.js';
import { lastSegment, resourcePath } from '../model/cluster.js';
import type { PolicyKind, PolicyRef } from '../firewall/rule.js';
import { ConfigError, toPolicyRule, type PolicyRuleInput } from './firewall-input.js';
import type { ConfigSink } from './kube.js';
import type { Location } from './specs.js';

/**
 * Cloud NGFW firewall policies as the Compute API returns them: `gcloud compute firewall-policies
 * describe|list`, `gcloud compute network-firewall-policies describe|list` (global and
 * `--region`), and the `firewallPolicys` of `gcloud compute networks get-effective-firewalls`.
 */
const strings = z.array(z.string()).optional();
const SecureTags = z.array(z.looseObject({ name: z.string(), state: z.string().optional() })).optional();

const PolicyRuleSchema = z.looseObject({
  priority: z.number().int(),
  action: z.string(),
  direction: z.string().optional(),
  disabled: z.boolean().optional(),
  enableLogging: z.boolean().optional(),
  description: z.string().optional(),
  match: z
    .looseObject({
      srcIpRanges: strings,
      destIpRanges: strings,
      layer4Configs: z.array(z.looseObject({ ipProtocol: z.string(), ports: strings })).optional(),
      srcSecureTags: SecureTags,
      srcAddressGroups: strings,
      srcFqdns: strings,
      srcRegionCodes: strings,
      srcThreatIntelligences: strings,
      srcNetworks: strings,
      srcNetworkType: z.string().optional(),
      destAddressGroups: strings,
      destFqdns: strings,
      destRegionCodes: strings,
      destThreatIntelligences: strings,
      destNetworkType: z.string().optional(),
    })
    .optional(),
  targetResources: strings,
  targetServiceAccounts: strings,
  targetSecureTags: SecureTags,
});
type PolicyRuleJson = z.infer<typeof PolicyRuleSchema>;

const PolicySchema = z.looseObject({
  name: z.string(),
  shortName: z.string().optional(),
  displayName: z.string().optional(),
  parent: z.string().optional(),
  region: z.string().optional(),
  selfLink: z.string().optional(),
  rules: z.array(z.unknown()).optional(),
  associations: z.array(z.looseObject({ attachmentTarget: z.string().optional() })).optional(),
});

const EFFECTIVE_TYPES: Record<string, PolicyKind> = {
  HIERARCHY: 'hierarchical',
  NETWORK: 'network',
  NETWORK_REGIONAL: 'regional-network',
  SYSTEM: 'system-global',
  SYSTEM_GLOBAL: 'system-global',
  SYSTEM_REGIONAL: 'system-regional',
};

const EffectivePolicySchema = z.looseObject({ name: z.string(), type: z.string(), shortName: z.string().optional(), displayName: z.string().optional(), rules: z.array(z.unknown()).optional() });

/** Secure tags that still exist; an INEFFECTIVE one (deleted, or its network deleted) selects nothing. */
const effectiveTags = (tags: z.infer<typeof SecureTags>): string[] => (tags ?? []).filter((tag) => tag.state !== 'INEFFECTIVE').map((tag) => tag.name);

function ruleInput(rule: PolicyRuleJson): PolicyRuleInput {
  const match = rule.match ?? {};
  const input: PolicyRuleInput = {
    priority: rule.priority,
    action: rule.action,
    direction: rule.direction,
    disabled: rule.disabled || allIneffective(rule.targetSecureTags),
    enableLogging: rule.enableLogging,
    description: rule.description,
    layer4Configs: match.layer4Configs,
    srcIpRanges: match.srcIpRanges,
    destIpRanges: match.destIpRanges,
    srcSecureTags: effectiveTags(match.srcSecureTags),
    targetSecureTags: effectiveTags(rule.targetSecureTags),
    targetServiceAccounts: rule.targetServiceAccounts,
    targetNetworks: (rule.targetResources ?? []).map((url) => lastSegment(url)!).filter(Boolean),
    opaqueSources: { srcAddressGroups: match.srcAddressGroups, srcFqdns: match.srcFqdns, srcRegionCodes: match.srcRegionCodes, srcThreatIntelligences: match.srcThreatIntelligences, srcNetworks: match.srcNetworks, srcNetworkType: match.srcNetworkType },
    opaqueDestinations: { destAddressGroups: match.destAddressGroups, destFqdns: match.destFqdns, destRegionCodes: match.destRegionCodes, destThreatIntelligences: match.destThreatIntelligences, destNetworkType: match.destNetworkType },
  };
  return input;
}

/** A rule whose every target secure tag is INEFFECTIVE is ignored, as Cloud NGFW does. */
function allIneffective(tags: z.infer<typeof SecureTags>): boolean {
  return (tags ?? []).length > 0 && (tags ?? []).every((tag) => tag.state === 'INEFFECTIVE');
}

function addRules(rules: readonly unknown[], policy: PolicyRef, location: Location, sink: ConfigSink): void {
  rules.forEach((value, index) => {
    const where = `${location}.rules[${index}]`;
    const parsed = PolicyRuleSchema.safeParse(value);
    if (!parsed.success) {
      sink.reject(where, `firewall policy rule: ${zodIssueText(parsed.error)}`);
      return;
    }
    // Packet mirroring rules share the list shape but never decide traffic.
    if ((value as { kind?: unknown }).kind === 'compute#packetMirroringRule') return;
    try {
      sink.config.firewalls.push(toPolicyRule(ruleInput(parsed.data), policy, 'gcloud', where));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      sink.reject(where, `firewall policy rule at priority ${parsed.data.priority}: ${error.message}`);
    }
  });
}

/** Hierarchical policies live under `locations/global`, network ones under a project, regional ones under a region. */
function policyKind(policy: z.infer<typeof PolicySchema>): PolicyKind {
  if (policy.parent || policy.selfLink?.includes('/locations/global/firewallPolicies/')) return 'hierarchical';
  if (policy.region || policy.selfLink?.includes('/regions/')) return 'regional-network';
  return 'network';
}

function attachment(target: string, kind: PolicyKind): string {
  return kind === 'hierarchical' ? target.replace(/^.*?((organizations|folders)\/[^/]+)$/, '$1') : (lastSegment(target) ?? target);
}

export function addFirewallPolicy(value: unknown, location: Location, sink: ConfigSink): void {
  const parsed = PolicySchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`firewall policy: ${zodIssueText(parsed.error)}`);
  const policy = parsed.data;
  const kind = policyKind(policy);
  const ref: PolicyRef = { name: policy.name, kind };
  const shortName = policy.shortName ?? policy.displayName;
  if (shortName) ref.shortName = shortName;
  if (policy.parent) ref.parent = policy.parent;
  const region = lastSegment(policy.region) ?? resourcePath(policy.selfLink).region;
  if (kind === 'regional-network' && region) ref.region = region;
  const project = resourcePath(policy.selfLink).project;
  if (kind !== 'hierarchical' && project) ref.project = project;
  const spec = { ref, location, ...(policy.associations ? { attachments: policy.associations.flatMap((association) => (association.attachmentTarget ? [attachment(association.attachmentTarget, kind)] : [])) } : {}) };
  sink.config.firewallPolicies.push(spec);
  addRules(policy.rules ?? [], ref, location, sink);
  sink.config.coverage.add('firewall-policies');
}

/**
 * `gcloud compute networks get-effective-firewalls NET --format=json` (or the API's response):
 * the network's VPC rules and every policy in force on it, in evaluation order. The network is
 * named only by its rules, so policies are attached to the network those rules are on.
 */
export function addEffectiveFirewalls(value: { firewalls?: unknown; firewallPolicys?: unknown }, location: Location, sink: ConfigSink, addFirewall: (rule: unknown, where: Location) => void): void {
  const firewalls = Array.isArray(value.firewalls) ? value.firewalls : [];
  firewalls.forEach((rule, index) => addFirewall(rule, `${location}.firewalls[${index}]`));
  const network = firewalls.map((rule) => lastSegment((rule as { network?: string } | null)?.network)).find(Boolean);
  const policies = Array.isArray(value.firewallPolicys) ? value.firewallPolicys : [];
  policies.forEach((item, index) => {
    const where = `${location}.firewallPolicys[${index}]`;
    const parsed = EffectivePolicySchema.safeParse(item);
    const kind = parsed.success ? EFFECTIVE_TYPES[parsed.data.type] : undefined;
    if (!parsed.success || !kind) {
      sink.reject(where, parsed.success ? `firewall policy type "${parsed.data.type}" is not one kfguard knows` : `effective firewall policy: ${zodIssueText(parsed.error)}`);
      return;
    }
    const ref: PolicyRef = { name: parsed.data.name, kind };
    const shortName = parsed.data.shortName ?? parsed.data.displayName;
    if (shortName) ref.shortName = shortName;
    sink.config.firewallPolicies.push({ ref, location: where, ...(network ? { attachments: [network] } : {}) });
    addRules(parsed.data.rules ?? [], ref, where, sink);
  });
  sink.config.coverage.add('firewalls');
  sink.config.coverage.add('firewall-policies');
}
