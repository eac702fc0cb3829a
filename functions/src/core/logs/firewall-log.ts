import { z } from 'zod';
import { policyRuleName, type FirewallLayer } from '../firewall/rule.js';

const port = z.union([z.number().int().min(0).max(65535), z.string().regex(/^\d{1,5}$/).transform(Number)]).pipe(z.number().max(65535));
const strings = z.array(z.string()).optional();
const vmInfo = z
  .looseObject({
    project_id: z.string().optional(),
    vm_name: z.string().optional(),
    region: z.string().optional(),
    zone: z.string().optional(),
  })
  .optional();
const vpcInfo = z
  .looseObject({
    project_id: z.string().optional(),
    vpc_name: z.string().optional(),
    subnetwork_name: z.string().optional(),
  })
  .optional();

/** `jsonPayload` of a VPC firewall rule log: snake_case, every metadata block optional. */
export const FirewallPayloadSchema = z.looseObject({
  connection: z.looseObject({
    src_ip: z.string(),
    dest_ip: z.string(),
    src_port: port.optional(),
    dest_port: port.optional(),
    protocol: z.union([z.number(), z.string()]),
  }),
  disposition: z.string(),
  rule_details: z
    .looseObject({
      reference: z.string().optional(),
      priority: z.number().int().optional(),
      action: z.string().optional(),
      direction: z.string().optional(),
      source_range: strings,
      destination_range: strings,
      source_tag: strings,
      target_tag: strings,
      source_service_account: strings,
      target_service_account: strings,
      ip_port_info: z
        .array(z.looseObject({ ip_protocol: z.string().optional(), port_range: strings }))
        .optional(),
    })
    .optional(),
  instance: vmInfo,
  vpc: vpcInfo,
  remote_instance: vmInfo,
  // VPC Flow Logs' names for the two ends, which some exports carry alongside.
  src_instance: vmInfo,
  dest_instance: vmInfo,
  remote_vpc: vpcInfo,
  remote_location: z.looseObject({}).optional(),
});
export type FirewallPayload = z.infer<typeof FirewallPayloadSchema>;

const PROTOCOL_NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  4: 'ipip',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  132: 'sctp',
};
const PROTOCOL_NUMBERS = new Map(Object.entries(PROTOCOL_NAMES).map(([num, name]) => [name, Number(num)]));

/** Normalises an IANA protocol number or name to the name `gcloud --allow` takes; undefined when unknown. */
export function protocolName(value: number | string): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 255) return undefined;
    return PROTOCOL_NAMES[value] ?? String(value);
  }
  const text = value.trim().toLowerCase();
  if (/^\d{1,3}$/.test(text)) return protocolName(Number(text));
  if (text === 'ipv6-icmp') return 'icmpv6';
  return PROTOCOL_NUMBERS.has(text) ? text : undefined;
}


export interface RuleReference {
  layer: FirewallLayer;
  /** A VPC rule's name, or `firewallPolicy:POLICY/priority:N` for a policy rule. */
  name: string;
  network?: string;
  /** The policy's id (hierarchical) or name (network policies). */
  policy?: string;
}

/**
 * Reads `rule_details.reference`: `network:NET/firewall:RULE` for VPC rules,
 * `network:NET/firewallPolicy:POLICY` for network firewall policies and
 * `{organization or folder tier}/firewallPolicy:POLICY` for hierarchical ones (Google's firewall
 * policy log format). The tier's exact spelling is not documented, so anything before
 * `/firewallPolicy:` that is not a network is taken as the hierarchy. Network policies are global
 * or regional; the reference does not say which, so `network-policy` stands for both until the
 * policies themselves are known.
 */
export function parseRuleReference(reference: string, priority?: number): RuleReference {
  const vpc = reference.match(/^network:([^/]+)\/firewall:(.+)$/);
  if (vpc) return { layer: 'vpc-firewall', network: vpc[1]!, name: vpc[2]! };
  const policy = reference.match(/^(.*)\/firewallPolicy:(.+)$/);
  if (!policy) return { layer: 'vpc-firewall', name: reference };
  const id = policy[2]!;
  const name = priority === undefined ? `firewallPolicy:${id}` : policyRuleName(id, priority);
  const network = policy[1]!.match(/^network:(.+)$/)?.[1];
  return network ? { layer: 'network-policy', network, policy: id, name } : { layer: 'hierarchical-policy', policy: id, name };
}
