import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Direction } from '../diagnosis/flow.js';
import type { PortRange } from './rule.js';

/** One protocol a proposed rule allows, with its ports (empty: every port). */
export interface AllowedProtocol {
  protocol: string;
  ports: PortRange[];
}

export const singlePorts = (...ports: number[]): PortRange[] => ports.map((port) => ({ from: port, to: port }));

/** "443", "30000-32767": a port range as rules write it. */
export function portText(range: PortRange): string {
  return range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;
}

/** A firewall rule kfguard proposes as a fix, rendered as gcloud and as a Config Connector manifest. */
export interface FirewallProposal {
  name: string;
  project?: string;
  network?: string;
  direction: Direction;
  priority: number;
  allow: AllowedProtocol[];
  /** INGRESS: who may connect. */
  sourceRanges?: string[];
  /** EGRESS: where to. */
  destinationRanges?: string[];
  /** Instances the rule applies to; empty means every instance in the network. */
  targetTags: string[];
  description: string;
}

export const PLACEHOLDER_NETWORK = 'NETWORK';
export const PLACEHOLDER_PROJECT = 'PROJECT';
export const PLACEHOLDER_NODE_TAG = 'NODE_TAG';

/** Ranges kfguard was not told, left for the operator to fill in; a proposal holding one cannot be verified. */
export const PLACEHOLDER_RANGES = {
  controlPlane: 'CONTROL_PLANE_CIDR',
  node: 'NODE_CIDR',
  pod: 'POD_CIDR',
  service: 'SERVICE_CIDR',
  source: 'SOURCE_CIDR',
  destination: 'DESTINATION_CIDR',
} as const;

const RANGE_PLACEHOLDERS: ReadonlySet<string> = new Set(Object.values(PLACEHOLDER_RANGES));

const GCP_NAME_MAX = 63;
const NAME_HASH_LENGTH = 6;

/** Lowercase letters, digits and dashes, starting with a letter, at most 63 characters: GCP's resource-name rule. */
export function gcpResourceName(...parts: (string | number | undefined)[]): string {
  const joined = parts
    .filter((part) => part !== undefined && part !== '')
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '');
  const trimmed = joined.slice(0, GCP_NAME_MAX).replace(/-+$/, '');
  return trimmed || 'kfguard-rule';
}

export type ProposalBody = Omit<FirewallProposal, 'name'>;

/**
 * Names a proposal `NETWORK-allow-WORDS-HASH`: the words say what it is for, the hash of everything
 * the rule does (not its description) makes two different proposals never share a name, and the
 * same proposal always get the same one.
 */
export function namedProposal(words: (string | number)[], body: ProposalBody): FirewallProposal {
  const effect = [body.project, body.network, body.direction, body.priority, allowSpec(body.allow), body.sourceRanges ?? [], body.destinationRanges ?? [], body.targetTags];
  const hash = createHash('sha256').update(JSON.stringify(effect)).digest('hex').slice(0, NAME_HASH_LENGTH);
  const prefix = gcpResourceName(body.network ?? 'kf', 'allow', ...words).slice(0, GCP_NAME_MAX - NAME_HASH_LENGTH - 1).replace(/-+$/, '');
  return { name: `${prefix}-${hash}`, ...body };
}

/** The placeholders left in a proposal's ranges and targets: what keeps it from being proved. */
export function unfilledPlaceholders(proposal: Pick<FirewallProposal, 'sourceRanges' | 'destinationRanges' | 'targetTags'>): string[] {
  const values = [...(proposal.sourceRanges ?? []), ...(proposal.destinationRanges ?? []), ...proposal.targetTags];
  return [...new Set(values.filter((value) => value === PLACEHOLDER_NODE_TAG || RANGE_PLACEHOLDERS.has(value)))];
}

/** gcloud's `--allow` and `--layer4-configs` value: `tcp:80,tcp:443,udp` (a bare protocol allows all its ports). */
export function allowSpec(allow: readonly AllowedProtocol[]): string {
  return allow.map(({ protocol, ports }) => (ports.length > 0 ? ports.map((range) => `${protocol}:${portText(range)}`).join(',') : protocol)).join(',');
}

/** Quotes a shell argument only when needed, so commands stay readable and safe to paste. */
export function shellArg(value: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function renderGcloud(proposal: FirewallProposal): string {
  const args = [
    'gcloud compute firewall-rules create',
    shellArg(proposal.name),
    `--project=${shellArg(proposal.project ?? PLACEHOLDER_PROJECT)}`,
    `--network=${shellArg(proposal.network ?? PLACEHOLDER_NETWORK)}`,
    `--direction=${proposal.direction}`,
    `--priority=${proposal.priority}`,
    `--allow=${allowSpec(proposal.allow)}`,
  ];
  if (proposal.sourceRanges?.length) args.push(`--source-ranges=${proposal.sourceRanges.join(',')}`);
  if (proposal.destinationRanges?.length) args.push(`--destination-ranges=${proposal.destinationRanges.join(',')}`);
  if (proposal.targetTags.length) args.push(`--target-tags=${proposal.targetTags.map(shellArg).join(',')}`);
  args.push('--enable-logging', `--description=${shellArg(proposal.description)}`);
  return args.join(' ');
}

/** A ComputeFirewall in the style of the Kubeflow blueprint's privateGKE/firewall.yaml. */
export function renderManifest(proposal: FirewallProposal): string {
  const spec: Record<string, unknown> = {
    description: proposal.description,
    allow: proposal.allow.map(({ protocol, ports }) => (ports.length > 0 ? { protocol, ports: ports.map(portText) } : { protocol })),
  };
  if (proposal.sourceRanges?.length) spec['sourceRanges'] = proposal.sourceRanges;
  if (proposal.destinationRanges?.length) spec['destinationRanges'] = proposal.destinationRanges;
  if (proposal.targetTags.length) spec['targetTags'] = proposal.targetTags;
  spec['direction'] = proposal.direction;
  spec['priority'] = proposal.priority;
  spec['networkRef'] = { name: proposal.network ?? PLACEHOLDER_NETWORK };
  spec['enableLogging'] = true;
  return stringify({
    apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
    kind: 'ComputeFirewall',
    metadata: { name: proposal.name },
    spec,
  });
}
