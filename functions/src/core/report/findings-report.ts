import type { Finding, FlowSummary } from '../findings/finding.js';
import { groupCauses, type Cause, type EvidenceSource } from '../findings/causes.js';
import { ruleById } from '../rules/index.js';
import { columns, fence, hanging, indent, wrap } from './text.js';

const DETAIL_INDENT = '    ';

/** What a report is made from: findings as the aggregator or the store holds them. */
export interface FindingsInput {
  findings: (Finding & { scope?: string })[];
  stats?: Record<string, number>;
  rejected?: { source: string; reason: string }[];
  notes?: string[];
}

/** A finding as reports show it: with its cause's id, without what grouping needed. */
export type ReportedFinding = Omit<Finding, 'evidenceOf'> & { cause: string };

/** The JSON contract of `kfguard analyze`, `check` and `findings`. */
export interface FindingsDocument {
  causes: Cause[];
  findings: ReportedFinding[];
  stats?: Record<string, number>;
  rejected?: { source: string; reason: string }[];
  notes?: string[];
}

export type OutputFormat = 'table' | 'json' | 'markdown';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'markdown'];

/** The first characters of an id, as git shortens hashes: what people type. */
export const SHORT_ID_LENGTH = 8;
export const shortId = (id: string): string => id.slice(0, SHORT_ID_LENGTH);

export const sourceOf = (rule: string): EvidenceSource => ruleById(rule)?.source ?? 'configuration';

/** Groups the findings into causes, and gives each finding its cause's id. */
export function causedDocument(input: FindingsInput): FindingsDocument {
  const { causes, causeOf } = groupCauses(input.findings, sourceOf);
  const findings = input.findings.map(({ evidenceOf: _grouped, scope: _scope, ...finding }) => ({ ...finding, cause: causeOf.get(finding.id)! }));
  return { ...input, causes, findings };
}

export function flowText(flow: FlowSummary | null): string {
  if (!flow) return '';
  const ports = flow.ports.length > 0 ? `:${flow.ports.join(',')}` : '';
  const name = flow.name ? `${flow.name} ` : '';
  return `${name}${flow.source} → ${flow.destination} ${flow.protocol}${ports}`;
}

function statsLine(document: FindingsDocument): string {
  return document.stats
    ? Object.entries(document.stats)
        .map(([key, value]) => `${key} ${value}`)
        .join(', ')
    : '';
}

function causeLines(document: FindingsDocument, width: number): string[] {
  const out = [`${document.causes.length} cause${document.causes.length === 1 ? '' : 's'}:`, ''];
  document.causes.forEach((cause, i) => {
    out.push(hanging(`${i + 1}. `, `[${cause.severity}] ${cause.title}`, width), hanging(DETAIL_INDENT, cause.summary, width), hanging(`${DETAIL_INDENT}findings: `, cause.findings.map(shortId).join(' '), width), '');
  });
  return out;
}

/**
 * The causes, the summary table, then each finding's cause and fix: all of them, or the first
 * `details` with a pointer to the rest. Text wraps at word boundaries to `width` (unbounded: one
 * line each); the commands never do, so they can be copied whole.
 */
