import { isSeq, parseDocument, YAMLSeq } from 'yaml';
import { z } from 'zod';
import { KUBEFLOW_NAME } from './request.js';

/** The guide's two kustomization edits for private GKE. */
export const PRIVATE_PATCH = '../../upstream/manifests/gcp/v2/privateGKE/cluster-private-patch.yaml';
export const PRIVATE_RESOURCES = '../../upstream/manifests/gcp/v2/privateGKE/';
export const KUSTOMIZATION_PATH = 'instance/gcp_config/kustomization.yaml';

export class BlueprintError extends Error {}

/**
 * Adds the private-GKE patch to `patchesStrategicMerge` and the private-GKE package to
 * `resources`, keeping every comment (kpt setter comments included) and doing nothing when they
 * are already there. `kustomize edit` is not used: it mangles this file (kubernetes-sigs/kustomize#2310).
 */
export function enablePrivateInKustomization(text: string): { text: string; added: string[] } {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new BlueprintError(`${KUSTOMIZATION_PATH}: ${document.errors[0]!.message.split('\n')[0]}`);
  if (!document.contents || !('get' in document.contents)) throw new BlueprintError(`${KUSTOMIZATION_PATH}: not a kustomization (expected a YAML map)`);
  const added: string[] = [];
  for (const [key, entry] of [
    ['patchesStrategicMerge', PRIVATE_PATCH],
    ['resources', PRIVATE_RESOURCES],
  ] as const) {
    let list = document.get(key);
    if (list === undefined || list === null) {
      list = new YAMLSeq();
      document.set(key, list);
    }
    if (!isSeq(list)) throw new BlueprintError(`${KUSTOMIZATION_PATH}: ${key} is not a list`);
    const present = list.items.some((item) => String((item as { value?: unknown }).value ?? item).replace(/\/$/, '') === entry.replace(/\/$/, ''));
    if (!present) {
      list.add(entry);
      added.push(`${key}: ${entry}`);
    }
  }
  // Kustomize files write list items flush with their key; keep that style.
  return { text: added.length > 0 ? document.toString({ indentSeq: false }) : text, added };
}

/** Friendly names for the blueprint's kpt setters. */
export const SETTER_NAMES: Readonly<Record<string, string>> = {
  name: 'name',
  project: 'gcloud.core.project',
  'gcloud.core.project': 'gcloud.core.project',
  region: 'gcloud.compute.region',
  'gcloud.compute.region': 'gcloud.compute.region',
  zone: 'gcloud.compute.zone',
  'gcloud.compute.zone': 'gcloud.compute.zone',
  location: 'location',
  'mgmt-ctxt': 'mgmt-ctxt',
  email: 'email',
  'log-firewalls': 'log-firewalls',
  'gke.private': 'gke.private',
};

/** Setter values go into Makefile lines run by make's shell: only characters that need no quoting. */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._@:/-]{0,99}$/;

/** What enable-private sets unless told otherwise: the guide's `gke.private true`, and logging on the deny rules. */
export const PRIVATE_DEFAULTS: Readonly<Record<string, string>> = { 'gke.private': 'true', 'log-firewalls': 'true' };

/** Setters whose values the blueprint constrains further; a bad one would only fail much later, in GCP. */
const SETTER_RULES: Readonly<Record<string, { valid: (value: string) => boolean; rule: string }>> = {
  name: { valid: (value) => KUBEFLOW_NAME.test(value), rule: 'lowercase letters, digits and dashes, starting with a letter, ending with a letter or digit, at most 24 characters (NAME-admin must be a valid service account id)' },
  email: { valid: (value) => z.email().safeParse(value).success, rule: 'an email address' },
};

