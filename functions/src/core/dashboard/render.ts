import { SEVERITIES, type Severity } from '../findings/finding.js';
import { shortId } from '../report/findings-report.js';
import { renderPlan } from '../report/plan-report.js';
import { formatDuration } from '../report/text.js';
import { CLOUD_BUILD_LOG_URL, STATUS_FILTERS, type DashboardCause, type DashboardCluster, type DashboardDeployment, type DashboardFilter, type DashboardFinding, type DashboardModel, type DashboardPlan } from './model.js';

/** Everything shown comes from logs and configuration someone else controls: escape it all. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const SEVERITY_COLOURS: Record<Severity, string> = { error: '#c5221f', warning: '#e37400', info: '#1a73e8' };
const STATUS_COLOURS: Record<string, string> = { succeeded: '#188038', failed: '#c5221f', running: '#1a73e8', waiting: '#9aa0a6', retryable: '#e37400' };
const FINDING_STATUS_COLOURS: Record<string, string> = { open: '#c5221f', resolved: '#188038', muted: '#5f6368' };

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;background:#f8f9fa}
header{background:#202124;color:#fff;padding:12px 24px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header span{color:#bdc1c6;font-size:12px}
main{padding:16px 24px;max-width:1200px}
section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:16px;margin-bottom:16px}
h2{font-size:16px;margin:0 0 12px}h3{font-size:14px;margin:0 0 6px}h4{font-size:13px;margin:12px 0 4px}
.counts{display:flex;gap:12px;margin-bottom:12px}
.count{border-radius:6px;padding:6px 12px;color:#fff;font-weight:600;text-decoration:none}
span.count{opacity:.45}
nav a{color:#8ab4f8;margin-left:12px;font-size:13px}
.chart svg{display:block;width:100%;max-width:760px;height:auto}
.chart text{font-size:11px;fill:#5f6368}.chart .axis-title{font-size:12px;fill:#202124}
.legend{display:flex;gap:14px;font-size:12px;color:#5f6368;margin-top:4px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin-bottom:12px;padding:8px 10px;background:#f1f3f4;border-radius:6px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:#5f6368}
.filters select{font:inherit;max-width:280px}
.notes{margin:6px 0;padding-left:18px;color:#5f6368}
details.cause{border-top:1px solid #e8eaed;padding:8px 0}
details.cause>summary{cursor:pointer;font-weight:600}
details.cause>summary .meta{font-weight:400}
.cause-body{margin:6px 0 0 18px}
details.finding{border-left:3px solid #e8eaed;margin:6px 0;padding:2px 0 2px 10px}
details.finding>summary{cursor:pointer}
.finding-body{margin:6px 0 10px}
.badge{display:inline-block;border-radius:4px;padding:0 6px;color:#fff;font-size:12px;font-weight:600;margin-right:6px;text-transform:uppercase}
.meta{color:#5f6368;font-size:12px}
dl.evidence{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0;font-size:13px}
dl.evidence dt{color:#5f6368}dl.evidence dd{margin:0;overflow-wrap:anywhere}
dl.evidence ul{margin:0;padding-left:16px}
pre{background:#f1f3f4;padding:8px;border-radius:4px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0;font-size:12px;max-height:420px;overflow-y:auto}
.format{position:relative;margin:4px 0}
.format>details>summary{cursor:pointer;font-size:13px}
.format>button{position:absolute;top:0;right:0}
button{font:inherit;font-size:12px;cursor:pointer}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8eaed;vertical-align:top}
td.long{overflow-wrap:anywhere}
details.plan,article.deployment{border-top:1px solid #e8eaed;padding:10px 0}
details.plan>summary{cursor:pointer}
tr[data-change] td:first-child code{white-space:nowrap}
.timeline{display:flex;height:14px;border-radius:4px;overflow:hidden;margin:6px 0;background:#e8eaed}
.empty{color:#5f6368}
`;

// Copies the text the button names; where the clipboard is not available (a page not served over
// HTTPS or from localhost) it selects the text instead. The only script on the page, allowed by its CSP nonce.
const SCRIPT = `document.addEventListener('click',function(e){var b=e.target.closest('button[data-copy]');if(!b)return;var p=document.getElementById(b.getAttribute('data-copy'));function select(){var d=p.closest('details');if(d)d.open=true;var r=document.createRange();r.selectNodeContents(p);var s=getSelection();s.removeAllRanges();s.addRange(r);b.textContent='Selected: press Ctrl+C';}if(!navigator.clipboard){select();return;}navigator.clipboard.writeText(p.textContent).then(function(){b.textContent='Copied';},select);});`;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "5m ago" (or "in 5m", for a clock ahead of this one), with the absolute time on hover. */
function timeHtml(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return escapeHtml(iso);
  const seconds = Math.round((now - at) / 1000);
  const text = seconds === 0 ? 'just now' : seconds > 0 ? `${formatDuration(seconds)} ago` : `in ${formatDuration(-seconds)}`;
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${text}</time>`;
}

/** Cloud Build console addresses in a stage's text become links; the rest stays text. */
function linkedText(text: string): string {
  let html = '';
  let from = 0;
  for (const match of text.matchAll(CLOUD_BUILD_LOG_URL)) {
    html += `${escapeHtml(text.slice(from, match.index))}<a href="${escapeHtml(match[0])}" target="_blank" rel="noreferrer noopener">${escapeHtml(match[0])}</a>`;
    from = match.index + match[0].length;
  }
  return html + escapeHtml(text.slice(from));
}

/** The address of the page with `filter`, opened at `fragment`: the defaults are left out. */
function filterHref(filter: DashboardFilter, fragment: string): string {
  const params: [string, string][] = [];
  if (filter.severity) params.push(['severity', filter.severity]);
  if (filter.cluster) params.push(['cluster', filter.cluster]);
  if (filter.rule) params.push(['rule', filter.rule]);
  if (filter.status !== 'open') params.push(['status', filter.status]);
  return escapeHtml(`?${params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}#${fragment}`);
}