export function renderTable(document: FindingsDocument, options: { details?: number; rest?: string; width?: number } = {}): string {
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const out: string[] = [];
  if (document.findings.length === 0) {
    out.push('No findings.');
  } else {
    out.push(...causeLines(document, width));
    // Severity and rule share a cell so that, on a narrow terminal, it can wrap between them.
    const rows = [['ID', 'FINDING', 'COUNT', 'FLOW', 'FIREWALL RULE']];
    for (const f of document.findings) rows.push([shortId(f.id), `${f.severity.toUpperCase()} ${f.rule}`, String(f.count), flowText(f.flow), f.firewallRule ?? '']);
    out.push(columns(rows, width), '');
    const shown = document.findings.slice(0, options.details ?? document.findings.length);
    shown.forEach((f, i) => {
      out.push(hanging(`${i + 1}. `, `[${f.severity}] ${f.title} (${f.rule}, ${f.count}×, id ${shortId(f.id)})`, width));
      if (f.firstSeen) out.push(indent(`seen ${f.firstSeen}${f.lastSeen && f.lastSeen !== f.firstSeen ? ` … ${f.lastSeen}` : ''}`));
      if (f.resources.length > 0) out.push(hanging(`${DETAIL_INDENT}resources: `, f.resources.join(', '), width));
      out.push(hanging(DETAIL_INDENT, f.explanation, width), hanging(`${DETAIL_INDENT}Fix: `, f.remediation.summary, width));
      if (f.remediation.gcloud) out.push(indent(f.remediation.gcloud, '      $ '));
      out.push('');
    });
    const hidden = document.findings.length - shown.length;
    if (hidden > 0) out.push(wrap(`… and ${hidden} more${options.rest ? `: ${options.rest}` : ''}`, width), '');
  }
  for (const note of document.notes ?? []) out.push(hanging('note: ', note, width));
  const stats = statsLine(document);
  if (stats) out.push(wrap(stats, width));
  const rejected = document.rejected ?? [];
  if (rejected.length > 0) {
    out.push(`rejected input (${rejected.length} shown):`);
    for (const r of rejected.slice(0, 20)) out.push(hanging('  ', `${r.source}: ${r.reason}`, width));
    if (rejected.length > 20) out.push(indent(`… ${rejected.length - 20} more (use --format json)`, '  '));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function renderMarkdown(document: FindingsDocument, heading = 'kfguard findings'): string {
  const out = [`## ${heading}`, ''];
  if (document.findings.length === 0) out.push('No findings.', '');
  else {
    out.push('### Causes', '');
    for (const cause of document.causes) out.push(`- **${cause.severity}**: ${cause.title}. ${cause.summary} Findings: ${cause.findings.map((id) => `\`${shortId(id)}\``).join(', ')}`);
    out.push('', '### Findings', '', '| Id | Severity | Rule | Count | Flow | Firewall rule |', '|---|---|---|---:|---|---|');
    for (const f of document.findings) {
      out.push(`| \`${shortId(f.id)}\` | ${f.severity} | \`${f.rule}\` | ${f.count} | ${flowText(f.flow).replace(/\|/g, '\\|')} | ${f.firewallRule ? `\`${f.firewallRule}\`` : ''} |`);
    }
    out.push('');
    for (const f of document.findings) {
      out.push(`#### ${f.title} (\`${f.rule}\`, ${f.severity}, ${f.count}×, \`${shortId(f.id)}\`)`, '', f.explanation, '');
      if (f.resources.length > 0) out.push(`Resources: ${f.resources.map((r) => `\`${r}\``).join(', ')}`, '');
      out.push(`**Fix:** ${f.remediation.summary}`, '');
      if (f.remediation.gcloud) out.push(fence(f.remediation.gcloud, 'sh'), '');
      if (f.remediation.manifest) out.push('<details><summary>Config Connector manifest</summary>', '', fence(f.remediation.manifest, 'yaml'), '', '</details>', '');
    }
  }
  for (const note of document.notes ?? []) out.push(`> ${note}`, '');
  const stats = statsLine(document);
  if (stats) out.push(`_${stats}_`, '');
  if ((document.rejected ?? []).length > 0) {
    out.push(`<details><summary>Rejected input (${document.rejected!.length})</summary>`, '');
    for (const r of document.rejected!.slice(0, 100)) out.push(`- \`${r.source}\`: ${r.reason}`);
    out.push('', '</details>', '');
  }
  return out.join('\n');
}

/** `width` is the table's: where its text wraps (json and markdown are never wrapped). */
export function renderDocument(input: FindingsInput, format: OutputFormat, width?: number): string {
  const document = causedDocument(input);
  switch (format) {
    case 'json':
      return `${JSON.stringify(document, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(document);
    case 'table':
      return renderTable(document, { width });
  }
}