export function parseSetters(assignments: readonly string[]): Record<string, string> {
  const values: Record<string, string> = { ...PRIVATE_DEFAULTS };
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    const key = at > 0 ? assignment.slice(0, at) : '';
    const setter = SETTER_NAMES[key];
    if (!setter) throw new BlueprintError(`--set ${assignment}: unknown setter "${key}" (one of ${Object.keys(SETTER_NAMES).join(', ')})`);
    const value = assignment.slice(at + 1);
    if (!SAFE_VALUE.test(value)) throw new BlueprintError(`--set ${key}: "${value}" may contain only letters, digits and . _ @ : / - (it goes into a shell command)`);
    const rule = SETTER_RULES[setter];
    if (rule && !rule.valid(value)) throw new BlueprintError(`--set ${key}: "${value}" is not ${rule.rule}`);
    values[setter] = value;
  }
  return values;
}

const KPT_SET = /^(\s*kpt cfg set\s+)(\S+)(\s+)(\S+)(\s+)(.*?)\s*$/;
/** Directories the blueprint's set-values rule sets each setter in; a setter it lacks is added there. */
const SETTER_HOME: Readonly<Record<string, string>> = {
  'gcloud.compute.region': './upstream/manifests/gcp',
  'gcloud.compute.zone': './upstream/manifests/gcp',
  'log-firewalls': './upstream/manifests/gcp',
  'gke.private': './instance',
};

/**
 * Edits the Makefile's `set-values` rule the way the guide asks: every `kpt cfg set DIR SETTER
 * VALUE` line of a given setter gets the value, and a setter the rule never sets (the region, which
 * the guide says must be set) gets a line. Other lines and comments are left alone.
 */
export function setMakefileValues(makefile: string, values: Readonly<Record<string, string>>): { text: string; changed: string[] } {
  const lines = makefile.split('\n');
  const start = lines.findIndex((line) => /^set-values\s*:/.test(line));
  if (start < 0) throw new BlueprintError('Makefile: no set-values rule');
  let end = start + 1;
  while (end < lines.length && (lines[end]!.startsWith('\t') || lines[end]!.trim() === '')) end++;
  const changed: string[] = [];
  const seen = new Set<string>();
  for (let i = start + 1; i < end; i++) {
    const match = KPT_SET.exec(lines[i]!);
    if (!match) continue;
    const [, prefix, dir, gap1, setter, gap2, current] = match as unknown as [string, string, string, string, string, string, string];
    seen.add(setter);
    const value = values[setter];
    if (value === undefined || value === current) continue;
    lines[i] = `${prefix}${dir}${gap1}${setter}${gap2}${value}`;
    changed.push(`${dir} ${setter}=${value}`);
  }
  const missing = Object.keys(values).filter((setter) => !seen.has(setter) && SETTER_HOME[setter]);
  let insertAt = end;
  while (insertAt > start + 1 && lines[insertAt - 1]!.trim() === '') insertAt--;
  for (const setter of missing) {
    lines.splice(insertAt++, 0, `\tkpt cfg set ${SETTER_HOME[setter]} ${setter} ${values[setter]}`);
    changed.push(`${SETTER_HOME[setter]} ${setter}=${values[setter]} (added)`);
  }
  refuseLeftoverPlaceholders(lines.slice(start + 1, insertAt));
  return { text: lines.join('\n'), changed };
}

const PLACEHOLDER = /<[^<>\n]*>/;

/** make runs these lines with bash, where `<YOUR_EMAIL_ADDRESS>` is a redirection: a syntax error. */
function refuseLeftoverPlaceholders(recipe: readonly string[]): void {
  const left = recipe.flatMap((line) => {
    const placeholder = PLACEHOLDER.exec(line)?.[0];
    if (!placeholder) return [];
    const setter = KPT_SET.exec(line)?.[4];
    return [setter ? `${setter} (${placeholder})` : `"${line.trim()}"`];
  });
  if (left.length > 0) throw new BlueprintError(`Makefile set-values still has placeholders: ${left.join(', ')}; give a value with --set KEY=VALUE`);
}