/** What the page is rendered against: its time, and which findings it shows (only those can be linked to). */
interface Page {
  now: number;
  filter: DashboardFilter;
  findings: ReadonlyMap<string, DashboardFinding>;
}

const findingAnchor = (id: string): string => `f-${id}`;

/** A finding's short id, linked to it when the page shows it. */
function findingRef(id: string, page: Page): string {
  const text = `<code>${escapeHtml(shortId(id))}</code>`;
  return page.findings.has(id) ? `<a href="#${escapeHtml(findingAnchor(id))}">${text}</a>` : text;
}

const CHART = { width: 720, height: 210, left: 50, right: 12, top: 10, bottom: 46 };
const TICK_EVERY_HOURS = 6;

function chart(model: DashboardModel): string {
  const { width, height, left, right, top, bottom } = CHART;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const base = top + plotHeight;
  const barWidth = plotWidth / model.history.length;
  const totals = model.history.map(({ counts }) => counts.error + counts.warning + counts.info);
  const peak = Math.max(1, ...totals);
  const y = (value: number): number => base - (value / peak) * plotHeight;
  const bars = model.history.map(({ at, counts }, i) => {
    let stacked = 0;
    return SEVERITIES.map((severity) => {
      const from = y(stacked);
      stacked += counts[severity];
      const h = from - y(stacked);
      return h > 0 ? `<rect x="${(left + i * barWidth + 1).toFixed(1)}" y="${y(stacked).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${SEVERITY_COLOURS[severity]}"><title>${escapeHtml(at)}: ${counts[severity]} ${severity}</title></rect>` : '';
    }).join('');
  });
  const yTicks = [...new Set([0, Math.round(peak / 2), peak])];
  const yAxis = yTicks
    .map((tick) => `<line x1="${left - 4}" x2="${left + plotWidth}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="${tick === 0 ? '#5f6368' : '#e8eaed'}"/><text x="${left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${tick}</text>`)
    .join('');
  const last = model.history.length - 1;
  const xAxis = model.history
    .map(({ at }, i) => {
      if ((last - i) % TICK_EVERY_HOURS !== 0) return '';
      const x = (left + (i + 0.5) * barWidth).toFixed(1);
      return `<line x1="${x}" x2="${x}" y1="${base}" y2="${base + 4}" stroke="#5f6368"/><text x="${x}" y="${base + 16}" text-anchor="middle">${i === last ? 'now' : escapeHtml(at.slice(11, 16))}</text>`;
    })
    .join('');
  const label = `Open findings per hour over the last ${model.history.length} hours, by severity (peak ${peak})`;
  const legend = SEVERITIES.map((severity) => `<span><span class="swatch" style="background:${SEVERITY_COLOURS[severity]}"></span>${severity}</span>`).join('');
  return `<figure class="chart" style="margin:0"><svg role="img" aria-label="${label}" viewBox="0 0 ${width} ${height}" data-peak="${peak}">
<g class="axis" data-axis="y">${yAxis}</g><g class="bars">${bars.join('')}</g><g class="axis" data-axis="x">${xAxis}</g>
<text class="axis-title" data-axis="y" transform="rotate(-90)" x="${-(top + plotHeight / 2)}" y="14" text-anchor="middle">Open findings</text>
<text class="axis-title" data-axis="x" x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">Hour ending (UTC)</text>
</svg><figcaption class="legend">${legend}</figcaption></figure>`;
}

