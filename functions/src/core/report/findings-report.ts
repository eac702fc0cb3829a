import type { Finding, FlowSummary } from '../findings/finding.js';
import { columns, fence, hanging, indent, wrap } from './text.js';

const DETAIL_INDENT = '    ';

/** The JSON contract of `kfguard analyze`, `check` and `findings`. */
export interface FindingsDocument {
  findings: Finding[];
  stats?: Record<string, number>;
  rejected?: { source: string; reason: string }[];
  notes?: string[];
}

export type OutputFormat = 'table' | 'json' | 'markdown';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'markdown'];

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

/**
 * The summary table, then each finding's cause and fix: all of them, or the first `details` with a
 * pointer to the rest. Text wraps at word boundaries to `width` (unbounded: one line each); the
 * commands never do, so they can be copied whole.
 */
export function renderTable(document: FindingsDocument, options: { details?: number; rest?: string; width?: number } = {}): string {
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const out: string[] = [];
  if (document.findings.length === 0) {
    out.push('No findings.');
  } else {
    const rows = [['SEVERITY', 'RULE', 'COUNT', 'FLOW', 'FIREWALL RULE']];
    for (const f of document.findings) rows.push([f.severity.toUpperCase(), f.rule, String(f.count), flowText(f.flow), f.firewallRule ?? '']);
    out.push(columns(rows, width), '');
    const shown = document.findings.slice(0, options.details ?? document.findings.length);
    shown.forEach((f, i) => {
      out.push(hanging(`${i + 1}. `, `[${f.severity}] ${f.title} (${f.rule}, ${f.count}×)`, width));
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
    out.push('| Severity | Rule | Count | Flow | Firewall rule |', '|---|---|---:|---|---|');
    for (const f of document.findings) {
      out.push(`| ${f.severity} | \`${f.rule}\` | ${f.count} | ${flowText(f.flow).replace(/\|/g, '\\|')} | ${f.firewallRule ? `\`${f.firewallRule}\`` : ''} |`);
    }
    out.push('');
    for (const f of document.findings) {
      out.push(`### ${f.title} (\`${f.rule}\`, ${f.severity}, ${f.count}×)`, '', f.explanation, '');
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
export function renderDocument(document: FindingsDocument, format: OutputFormat, width?: number): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(document, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(document);
    case 'table':
      return renderTable(document, { width });
  }
}
