import { z } from 'zod';
import type { Plan, PlanChange } from '../plan/plan.js';
import { simulable } from '../plan/prove.js';
import { shortId } from './findings-report.js';
import { fence } from './text.js';

export type PlanFormat = 'json' | 'shell' | 'manifests' | 'terraform' | 'markdown';
export const PLAN_FORMATS: readonly PlanFormat[] = ['json', 'shell', 'manifests', 'terraform', 'markdown'];

/** What `check --with-plan` needs of a plan file: its changes, each with its manifest. */
export const PlanFileSchema = z.looseObject({
  changes: z.array(z.looseObject({ id: z.string(), resource: z.string(), manifest: z.string().nullable() })),
});
export type PlanFile = z.infer<typeof PlanFileSchema>;

const findingCount = (plan: Plan): number => new Set(plan.changes.flatMap((change) => change.fixes)).size;

function headline(plan: Plan): string {
  const changes = `${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}`;
  return `kfguard plan: ${changes} fixing ${findingCount(plan)} finding${findingCount(plan) === 1 ? '' : 's'}, ${plan.unresolved.length} unresolved`;
}

function verdict(plan: Plan): string {
  return plan.verified ? 'verified: with the plan applied, every finding it fixes is gone and nothing new appears' : 'not verified: see the notes';
}

const changeLabel = (change: PlanChange): string => `${change.id}: ${change.action} ${change.resource}${change.layer ? ` (${change.layer})` : ''}; fixes ${change.fixes.map(shortId).join(' ')}`;

function renderShell(plan: Plan): string {
  const out = ['#!/bin/sh', `# ${headline(plan)}`, `# ${verdict(plan)}`, ...plan.notes.map((note) => `# note: ${note}`), 'set -eu', ''];
  for (const change of plan.changes) {
    out.push(`# ${changeLabel(change)}`);
    out.push(change.gcloud ?? `# no command: apply ${change.id}'s manifest (kfguard plan --format manifests)`, '');
  }
  for (const item of plan.unresolved) out.push(`# unresolved ${shortId(item.finding)}: ${item.why.replace(/\n/g, ' ')}`);
  return `${out.join('\n').trimEnd()}\n`;
}

function renderManifests(plan: Plan): string {
  const documents = plan.changes.filter(simulable).map((change) => `# ${changeLabel(change)}\n${change.manifest!.trimEnd()}\n`);
  const left = plan.changes.filter((change) => !simulable(change)).map((change) => `# ${change.id} has no Config Connector resource: ${change.gcloud ? 'run its command (kfguard plan --format shell)' : 'see kfguard plan --format markdown'}`);
  return `${[...documents, ...(left.length > 0 ? [`${left.join('\n')}\n`] : [])].join('---\n')}`;
}

function renderTerraform(plan: Plan): string {
  const out = [`# ${headline(plan)}`, `# ${verdict(plan)}`, ''];
  for (const change of plan.changes) {
    if (change.terraform) out.push(`# ${changeLabel(change)}`, change.terraform.trimEnd(), '');
    else out.push(`# ${change.id} is not a Terraform resource kfguard renders: ${change.gcloud ? 'run its command (kfguard plan --format shell)' : 'see kfguard plan --format markdown'}`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderMarkdown(plan: Plan): string {
  const out = [`## ${headline(plan)}`, '', `**${plan.verified ? 'Verified' : 'Not verified'}**: ${verdict(plan).replace(/^(not )?verified: /, '')}.`, ''];
  for (const note of plan.notes) out.push(`> ${note}`, '');
  if (plan.changes.length > 0) {
    out.push('| Change | Action | Layer | Resource | Fixes |', '|---|---|---|---|---|');
    for (const change of plan.changes) out.push(`| \`${change.id}\` | ${change.action} | ${change.layer ?? ''} | \`${change.resource}\` | ${change.fixes.map((id) => `\`${shortId(id)}\``).join(' ')} |`);
    out.push('');
    for (const change of plan.changes) {
      out.push(`### \`${change.id}\` ${change.resource}`, '');
      if (change.gcloud) out.push(fence(change.gcloud, 'sh'), '');
      if (change.manifest) out.push('<details><summary>Config Connector</summary>', '', fence(change.manifest, 'yaml'), '', '</details>', '');
      if (change.terraform) out.push('<details><summary>Terraform</summary>', '', fence(change.terraform, 'hcl'), '', '</details>', '');
    }
  }
  if (plan.unresolved.length > 0) {
    out.push('### Unresolved', '');
    for (const item of plan.unresolved) out.push(`- \`${shortId(item.finding)}\`: ${item.why}`);
    out.push('');
  }
  return out.join('\n');
}

export function renderPlan(plan: Plan, format: PlanFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(plan, null, 2)}\n`;
    case 'shell':
      return renderShell(plan);
    case 'manifests':
      return renderManifests(plan);
    case 'terraform':
      return renderTerraform(plan);
    case 'markdown':
      return renderMarkdown(plan);
  }
}