function summarySection(model: DashboardModel): string {
  const counts = SEVERITIES.map((severity) => {
    const style = `style="background:${SEVERITY_COLOURS[severity]}"`;
    const text = `${model.open[severity]} ${severity}`;
    // A count of nothing links nowhere: there is nothing to show for it.
    return model.open[severity] > 0 ? `<a class="count" href="${filterHref({ ...model.filter, severity, status: 'open' }, 'causes')}" data-severity="${severity}" ${style}>${text}</a>` : `<span class="count" data-severity="${severity}" ${style}>${text}</span>`;
  }).join('');
  return `<section id="summary"><h2>Open findings</h2><div class="counts">${counts}</div>${chart(model)}</section>`;
}

function selectHtml(name: string, label: string, values: readonly string[], selected: string | null, any: string | null): string {
  const options = [...(any === null ? [] : [['', any] as const]), ...values.map((value) => [value, value] as const)]
    .map(([value, text]) => `<option value="${escapeHtml(value)}"${value === (selected ?? '') ? ' selected' : ''}>${escapeHtml(text)}</option>`)
    .join('');
  return `<label>${label}<select name="${name}">${options}</select></label>`;
}

/** A plain GET form: filtering needs no script, and the address says what is shown. */
function filterForm(model: DashboardModel): string {
  const { filter, options } = model;
  return `<form class="filters" id="filters" method="get">${selectHtml('severity', 'Severity', SEVERITIES, filter.severity, 'any')}${selectHtml('cluster', 'Cluster', options.clusters, filter.cluster, 'any')}${selectHtml('rule', 'Rule', options.rules, filter.rule, 'any')}${selectHtml('status', 'Status', STATUS_FILTERS, filter.status, null)}<button type="submit">Filter</button><a href="?#causes">Clear</a></form>`;
}

const FORMATS = [
  ['gcloud', 'gcloud', 'Copy gcloud'],
  ['manifest', 'Config Connector YAML', 'Copy YAML'],
  ['terraform', 'Terraform', 'Copy Terraform'],
] as const;

type FormatTexts = Record<(typeof FORMATS)[number][0], string | null>;

/** Each format a fix comes in, the first open, each with a copy button for its text. */
function formatsHtml(prefix: string, texts: FormatTexts, labels: Partial<Record<keyof FormatTexts, string>> = {}): string {
  const present = FORMATS.filter(([key]) => texts[key]);
  return `<div class="formats">${present
    .map(([key, label, button], i) => {
      const id = escapeHtml(`${prefix}-${key}`);
      return `<div class="format" data-format="${key}"><details${i === 0 ? ' open' : ''}><summary>${labels[key] ?? label}</summary><pre id="${id}">${escapeHtml(texts[key]!)}</pre></details><button type="button" data-copy="${id}">${button}</button></div>`;
    })
    .join('')}</div>`;
}

