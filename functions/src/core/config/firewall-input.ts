import { CidrError, parseCidr, type Cidr } from '../net/cidr.js';
import { protocolName } from '../logs/firewall-log.js';
import type { Direction } from '../diagnosis/flow.js';
import { parsePortRange, PortError, type FirewallRule, type ProtocolSpec, type RuleOrigin } from '../firewall/rule.js';

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

export function toFirewallRule(input: FirewallInput, origin: RuleOrigin, location: string): FirewallRule {
  const direction = (input.direction ?? 'INGRESS').toUpperCase();
  if (direction !== 'INGRESS' && direction !== 'EGRESS') throw new ConfigError(`direction: "${input.direction}" is neither INGRESS nor EGRESS`);
  const priority = input.priority ?? 1000;
  if (!Number.isInteger(priority) || priority < 0 || priority > 65535) throw new ConfigError(`priority: ${priority} is outside 0-65535`);
  const hasAllow = (input.allow?.length ?? 0) > 0;
  const hasDeny = (input.deny?.length ?? 0) > 0;
  if (hasAllow === hasDeny) throw new ConfigError('a firewall rule needs exactly one of allow/allowed or deny/denied');
  const rule: FirewallRule = {
    name: input.name,
    direction: direction as Direction,
    priority,
    action: hasAllow ? 'allow' : 'deny',
    protocols: hasAllow ? protocols(input.allow!, 'allow') : protocols(input.deny!, 'deny'),
    sourceRanges: cidrs(input.sourceRanges, 'sourceRanges'),
    destinationRanges: cidrs(input.destinationRanges, 'destinationRanges'),
    sourceTags: input.sourceTags ?? [],
    targetTags: input.targetTags ?? [],
    sourceServiceAccounts: input.sourceServiceAccounts ?? [],
    targetServiceAccounts: input.targetServiceAccounts ?? [],
    disabled: input.disabled ?? false,
    logging: input.logging ?? false,
    origin,
    location,
  };
  if (input.network) rule.network = input.network;
  if (input.description) rule.description = input.description;
  return rule;
}
