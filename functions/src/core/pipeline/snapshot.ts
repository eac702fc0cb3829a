import { z } from 'zod';
import { tryParseCidr, type Cidr } from '../net/cidr.js';
import { firewallContext, type FirewallContext, type FirewallView } from '../check/context.js';
import type { CheckedPorts } from '../check/health-checks.js';
import type { FirewallRule, PolicyRef } from '../firewall/rule.js';
import type { StackInput } from '../firewall/stack.js';
import { zodIssueText } from '../logs/log-entry.js';
import type { ClusterModel } from '../model/cluster.js';
import { shortHash } from './fingerprint.js';
import { modelFromStored, storedModel, StoredModelSchema } from './registry.js';

/**
 * The latest live network of one registered cluster, as the sweep judged it: its model and the
 * firewall view its checks ran on. The log sink diagnoses the cluster's denials against it.
 */
export interface NetworkSnapshot {
  /** The cluster's registry key, `PROJECT:LOCATION:NAME`. */
  cluster: string;
  takenAt: string;
  model: ClusterModel;
  view: FirewallView;
}

/**
 * Firestore keeps at most 1 MiB in a document, and a network can hold 10,000 rules and more: a
 * snapshot is one JSON text cut into parts of this many characters. The text is ASCII, so a
 * part's length is its size in bytes, and a cut anywhere leaves valid UTF-8.
 */
export const SNAPSHOT_PART_CHARS = 512 * 1024;
/** 20 MiB, about 60,000 rules: past that the log sink would spend longer loading a snapshot than diagnosing. */
export const MAX_SNAPSHOT_PARTS = 40;

export class SnapshotError extends Error {}

const optionalText = z.string().optional();
const texts = z.array(z.string()).default([]);

const CidrSchema = z.string().transform((text, context): Cidr => {
  const cidr = tryParseCidr(text);
  if (cidr) return cidr;
  context.addIssue({ code: 'custom', message: `"${text}" is not a CIDR range` });
  return z.NEVER;
});

const PortRangeSchema = z.object({ from: z.number().int().min(0).max(65535), to: z.number().int().min(0).max(65535) });

const PolicyRefSchema = z.object({
  name: z.string(),
  kind: z.enum(['hierarchical', 'network', 'regional-network', 'system-global', 'system-regional']),
  shortName: optionalText,
  parent: optionalText,
  region: optionalText,
  project: optionalText,
}) satisfies z.ZodType<PolicyRef>;

/** A stored rule leaves out its empty lists and false flags (most of a rule); they are restored here. */
const StoredRuleSchema = z.object({
  name: z.string().min(1),
  layer: z.enum(['hierarchical-policy', 'vpc-firewall', 'network-policy', 'regional-network-policy', 'implied']),
  policy: PolicyRefSchema.optional(),
  network: optionalText,
  project: optionalText,
  direction: z.enum(['INGRESS', 'EGRESS']),
  priority: z.number().int().nonnegative(),
  action: z.enum(['allow', 'deny', 'goto_next', 'apply_security_profile_group']),
  protocols: z.array(z.object({ protocol: z.string(), ports: z.array(PortRangeSchema).default([]) })).default([]),
  sourceRanges: z.array(CidrSchema).default([]),
  sourceTags: texts,
  sourceServiceAccounts: texts,
  sourceSecureTags: texts,
  destinationRanges: z.array(CidrSchema).default([]),
  targetTags: texts,
  targetServiceAccounts: texts,
  targetSecureTags: texts,
  targetNetworks: texts,
  opaqueSources: texts,
  opaqueDestinations: texts,
  disabled: z.boolean().default(false),
  logging: z.boolean().default(false),
  origin: z.enum(['manifest', 'gcloud', 'terraform', 'gke', 'implied', 'proposal']),
  managedByGke: z.boolean().default(false),
  location: optionalText,
  description: optionalText,
}) satisfies z.ZodType<FirewallRule>;

const CheckedPortsSchema = z.object({
  ports: PortRangeSchema,
  on: z.array(z.enum(['nodes', 'pods'])),
  because: z.string(),
  from: z.enum(['rule', 'manifest']),
}) satisfies z.ZodType<CheckedPorts>;

const SnapshotBodySchema = z.object({
  model: StoredModelSchema,
  stack: z.object({
    rules: z.array(StoredRuleSchema),
    network: optionalText,
    enforcementOrder: z.enum(['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL']).optional(),
    policiesKnown: z.boolean(),
  }) satisfies z.ZodType<StackInput>,
  healthChecked: z.array(CheckedPortsSchema),
});