function evidenceHtml(finding: DashboardFinding, page: Page): string {
  const { evidence } = finding;
  const rows: [string, string][] = [['Where', escapeHtml(finding.where)]];
  if (evidence.flow) rows.push(['Flow', `<code>${escapeHtml(evidence.flow)}</code>`]);
  if (evidence.firewallRule) rows.push(['Deciding rule', `${escapeHtml(evidence.firewallRule)}${evidence.firewallLayer ? ` <span class="meta">(${escapeHtml(evidence.firewallLayer)})</span>` : ''}`]);
  rows.push(['Seen', `${finding.count}×, first ${timeHtml(finding.firstSeen, page.now)}, last ${timeHtml(finding.lastSeen, page.now)}`]);
  rows.push(['Status', `${escapeHtml(finding.status)} since ${timeHtml(finding.statusChangedAt, page.now)}`]);
  if (evidence.resources.length > 0) rows.push(['Resources', escapeHtml(evidence.resources.join(', '))]);
  if (evidence.samples.length > 0) rows.push(['Events', `<ul>${evidence.samples.map((sample) => `<li>${timeHtml(sample.time, page.now)} · <code>${escapeHtml(sample.source)}</code></li>`).join('')}</ul>`]);
  const entry = evidence.entry ? `<details class="entry"><summary>Newest log entry</summary><pre>${escapeHtml(evidence.entry)}</pre></details>` : '';
  return `<dl class="evidence">${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>${entry}`;
}

function findingHtml(finding: DashboardFinding, page: Page): string {
  const anchor = escapeHtml(findingAnchor(finding.id));
  const status = finding.status === 'open' ? '' : `<span class="badge" style="background:${FINDING_STATUS_COLOURS[finding.status]}">${finding.status}</span>`;
  return `<details class="finding" id="${anchor}" data-finding="${escapeHtml(finding.id)}" data-rule="${escapeHtml(finding.rule)}" data-severity="${finding.severity}" data-status="${finding.status}" data-cluster="${escapeHtml(finding.where)}">
<summary><span class="badge" style="background:${SEVERITY_COLOURS[finding.severity]}">${finding.severity}</span>${status}${escapeHtml(finding.title)} <span class="meta">${escapeHtml(finding.rule)}${finding.evidence.flow ? ` · ${escapeHtml(finding.evidence.flow)}` : ''} · ${finding.count}× · last seen ${timeHtml(finding.lastSeen, page.now)} · <code>${escapeHtml(shortId(finding.id))}</code></span></summary>
<div class="finding-body"><p>${escapeHtml(finding.explanation)}</p>${evidenceHtml(finding, page)}
<p><strong>Fix:</strong> ${escapeHtml(finding.fix.summary)}</p>${formatsHtml(anchor, finding.fix)}</div>
</details>`;
}

function causeHtml(cause: DashboardCause, page: Page): string {
  const findings = cause.shown.map((id) => page.findings.get(id)!);
  const lastSeen = findings.map((finding) => finding.lastSeen).filter((time): time is string => time !== null).sort().at(-1) ?? null;
  const hidden = cause.findings.length - cause.shown.length;
  const more = hidden > 0 ? `<p class="meta">${plural(hidden, 'more finding')} of this cause ${hidden === 1 ? 'is' : 'are'} hidden by the filters: <a href="${filterHref({ ...page.filter, severity: null, rule: null }, `cause-${cause.id}`)}">show ${hidden === 1 ? 'it' : 'them'}</a>.</p>` : '';
  return `<details class="cause" id="${escapeHtml(`cause-${cause.id}`)}" data-cause="${escapeHtml(cause.id)}" data-severity="${cause.severity}" data-cluster="${escapeHtml(cause.where)}">
<summary><span class="badge" style="background:${SEVERITY_COLOURS[cause.severity]}">${cause.severity}</span>${escapeHtml(cause.title)} <span class="meta">${escapeHtml(cause.where)} · ${plural(cause.findings.length, 'finding')} · last seen ${timeHtml(lastSeen, page.now)}</span></summary>
<div class="cause-body"><p class="meta">${escapeHtml(cause.summary)}</p>${findings.map((finding) => findingHtml(finding, page)).join('\n')}${more}</div>
</details>`;
}

