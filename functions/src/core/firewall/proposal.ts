import { stringify } from 'yaml';
import type { Direction } from '../diagnosis/flow.js';

/** A firewall rule kfguard proposes as a fix, rendered as gcloud and as a Config Connector manifest. */
export interface FirewallProposal {
  name: string;
  project?: string;
  network?: string;
  direction: Direction;
  priority: number;
  protocol: string;
  ports: number[];
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

const GCP_NAME_MAX = 63;

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

/** The priority a fixing allow rule needs to win over a deny rule: a strictly smaller number (ties go to deny). */
export function priorityAbove(denyPriority: number | undefined): number {
  if (denyPriority === undefined) return 1000;
  return Math.max(0, Math.min(1000, denyPriority - 1));
}

export function allowSpec(protocol: string, ports: readonly number[]): string {
  return ports.length > 0 ? ports.map((port) => `${protocol}:${port}`).join(',') : protocol;
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
    `--allow=${allowSpec(proposal.protocol, proposal.ports)}`,
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
    allow: [proposal.ports.length > 0 ? { protocol: proposal.protocol, ports: proposal.ports.map(String) } : { protocol: proposal.protocol }],
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
