import { CidrError, parseCidr, type Cidr } from '../net/cidr.js';
import { protocolName } from '../logs/firewall-log.js';
import type { Direction } from '../diagnosis/flow.js';
import { isGkeManagedName } from '../firewall/gke-rules.js';
import { firewallRuleDefaults, parsePortRange, policyLayer, policyRuleName, PortError, type FirewallAction, type FirewallRule, type PolicyRef, type ProtocolSpec, type RuleOrigin } from '../firewall/rule.js';

/** A field that cannot be used, with its path inside the resource. */
export class ConfigError extends Error {}

export interface ProtocolInput {
  protocol: string;
  ports?: (string | number)[];
}

/** The fields gcloud/API and Config Connector firewalls share once their names are mapped. */
export interface FirewallInput {
  name: string;
  network?: string;
  project?: string;
  direction?: string;
  priority?: number;
  allow?: ProtocolInput[];
  deny?: ProtocolInput[];
  sourceRanges?: string[];
  destinationRanges?: string[];
  sourceTags?: string[];
  targetTags?: string[];
  sourceServiceAccounts?: string[];
  targetServiceAccounts?: string[];
  disabled?: boolean;
  logging?: boolean;
  description?: string;
}

export function parseConfigCidr(text: string, field: string): Cidr {
  try {
    return parseCidr(text);
  } catch (error) {
    if (error instanceof CidrError) throw new ConfigError(`${field}: ${error.message}`);
    throw error;
  }
}

function cidrs(texts: string[] | undefined, field: string): Cidr[] {
  return (texts ?? []).map((text, index) => parseConfigCidr(text, `${field}[${index}]`));
}

function protocols(inputs: ProtocolInput[], field: string): ProtocolSpec[] {
  return inputs.map((input, index) => {
    const raw = input.protocol.trim().toLowerCase();
    const protocol = raw === 'all' ? 'all' : protocolName(raw);
    if (!protocol) throw new ConfigError(`${field}[${index}].protocol: unknown protocol "${input.protocol}"`);
    const ports = (input.ports ?? []).map((port, portIndex) => {
      try {
        return parsePortRange(String(port));
      } catch (error) {
        if (error instanceof PortError) throw new ConfigError(`${field}[${index}].ports[${portIndex}]: ${error.message}`);
        throw error;
      }
    });
    return { protocol, ports };
  });
}

function direction(text: string | undefined): Direction {
  const value = (text ?? 'INGRESS').toUpperCase();
  if (value !== 'INGRESS' && value !== 'EGRESS') throw new ConfigError(`direction: "${text}" is neither INGRESS nor EGRESS`);
  return value;
}

function priorityWithin(value: number | undefined, fallback: number, max: number): number {
  const priority = value ?? fallback;
  if (!Number.isInteger(priority) || priority < 0 || priority > max) throw new ConfigError(`priority: ${priority} is outside 0-${max}`);
  return priority;
}

export function toFirewallRule(input: FirewallInput, origin: RuleOrigin, location: string): FirewallRule {
  const hasAllow = (input.allow?.length ?? 0) > 0;
  const hasDeny = (input.deny?.length ?? 0) > 0;
  if (hasAllow === hasDeny) throw new ConfigError('a firewall rule needs exactly one of allow/allowed or deny/denied');
  const rule: FirewallRule = {
    ...firewallRuleDefaults(input.name, direction(input.direction), hasAllow ? 'allow' : 'deny', origin),
    priority: priorityWithin(input.priority, 1000, 65535),
    protocols: hasAllow ? protocols(input.allow!, 'allow') : protocols(input.deny!, 'deny'),
    sourceRanges: cidrs(input.sourceRanges, 'sourceRanges'),
    destinationRanges: cidrs(input.destinationRanges, 'destinationRanges'),
    sourceTags: input.sourceTags ?? [],
    targetTags: input.targetTags ?? [],
    sourceServiceAccounts: input.sourceServiceAccounts ?? [],
    targetServiceAccounts: input.targetServiceAccounts ?? [],
    disabled: input.disabled ?? false,
    logging: input.logging ?? false,
    managedByGke: isGkeManagedName(input.name),
    location,
  };
  if (input.network) rule.network = input.network;
  if (input.project) rule.project = input.project;
  if (input.description) rule.description = input.description;
  return rule;
}

/** A firewall policy rule as the Compute API and Config Connector both describe it, once field names are mapped. */
export interface PolicyRuleInput {
  priority?: number;
  action?: string;
  direction?: string;
  disabled?: boolean;
  enableLogging?: boolean;
  description?: string;
  layer4Configs?: { ipProtocol: string; ports?: (string | number)[] }[];
  srcIpRanges?: string[];
  destIpRanges?: string[];
  srcSecureTags?: string[];
  targetSecureTags?: string[];
  targetServiceAccounts?: string[];
  targetNetworks?: string[];
  /** Match fields kfguard cannot resolve to addresses, by field name: { srcFqdns: [...] }. */
  opaqueSources?: Record<string, string[] | string | undefined>;
  opaqueDestinations?: Record<string, string[] | string | undefined>;
}

const ACTIONS: readonly FirewallAction[] = ['allow', 'deny', 'goto_next', 'apply_security_profile_group'];

/** Policy rule priorities go up to 2147483647 (the policies' own default rules sit there). */
const POLICY_PRIORITY_MAX = 2147483647;

function described(fields: Record<string, string[] | string | undefined> | undefined): string[] {
  return Object.entries(fields ?? {}).flatMap(([field, values]) => {
    const list = typeof values === 'string' ? (values === '' || values === 'UNSPECIFIED' ? [] : [values]) : (values ?? []);
    return list.length > 0 ? [`${field} ${list.join(',')}`] : [];
  });
}

export function toPolicyRule(input: PolicyRuleInput, policy: PolicyRef, origin: RuleOrigin, location: string): FirewallRule {
  const action = (input.action ?? '').toLowerCase() as FirewallAction;
  if (!ACTIONS.includes(action)) throw new ConfigError(`action: "${input.action}" is not one of ${ACTIONS.join(', ')}`);
  if (input.priority === undefined) throw new ConfigError('priority: a firewall policy rule needs one');
  const priority = priorityWithin(input.priority, 0, POLICY_PRIORITY_MAX);
  const layer4 = input.layer4Configs?.length ? input.layer4Configs : [{ ipProtocol: 'all' }];
  const rule: FirewallRule = {
    ...firewallRuleDefaults(policyRuleName(policy.name, priority), direction(input.direction), action, origin, policyLayer(policy)),
    policy,
    priority,
    protocols: protocols(layer4.map((config) => ({ protocol: config.ipProtocol, ports: config.ports })), 'layer4Configs'),
    sourceRanges: cidrs(input.srcIpRanges, 'match.srcIpRanges'),
    destinationRanges: cidrs(input.destIpRanges, 'match.destIpRanges'),
    sourceSecureTags: input.srcSecureTags ?? [],
    targetSecureTags: input.targetSecureTags ?? [],
    targetServiceAccounts: input.targetServiceAccounts ?? [],
    targetNetworks: input.targetNetworks ?? [],
    opaqueSources: described(input.opaqueSources),
    opaqueDestinations: described(input.opaqueDestinations),
    disabled: input.disabled ?? false,
    logging: input.enableLogging ?? false,
    location,
  };
  if (input.description) rule.description = input.description;
  if (policy.project) rule.project = policy.project;
  return rule;
}