const filtered = (filter: DashboardFilter): boolean => filter.severity !== null || filter.cluster !== null || filter.rule !== null;

function causesSection(model: DashboardModel, page: Page): string {
  const { filter } = model;
  const which = filter.status === 'any' ? '' : `${filter.status} `;
  const notes = model.notes.length > 0 ? `<ul class="notes">${model.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>` : '';
  const empty = filtered(filter) ? 'No finding matches the filters.' : `No ${which}findings.`;
  const body =
    model.causes.length === 0
      ? `<p class="empty">${empty}</p>`
      : `<p class="meta">${plural(model.causes.length, 'cause')} of ${plural(model.findings.length, `${which}finding`)}${filtered(filter) ? ' the filters keep' : ''}, most severe first: open one for its findings, their evidence and fixes.</p>${model.causes.map((cause) => causeHtml(cause, page)).join('\n')}`;
  return `<section id="causes"><h2>Causes</h2>${filterForm(model)}${notes}${body}</section>`;
}

function planHtml(entry: DashboardPlan, index: number, page: Page, open: boolean): string {
  const { plan } = entry;
  const fixed = new Set(plan.changes.flatMap((change) => change.fixes)).size;
  const rows = plan.changes
    .map((change) => `<tr data-change="${escapeHtml(change.id)}"><td><code>${escapeHtml(change.id)}</code></td><td>${change.action}</td><td class="long">${escapeHtml(change.resource)}</td><td>${escapeHtml(change.layer ?? '')}</td><td class="long">${change.fixes.map((id) => findingRef(id, page)).join(' ')}</td></tr>`)
    .join('');
  const changes =
    plan.changes.length > 0
      ? `<table><thead><tr><th>Change</th><th>Action</th><th>Resource</th><th>Layer</th><th>Fixes</th></tr></thead><tbody>${rows}</tbody></table><h4>The whole plan</h4>${formatsHtml(`plan-${index}`, { gcloud: renderPlan(plan, 'shell'), manifest: renderPlan(plan, 'manifests'), terraform: renderPlan(plan, 'terraform') }, { gcloud: 'gcloud script' })}`
      : '';
  const unresolved = plan.unresolved.length > 0 ? `<h4>Unresolved</h4><ul>${plan.unresolved.map((item) => `<li>${findingRef(item.finding, page)}: ${escapeHtml(item.why)}</li>`).join('')}</ul>` : '';
  const verdict = plan.verified ? ['#188038', 'verified'] : ['#5f6368', 'not verified'];
  return `<details class="plan" id="plan-${index}" data-cluster="${escapeHtml(entry.where)}" data-verified="${plan.verified}"${open ? ' open' : ''}>
<summary><strong>${escapeHtml(entry.where)}</strong> <span class="badge" style="background:${verdict[0]}">${verdict[1]}</span><span class="meta">${plural(plan.changes.length, 'change')} fixing ${plural(fixed, 'finding')}, ${plan.unresolved.length} unresolved</span></summary>
<ul class="notes">${plan.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>${changes}${unresolved}
</details>`;
}

function plansSection(model: DashboardModel, page: Page): string {
  const body = model.plans.length > 0 ? model.plans.map((plan, i) => planHtml(plan, i + 1, page, model.plans.length === 1)).join('\n') : '<p class="empty">No open error finding: nothing to plan.</p>';
  return `<section id="plans"><h2>Plans</h2><p class="meta">One change set per cluster for its open error findings, whatever the filters.</p>${body}</section>`;
}