/** `snapshots/{cluster}`: which generation of parts is the snapshot, and what it holds. */
export const SnapshotHeadSchema = z.object({
  cluster: z.string().min(1),
  /** A hash of the text: a sweep that reads the same network again writes no part. */
  generation: z.string().regex(/^[0-9a-f]{12}$/),
  takenAt: z.iso.datetime(),
  parts: z.number().int().positive().max(MAX_SNAPSHOT_PARTS),
  chars: z.number().int().positive(),
  rules: z.number().int().nonnegative(),
});
export type SnapshotHead = z.infer<typeof SnapshotHeadSchema>;

/** `snapshots/{cluster}/parts/{generation}-{index}`. */
const SnapshotPartSchema = z.object({ generation: z.string(), index: z.number().int().nonnegative(), text: z.string() });
export type SnapshotPart = z.infer<typeof SnapshotPartSchema>;

export function partId(generation: string, index: number): string {
  return `${generation}-${index}`;
}

function storedRule(rule: FirewallRule): Record<string, unknown> {
  const fields = Object.entries({ ...rule, sourceRanges: rule.sourceRanges.map((range) => range.text), destinationRanges: rule.destinationRanges.map((range) => range.text) });
  return Object.fromEntries(fields.filter(([, value]) => value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)));
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The head and the parts to write; throws SnapshotError for a network too large to keep. */
export function encodeSnapshot(snapshot: NetworkSnapshot): { head: SnapshotHead; parts: SnapshotPart[] } {
  const { rules } = snapshot.view.stack;
  const body = { model: storedModel(snapshot.model), stack: { ...snapshot.view.stack, rules: rules.map(storedRule) }, healthChecked: snapshot.view.healthChecked };
  const text = asciiJson(body);
  const count = Math.ceil(text.length / SNAPSHOT_PART_CHARS);
  if (count > MAX_SNAPSHOT_PARTS) {
    throw new SnapshotError(`the live network of ${snapshot.cluster} (${rules.length} rules) takes ${(text.length / 2 ** 20).toFixed(1)} MiB, past the ${(MAX_SNAPSHOT_PARTS * SNAPSHOT_PART_CHARS) / 2 ** 20} MiB a snapshot may hold`);
  }
  const generation = shortHash(text);
  const parts = Array.from({ length: count }, (_, index) => ({ generation, index, text: text.slice(index * SNAPSHOT_PART_CHARS, (index + 1) * SNAPSHOT_PART_CHARS) }));
  return { head: { cluster: snapshot.cluster, generation, takenAt: snapshot.takenAt, parts: count, chars: text.length, rules: rules.length }, parts };
}

function parsed<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new SnapshotError(`${what}: ${zodIssueText(result.error)}`);
  return result.data;
}

/** The snapshot the head names, from exactly its parts; throws SnapshotError on anything else. */
export function decodeSnapshot(headValue: unknown, partValues: readonly unknown[]): NetworkSnapshot {
  const head = parsed(SnapshotHeadSchema, headValue, 'snapshot head');
  const parts = partValues.map((value, index) => parsed(SnapshotPartSchema, value, `snapshot part ${index}`));
  const complete = parts.length === head.parts && parts.every((part, index) => part.generation === head.generation && part.index === index);
  if (!complete) throw new SnapshotError(`snapshot ${head.cluster} generation ${head.generation}: expected ${head.parts} parts of it, read ${parts.filter((part) => part.generation === head.generation).length}`);
  const text = parts.map((part) => part.text).join('');
  if (text.length !== head.chars || shortHash(text) !== head.generation) throw new SnapshotError(`snapshot ${head.cluster} generation ${head.generation}: its parts do not make the text the head describes`);
  const body = parsed(SnapshotBodySchema, JSON.parse(text), `snapshot ${head.cluster}`);
  return { cluster: head.cluster, takenAt: head.takenAt, model: modelFromStored(body.model), view: { stack: body.stack, healthChecked: body.healthChecked } };
}

/** A snapshot this old is not the live network any more: a sweep that stopped must not keep deciding denials. */
export function isFresh(head: Pick<SnapshotHead, 'takenAt'>, now: Date, maxAgeMinutes: number): boolean {
  return now.getTime() - Date.parse(head.takenAt) <= maxAgeMinutes * 60_000;
}

/** What the log sink diagnoses a swept cluster's entries with: its live firewall, and its model with the node tags GKE's live rules carry. */
export interface LiveNetwork {
  model: ClusterModel;
  live: FirewallContext;
}

export function liveNetwork(snapshot: NetworkSnapshot): LiveNetwork {
  const live = firewallContext(snapshot.view, snapshot.model);
  return { model: { ...snapshot.model, nodeTags: live.nodeTags }, live };
}
