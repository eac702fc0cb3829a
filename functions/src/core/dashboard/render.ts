import type { Severity } from '../findings/finding.js';
import type { DashboardCluster, DashboardDeployment, DashboardFinding, DashboardModel } from './model.js';

/** Everything shown comes from logs and configuration someone else controls: escape it all. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const SEVERITY_ORDER = ['error', 'warning', 'info'] as const;
const SEVERITY_COLOURS: Record<Severity, string> = { error: '#c5221f', warning: '#e37400', info: '#1a73e8' };
const SEVERITY_TITLES: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Information' };
const STATUS_COLOURS: Record<string, string> = { succeeded: '#188038', failed: '#c5221f', running: '#1a73e8', waiting: '#9aa0a6', retryable: '#e37400' };

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#202124;background:#f8f9fa}
header{background:#202124;color:#fff;padding:12px 24px;display:flex;align-items:baseline;gap:16px}
header h1{font-size:18px;margin:0}header span{color:#bdc1c6;font-size:12px}
main{padding:16px 24px;max-width:1200px}
section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:16px;margin-bottom:16px}
h2{font-size:16px;margin:0 0 12px}
#findings h2:not(:first-child){margin-top:20px}
.counts{display:flex;gap:12px;margin-bottom:12px}
.count{border-radius:6px;padding:6px 12px;color:#fff;font-weight:600;text-decoration:none}
nav a{color:#8ab4f8;margin-left:12px;font-size:13px}
.finding{border-top:1px solid #e8eaed;padding:10px 0}
.finding h3{font-size:14px;margin:0 0 4px}
.badge{display:inline-block;border-radius:4px;padding:0 6px;color:#fff;font-size:12px;margin-right:6px;text-transform:uppercase}
.meta{color:#5f6368;font-size:12px}
pre{background:#f1f3f4;padding:8px;border-radius:4px;overflow-x:auto;white-space:pre-wrap;margin:6px 0}
button{font:inherit;font-size:12px;cursor:pointer}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8eaed;vertical-align:top}
.timeline{display:flex;height:14px;border-radius:4px;overflow:hidden;margin:6px 0;background:#e8eaed}
.empty{color:#5f6368}
`;

// Copies the fix next to the button; the only script on the page (allowed by its CSP nonce).
const SCRIPT = `document.addEventListener('click',function(e){var b=e.target.closest('button[data-copy]');if(!b)return;var t=document.getElementById(b.getAttribute('data-copy')).textContent;navigator.clipboard.writeText(t).then(function(){b.textContent='Copied';},function(){b.textContent='Select and copy';});});`;

function chart(model: DashboardModel): string {
  const width = 600;
  const height = 120;
  const barWidth = width / model.history.length;
  const peak = Math.max(1, ...model.history.map(({ counts }) => counts.error + counts.warning + counts.info));
  const bars = model.history.map(({ at, counts }, i) => {
    let y = height;
    return SEVERITY_ORDER.map((severity) => {
      const h = (counts[severity] / peak) * (height - 10);
      y -= h;
      return h > 0 ? `<rect x="${(i * barWidth + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${SEVERITY_COLOURS[severity]}"><title>${escapeHtml(at)}: ${counts[severity]} ${severity}</title></rect>` : '';
    }).join('');
  });
  return `<svg role="img" aria-label="Open findings per hour over the last ${model.history.length} hours, by severity" viewBox="0 0 ${width} ${height}" width="100%" height="${height}" preserveAspectRatio="none" data-peak="${peak}">${bars.join('')}</svg><div class="meta">Open findings per hour, last ${model.history.length} hours (peak ${peak})</div>`;
}

function findingHtml(finding: DashboardFinding, index: number): string {
  const copyId = `fix-${index}`;
  const copyable = finding.copyable
    ? `<pre id="${copyId}">${escapeHtml(finding.copyable)}</pre><button type="button" data-copy="${copyId}">Copy fix</button>`
    : '';
  return `<article class="finding" data-rule="${escapeHtml(finding.rule)}" data-severity="${finding.severity}">
<h3><span class="badge" style="background:${SEVERITY_COLOURS[finding.severity]}">${finding.severity}</span>${escapeHtml(finding.title)}</h3>
<div class="meta">${escapeHtml(finding.rule)} · ${escapeHtml(finding.where)} · ${finding.count}× · last seen ${escapeHtml(finding.lastSeen ?? 'never')}</div>
<details><summary>Why</summary><p>${escapeHtml(finding.explanation)}</p></details>
<p><strong>Fix:</strong> ${escapeHtml(finding.fix)}</p>${copyable}
</article>`;
}

function summarySection(model: DashboardModel): string {
  const counts = SEVERITY_ORDER.map((severity) => `<a class="count" href="#${severity}" data-severity="${severity}" style="background:${SEVERITY_COLOURS[severity]}">${model.open[severity]} ${severity}</a>`).join('');
  return `<section id="summary"><h2>Open findings</h2><div class="counts">${counts}</div>${chart(model)}</section>`;
}

/** The findings, most severe first, under one heading per severity so a long list stays navigable. */
function findingsSection(model: DashboardModel): string {
  if (model.findings.length === 0) return '<section id="findings"><h2>Findings</h2><p class="empty">No open findings.</p></section>';
  let index = 0;
  const groups = SEVERITY_ORDER.map((severity) => {
    const findings = model.findings.filter((finding) => finding.severity === severity);
    if (findings.length === 0) return '';
    return `<h2 id="${severity}">${SEVERITY_TITLES[severity]} (${findings.length})</h2>${findings.map((finding) => findingHtml(finding, index++)).join('\n')}`;
  });
  return `<section id="findings">${groups.join('')}</section>`;
}