function deploymentHtml(deployment: DashboardDeployment, page: Page): string {
  const bar = deployment.stages
    .map((stage) => `<span title="${escapeHtml(`${stage.stage}: ${stage.status} (${stage.duration})`)}" style="flex:${Math.max(stage.share, 0.02).toFixed(3)};background:${STATUS_COLOURS[stage.status] ?? '#9aa0a6'};border-right:1px solid #fff"></span>`)
    .join('');
  const rows = deployment.stages
    .map((stage) => `<tr data-stage="${escapeHtml(stage.stage)}"><td>${escapeHtml(stage.stage)}</td><td style="color:${STATUS_COLOURS[stage.status] ?? '#202124'}">${escapeHtml(stage.status)}</td><td>${stage.attempt}</td><td>${timeHtml(stage.startedAt, page.now)}</td><td>${escapeHtml(stage.duration)}</td><td class="long">${linkedText(stage.reason)}</td></tr>`)
    .join('');
  const failure = deployment.failedStage ? `<p><strong>Failed at ${escapeHtml(deployment.failedStage)}:</strong> ${linkedText(deployment.reason ?? '')}</p>` : '';
  return `<article class="deployment" data-deployment="${escapeHtml(deployment.id)}" data-status="${escapeHtml(deployment.status)}">
<h3>${escapeHtml(deployment.id)} <span class="meta">${escapeHtml(deployment.name)} in ${escapeHtml(deployment.project)} · ${escapeHtml(deployment.status)} · started ${timeHtml(deployment.createdAt, page.now)}</span></h3>
<div class="timeline" aria-hidden="true">${bar}</div>${failure}
<table><thead><tr><th>Stage</th><th>Status</th><th>Attempts</th><th>Started</th><th>Duration</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>
</article>`;
}

function clusterRow(cluster: DashboardCluster, model: DashboardModel, page: Page): string {
  const plan = model.plans.findIndex((each) => each.where === cluster.key);
  const links = [`<a href="${filterHref({ ...page.filter, severity: null, rule: null, cluster: cluster.key }, 'causes')}">causes</a>`, ...(plan >= 0 ? [`<a href="#plan-${plan + 1}">plan</a>`] : [])].join(' · ');
  const unread = cluster.unreadSources.length > 0 ? `<div class="meta">could not read ${escapeHtml(cluster.unreadSources.join(', '))}; their findings stay open</div>` : '';
  return `<tr data-cluster="${escapeHtml(cluster.key)}"><td>${escapeHtml(cluster.name)}</td><td>${escapeHtml(cluster.project)}</td><td>${escapeHtml(cluster.location)}</td><td>${cluster.lastSweepAt === null ? '—' : timeHtml(cluster.lastSweepAt, page.now)}</td><td>${escapeHtml(cluster.lastSweepStatus)}${cluster.error ? `: ${escapeHtml(cluster.error)}` : ''}${unread}</td><td>${cluster.openFindings ?? '—'}</td><td>${links}</td></tr>`;
}

/** The whole page: server-rendered, no framework, one small script for the copy buttons. */
export function renderDashboardPage(model: DashboardModel, scriptNonce: string): string {
  const page: Page = { now: Date.parse(model.generatedAt), filter: model.filter, findings: new Map(model.findings.map((finding) => [finding.id, finding])) };
  const deployments = model.deployments.length > 0 ? model.deployments.map((deployment) => deploymentHtml(deployment, page)).join('\n') : '<p class="empty">No deployments.</p>';
  const clusters =
    model.clusters.length > 0
      ? `<table><thead><tr><th>Cluster</th><th>Project</th><th>Location</th><th>Last sweep</th><th>Result</th><th>Open findings</th><th></th></tr></thead><tbody>${model.clusters.map((cluster) => clusterRow(cluster, model, page)).join('')}</tbody></table>`
      : '<p class="empty">No registered clusters (kfguard clusters add).</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>kfguard</title><link rel="icon" href="data:,"><style>${CSS}</style></head>
<body><header><h1>kfguard</h1><span>Kubeflow on private GKE · generated ${escapeHtml(model.generatedAt)}</span><nav><a href="#causes">Causes</a><a href="#plans">Plans</a><a href="#deployments">Deployments</a><a href="#clusters">Clusters</a></nav></header>
<main>${summarySection(model)}
${causesSection(model, page)}
${plansSection(model, page)}
<section id="deployments"><h2>Deployments</h2>${deployments}</section>
<section id="clusters"><h2>Clusters</h2>${clusters}</section></main>
<script nonce="${escapeHtml(scriptNonce)}">${SCRIPT}</script></body></html>
`;
}