function deploymentHtml(deployment: DashboardDeployment): string {
  const bar = deployment.stages
    .map((stage) => `<span title="${escapeHtml(`${stage.stage}: ${stage.status} (${stage.duration})`)}" style="flex:${Math.max(stage.share, 0.02).toFixed(3)};background:${STATUS_COLOURS[stage.status] ?? '#9aa0a6'};border-right:1px solid #fff"></span>`)
    .join('');
  const rows = deployment.stages
    .map((stage) => `<tr data-stage="${escapeHtml(stage.stage)}"><td>${escapeHtml(stage.stage)}</td><td style="color:${STATUS_COLOURS[stage.status] ?? '#202124'}">${escapeHtml(stage.status)}</td><td>${stage.attempt}</td><td>${escapeHtml(stage.duration)}</td><td>${escapeHtml(stage.reason)}</td></tr>`)
    .join('');
  const failure = deployment.failedStage ? `<p><strong>Failed at ${escapeHtml(deployment.failedStage)}:</strong> ${escapeHtml(deployment.reason ?? '')}</p>` : '';
  return `<article class="deployment" data-deployment="${escapeHtml(deployment.id)}" data-status="${escapeHtml(deployment.status)}">
<h3>${escapeHtml(deployment.id)} <span class="meta">${escapeHtml(deployment.name)} in ${escapeHtml(deployment.project)} · ${escapeHtml(deployment.status)} · started ${escapeHtml(deployment.createdAt)}</span></h3>
<div class="timeline" aria-hidden="true">${bar}</div>${failure}
<table><thead><tr><th>Stage</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>
</article>`;
}

function clusterRow(cluster: DashboardCluster): string {
  return `<tr data-cluster="${escapeHtml(cluster.key)}"><td>${escapeHtml(cluster.name)}</td><td>${escapeHtml(cluster.project)}</td><td>${escapeHtml(cluster.location)}</td><td>${escapeHtml(cluster.lastSweepAt ?? '—')}</td><td>${escapeHtml(cluster.lastSweepStatus)}${cluster.error ? `: ${escapeHtml(cluster.error)}` : ''}${cluster.unreadSources.length > 0 ? `<div class="meta">could not read ${escapeHtml(cluster.unreadSources.join(', '))}; their findings stay open</div>` : ''}</td><td>${cluster.openFindings ?? '—'}</td></tr>`;
}

/** The whole page: server-rendered, no framework, one small script for the copy buttons. */
export function renderDashboardPage(model: DashboardModel, scriptNonce: string): string {
  const deployments = model.deployments.length > 0 ? model.deployments.map(deploymentHtml).join('\n') : '<p class="empty">No deployments.</p>';
  const clusters =
    model.clusters.length > 0
      ? `<table><thead><tr><th>Cluster</th><th>Project</th><th>Location</th><th>Last sweep</th><th>Result</th><th>Open findings</th></tr></thead><tbody>${model.clusters.map(clusterRow).join('')}</tbody></table>`
      : '<p class="empty">No registered clusters (kfguard clusters add).</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="30"><title>kfguard</title><link rel="icon" href="data:,"><style>${CSS}</style></head>
<body><header><h1>kfguard</h1><span>Kubeflow on private GKE · generated ${escapeHtml(model.generatedAt)}</span><nav><a href="#findings">Findings</a><a href="#deployments">Deployments</a><a href="#clusters">Clusters</a></nav></header>
<main>${summarySection(model)}
<section id="deployments"><h2>Deployments</h2>${deployments}</section>
<section id="clusters"><h2>Clusters</h2>${clusters}</section>
${findingsSection(model)}</main>
<script nonce="${escapeHtml(scriptNonce)}">${SCRIPT}</script></body></html>
`;
}
