import { describe, expect, it } from 'vitest';
import { buildDashboard, HISTORY_HOURS, parseFilter, type DashboardInput } from '../../functions/src/core/dashboard/model.js';
import { renderDashboardPage } from '../../functions/src/core/dashboard/render.js';
import type { StoredFinding } from '../../functions/src/core/pipeline/finding-record.js';
import type { RegisteredCluster } from '../../functions/src/core/pipeline/registry.js';
import type { DeploymentRecord, StageRecord } from '../../functions/src/core/deploy/records.js';
import type { FirewallStack } from '../../functions/src/core/firewall/stack.js';
import { clusterIdOf, GENERATED_CLUSTERS, generatedClusters, generatedFindings, HOSTILE_ENTRY, WEBHOOK_PORTS } from '../helpers/dashboard-findings.js';

const NOW = new Date('2026-11-20T12:30:00Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();

function finding(id: string, changes: Partial<StoredFinding> = {}): StoredFinding {
  return {
    id,
    scope: 'acme-ml-prod:us-central1:kf-prod',
    project: 'acme-ml-prod',
    location: 'us-central1',
    cluster: 'kf-prod',
    rule: 'webhook-port-blocked',
    severity: 'error',
    title: 'Control plane cannot reach an admission webhook port',
    status: 'open',
    count: 3,
    firstSeen: hoursAgo(5),
    lastSeen: hoursAgo(1),
    flow: null,
    firewallRule: 'kf-prod-deny-all-ingress',
    firewallLayer: 'vpc-firewall',
    resources: [],
    explanation: 'The control plane cannot reach tcp:15017.',
    remediation: { summary: 'Allow tcp:15017 from the control plane.', gcloud: 'gcloud compute firewall-rules create kf-allow --allow=tcp:15017', manifest: null },
    evidenceOf: null,
    stateVersion: 1,
    statusChangedAt: hoursAgo(5),
    updatedAt: hoursAgo(1),
    samples: [],
    ...changes,
  };
}

const cluster: RegisteredCluster = {
  key: 'acme-ml-prod:us-central1:kf-prod',
  project: 'acme-ml-prod',
  location: 'us-central1',
  name: 'kf-prod',
  model: {} as RegisteredCluster['model'],
  registeredAt: hoursAgo(30),
  lastSweep: { at: hoursAgo(0.2), status: 'ok', openFindings: 2, unreadSources: ['compute-dns'] },
};

const deployment = { id: 'kf-prod-1', request: { name: 'kf-prod', project: 'acme-ml-prod' }, status: 'failed', failedStage: 'wait-cluster', reason: 'stuck', createdAt: hoursAgo(3), updatedAt: hoursAgo(2), startingAt: hoursAgo(3) } as DeploymentRecord;
const stage = (name: StageRecord['stage'], status: StageRecord['status'], from: number, to: number): StageRecord => ({ stage: name, status, attempt: 1, polls: 1, startedAt: hoursAgo(from), updatedAt: hoursAgo(to), finishedAt: hoursAgo(to), history: [] }) as unknown as StageRecord;

describe('the dashboard model', () => {
  const model = buildDashboard({
    now: NOW,
    findings: [
      finding('open-error'),
      finding('open-warning', { severity: 'warning', rule: 'iap-blocked', firstSeen: hoursAgo(1), count: 9 }),
      finding('resolved-an-hour-ago', { status: 'resolved', firstSeen: hoursAgo(10), statusChangedAt: hoursAgo(1) }),
    ],
    deployments: [{ deployment, stages: [stage('wait-cluster', 'failed', 2.5, 2), stage('preflight', 'succeeded', 3, 2.5)] }],
    clusters: [cluster],
  });

  it('counts open findings by severity and lists only open ones, most severe first', () => {
    expect(model.open).toEqual({ error: 1, warning: 1, info: 0 });
    expect(model.findings.map((each) => each.id)).toEqual(['open-error', 'open-warning']);
  });

  it('charts what was open at the end of each hour, counting a resolved finding until it was resolved', () => {
    expect(model.history).toHaveLength(HISTORY_HOURS);
    expect(model.history.at(-1)!.counts).toEqual({ error: 1, warning: 1, info: 0 });
    // At 11:00 the resolved one was still open and the warning not yet seen.
    const twoHoursAgo = model.history.at(-3)!;
    expect(twoHoursAgo.at).toBe('2026-11-20T11:00:00.000Z');
    expect(twoHoursAgo.counts).toEqual({ error: 2, warning: 0, info: 0 });
    expect(model.history[0]!.counts).toEqual({ error: 0, warning: 0, info: 0 });
  });

  it('puts stages in deployment order with their share of the time', () => {
    const [only] = model.deployments;
    expect(only!.stages.map((each) => each.stage)).toEqual(['preflight', 'wait-cluster']);
    expect(only!.stages.map((each) => each.share)).toEqual([0.5, 0.5]);
  });

  it('says which sources the last sweep could not read', () => {
    expect(model.clusters[0]).toMatchObject({ lastSweepStatus: 'ok', unreadSources: ['compute-dns'] });
    expect(renderDashboardPage(model, 'n0nce')).toContain('could not read compute-dns; their findings stay open');
  });
});

const filterOf = (query: string) => parseFilter(new URLSearchParams(query));

/** The 200 generated findings (and 10 closed ones) over four clusters, as the address `query` asks. */
const generated = (query = '', extra: Partial<DashboardInput> = {}) => buildDashboard({ now: NOW, findings: generatedFindings(NOW), deployments: [], clusters: generatedClusters(NOW), filter: filterOf(query), ...extra });
const [prod, eu] = GENERATED_CLUSTERS;

describe('the dashboard model: causes, filters and plans', () => {
  const all = generated();

  it('groups the findings into causes, most severe first, each finding naming its cause and each cause in one cluster', () => {
    expect(all.findings).toHaveLength(200);
    expect(all.causes).toHaveLength(24);
    expect(all.causes.slice(0, 4).map((cause) => cause.findings.length)).toEqual([41, 41, 41, 41]);
    expect(all.causes.map((cause) => cause.severity).indexOf('warning')).toBeGreaterThan(all.causes.map((cause) => cause.severity).lastIndexOf('error'));
    const causeById = new Map(all.causes.map((cause) => [cause.id, cause]));
    for (const finding of all.findings) {
      expect(causeById.get(finding.cause)!.findings).toContain(finding.id);
      expect(causeById.get(finding.cause)!.where).toBe(finding.where);
    }
    const webhook = all.causes.find((cause) => cause.where === clusterIdOf(prod))!;
    expect(webhook.title).toBe(`Firewall rule kf-prod-deny-all-ingress blocks the control plane from reaching the cluster on tcp ${WEBHOOK_PORTS.join(', ')}`);
    expect(webhook.summary).toMatch(/^Seen in firewall logs \(webhook-port-blocked: \d+×.*\); the API server \(webhook-call-failed: .*\); the configuration \(webhook-port-not-allowed: 20×/);
    // Stored before causes were recorded (no evidenceOf at all): a cause of its own.
    const iap = all.findings.filter((finding) => finding.rule === 'iap-blocked');
    expect(iap.map((finding) => causeById.get(finding.cause)!.findings)).toEqual(iap.map((finding) => [finding.id]));
  });

  it('carries each finding\'s evidence and its fix in every format it has', () => {
    const logged = all.findings.find((finding) => finding.rule === 'webhook-port-blocked' && finding.where === clusterIdOf(prod) && finding.evidence.entry === HOSTILE_ENTRY)!;
    expect(logged.evidence).toMatchObject({ flow: `172.16.0.32/28 → gke-kf-prod-7d1c4f2a-node tcp:9400`, firewallRule: 'kf-prod-deny-all-ingress', firewallLayer: 'vpc-firewall' });
    expect(logged.evidence.samples.map((sample) => sample.source)).toEqual(['insert-0-a', 'insert-0-b']);
    expect(logged.fix.gcloud).toMatch(/^gcloud compute firewall-rules create kf-prod-allow-webhook-tcp-9400-\w+ .*--allow=tcp:9400/);
    expect(logged.fix.manifest).toMatch(/^kind: ComputeFirewall$/m);
    expect(logged.fix.terraform).toMatch(/^resource "google_compute_firewall"/m);
  });

  it('narrows by severity, cluster and rule from the address, keeping causes\' ids and titles', () => {
    const titleOf = new Map(all.causes.map((cause) => [cause.id, cause.title]));
    const warnings = generated('severity=warning');
    expect(warnings.filter).toEqual({ severity: 'warning', cluster: null, rule: null, status: 'open' });
    expect(new Set(warnings.findings.map((finding) => finding.severity))).toEqual(new Set(['warning']));
    // The DNS causes hold an error and a warning: shown, with the error hidden.
    const dns = warnings.causes.filter((cause) => cause.title === 'Google API names do not resolve to the restricted VIP');
    expect(dns.map((cause) => [cause.findings.length, cause.shown.length])).toEqual([
      [2, 1],
      [2, 1],
      [2, 1],
      [2, 1],
    ]);
    const inEu = generated(`cluster=${encodeURIComponent(clusterIdOf(eu))}`);
    expect(inEu.findings).toHaveLength(50);
    expect(new Set([...inEu.findings.map((finding) => finding.where), ...inEu.causes.map((cause) => cause.where)])).toEqual(new Set([clusterIdOf(eu)]));
    const calls = generated('rule=webhook-call-failed');
    expect(calls.causes.map((cause) => cause.shown.length)).toEqual([1, 1, 1, 1]);
    expect(calls.causes.map((cause) => cause.findings.length)).toEqual([41, 41, 41, 41]);
    for (const cause of [...warnings.causes, ...inEu.causes, ...calls.causes]) expect(cause.title).toBe(titleOf.get(cause.id));
    const narrow = generated(`severity=error&cluster=${encodeURIComponent(clusterIdOf(prod))}&rule=webhook-port-not-allowed`);
    expect(narrow.causes.map((cause) => cause.shown.length)).toEqual([20]);
    expect(narrow.findings).toHaveLength(20);
  });

  it('shows resolved, muted or every finding when the status asks, while the counts and the plans stay those of open findings', () => {
    const resolved = generated('status=resolved');
    expect(resolved.findings.map((finding) => finding.status)).toEqual(Array(8).fill('resolved'));
    expect(resolved.open).toEqual(all.open);
    expect(resolved.plans.map((plan) => plan.where)).toEqual(all.plans.map((plan) => plan.where));
    expect(generated('status=muted').findings.map((finding) => finding.rule)).toEqual(['deny-logging-disabled', 'deny-logging-disabled']);
    expect(generated('status=any').findings).toHaveLength(210);
  });

  it('drops a filter value it does not know, and says which, without repeating the value', () => {
    const odd = generated(`severity=fatal&cluster=${encodeURIComponent('<i>x</i>')}&rule=no-such-rule&status=closed`);
    expect(odd.filter).toEqual({ severity: null, cluster: null, rule: null, status: 'open' });
    expect(odd.findings).toHaveLength(200);
    expect(odd.notes).toHaveLength(4);
    expect(odd.notes.join(' ')).toMatch(/severity other than error, warning or info.*names a cluster no finding.*names a rule no finding.*status other than open, resolved, muted or any/);
    const page = renderDashboardPage(odd, 'n');
    for (const value of ['fatal', 'no-such-rule', 'closed', '<i>x', '&#60;i&#62;x']) expect(page).not.toContain(value);
    expect(filterOf(`rule=${'r'.repeat(301)}`)).toEqual({ filter: { severity: null, cluster: null, rule: null, status: 'open' }, ignored: ['rule'] });
  });

  it('says when there may be more resolved or muted findings than it read', () => {
    expect(generated('status=resolved', { closedLimit: 8 }).notes).toEqual(['The resolved findings shown are the most recent: the page reads 8, and `kfguard findings --status resolved` lists them all.']);
    expect(generated('status=any', { closedLimit: 2 }).notes).toHaveLength(2);
    expect(generated('status=resolved', { closedLimit: 9 }).notes).toEqual([]);
    expect(generated('', { closedLimit: 2 }).notes).toEqual([]);
  });

  it('plans each cluster from its open findings, one rule for the 20 webhook ports, and says the plan is not proved', () => {
    expect(all.plans.map((plan) => plan.where)).toEqual(GENERATED_CLUSTERS.map(clusterIdOf).sort());
    const plan = all.plans.find((each) => each.where === clusterIdOf(prod))!.plan;
    expect(plan.verified).toBe(false);
    expect(plan.notes.at(-1)).toMatch(/^Not verified: .*`kfguard plan --cluster-id` \(the same findings, against the live network\) proves it\.$/);
    const [rule] = plan.changes;
    expect(rule).toMatchObject({ action: 'create', layer: 'vpc-firewall', resource: expect.stringMatching(/^projects\/acme-ml-prod\/global\/firewalls\/kf-prod-allow-from-control-plane-tcp-9400-9419-\w+$/) });
    expect(rule!.fixes).toHaveLength(41);
    expect(rule!.gcloud).toContain('--allow=tcp:9400-9419');
    expect(rule!.terraform).toMatch(/^resource "google_compute_firewall"/m);
    // Describing the operation fixes nothing: it is left unresolved, with its advice.
    expect(plan.unresolved).toEqual([{ finding: all.findings.find((finding) => finding.rule === 'operation-stuck' && finding.where === clusterIdOf(prod))!.id, why: 'See why the operation is stuck.' }]);
    expect(generated(`cluster=${encodeURIComponent(clusterIdOf(eu))}`).plans.map((each) => each.where)).toEqual([clusterIdOf(eu)]);
  });

  it('takes a cluster\'s firewall stack when the caller has one, so new rules hold no priority its rules do', () => {
    const stack: FirewallStack = { enforcementOrder: 'AFTER_CLASSIC_FIREWALL', orderKnown: true, policiesKnown: true, layers: [{ layer: 'vpc-firewall', rules: [], priorities: new Set([899, 898]) }] };
    const model = generated('', { stackOf: (scope) => (scope === clusterIdOf(prod) ? stack : undefined) });
    const priority = (where: string) => /--priority=(\d+)/.exec(model.plans.find((plan) => plan.where === where)!.plan.changes[0]!.gcloud!)![1];
    expect(priority(clusterIdOf(prod))).toBe('897');
    expect(priority(clusterIdOf(eu))).toBe('899');
  });

  it('names the Cloud Build log a stage result gives', () => {
    const logged = { ...stage('apply', 'succeeded', 2, 1), reason: 'Cloud Build b1 SUCCESS (logs: https://console.cloud.google.com/cloud-build/builds;region=us-central1/b1?project=123)' } as StageRecord;
    const model = buildDashboard({ now: NOW, findings: [], deployments: [{ deployment, stages: [logged, stage('preflight', 'succeeded', 3, 2)] }], clusters: [] });
    expect(model.deployments[0]!.stages.map((each) => each.logUrl)).toEqual([null, 'https://console.cloud.google.com/cloud-build/builds;region=us-central1/b1?project=123']);
  });
});

/** `&#38;` back to `&`: attribute values as a browser reads them. */
const unescape = (text: string): string => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
const idsOf = (html: string): string[] => [...html.matchAll(/\sid="([^"]*)"/g)].map((match) => unescape(match[1]!));

/**
 * Links that lead to no element: an in-page `#x` with no element `x`, or `?query#x` whose page
 * (rendered for that query) has none.
 */
function brokenLinks(query: string, input: Omit<DashboardInput, 'filter'>): string[] {
  const render = (address: string) => renderDashboardPage(buildDashboard({ ...input, filter: filterOf(address) }), 'n');
  const html = render(query);
  const ids = new Set(idsOf(html));
  const broken: string[] = [];
  for (const href of new Set([...html.matchAll(/\shref="([^"]*)"/g)].map((match) => unescape(match[1]!)))) {
    if (!href.includes('#')) continue;
    const [address, fragment] = href.split('#') as [string, string];
    const target = address === '' ? ids : new Set(idsOf(render(address.replace(/^\?/, ''))));
    if (!target.has(fragment)) broken.push(href);
  }
  return broken;
}

describe('the dashboard page', () => {
  it('escapes everything that came from logs, manifests and requests', () => {
    const hostile = '<script>alert(1)</script>';
    const page = renderDashboardPage(
      buildDashboard({
        now: NOW,
        findings: [finding('x', { title: hostile, explanation: `"><img src=x onerror=alert(1)>`, remediation: { summary: hostile, gcloud: `echo '${hostile}'`, manifest: null } })],
        deployments: [{ deployment: { ...deployment, id: `kf"<b>`, reason: hostile }, stages: [] }],
        clusters: [{ ...cluster, name: hostile }],
      }),
      'n0nce',
    );
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    // The one script on the page is the page's own, carrying the nonce.
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toContain('<script nonce="n0nce">');
  });

  it('escapes log entries, manifests, Terraform and the names causes are titled by', () => {
    const hostile = '<img src=x onerror=alert(2)>';
    const evidenceOf = { kind: 'blocked-flow', direction: 'INGRESS', far: 'control-plane', protocol: 'tcp', ports: [9443], rule: hostile } as const;
    const page = renderDashboardPage(
      buildDashboard({
        now: NOW,
        findings: [finding('x', { evidenceOf, firewallRule: hostile, resources: [hostile], samples: [{ time: hoursAgo(1), source: hostile, entry: HOSTILE_ENTRY }], remediation: { summary: 's', gcloud: null, manifest: `name: ${hostile}`, terraform: `# ${hostile}` } })],
        deployments: [],
        clusters: [],
      }),
      'n0nce',
    );
    expect(page).not.toContain('<img');
    expect(page).not.toContain('</pre><script>');
    expect(page).toContain(`Firewall rule &#60;img src=x onerror=alert(2)&#62; blocks the control plane`);
    expect(page.match(/<script/g)).toHaveLength(1);
  });

  it('says so when there is nothing to show', () => {
    const page = renderDashboardPage(buildDashboard({ now: NOW, findings: [], deployments: [], clusters: [] }), 'n');
    expect(page).toContain('No open findings.');
    expect(page).toContain('No open error finding: nothing to plan.');
    expect(page).toContain('No deployments.');
    expect(page).toContain('No registered clusters (kfguard clusters add).');
    expect(renderDashboardPage(generated('status=muted&severity=error'), 'n')).toContain('No finding matches the filters.');
  });

  it('links only to elements that exist: on the page, or on the page a filter link opens', () => {
    const input = { now: NOW, findings: generatedFindings(NOW), deployments: [], clusters: generatedClusters(NOW) };
    // A rule filter hides most findings the plans fix; the counts of a severity with none used to link to a missing heading.
    for (const query of ['', 'rule=webhook-call-failed', 'severity=info', `cluster=${encodeURIComponent(clusterIdOf(eu))}&status=any`, 'status=resolved']) expect(brokenLinks(query, input)).toEqual([]);
    const few = { now: NOW, findings: [finding('only-error')], deployments: [], clusters: [cluster] };
    expect(brokenLinks('', few)).toEqual([]);
    const page = renderDashboardPage(buildDashboard(few), 'n');
    expect(page).toContain('<span class="count" data-severity="info"');
    expect(page).not.toMatch(/href="[^"]*severity=info/);
    expect(brokenLinks('', { now: NOW, findings: [], deployments: [], clusters: [] })).toEqual([]);
  });

  it('stays readable with 200 findings: causes collapsed, each finding inside its cause with its evidence and its fix in three formats to copy', () => {
    const model = generated();
    const page = renderDashboardPage(model, 'n');
    const causes = page.split('<details class="cause"').slice(1);
    expect(causes).toHaveLength(24);
    expect(causes.filter((html) => /^[^>]*\sopen[\s>]/.test(html))).toEqual([]);
    causes.forEach((html, i) => {
      const inside = [...html.matchAll(/<details class="finding"[^>]* data-finding="([^"]+)"/g)].map((match) => match[1]);
      expect(inside).toEqual(model.causes[i]!.findings);
    });
    expect(page.match(/<details class="finding"/g)).toHaveLength(200);
    const ids = idsOf(page);
    expect(new Set(ids).size).toBe(ids.length);
    const targets = [...page.matchAll(/<button type="button" data-copy="([^"]+)">([^<]+)<\/button>/g)].map((match) => [unescape(match[1]!), match[2]!] as const);
    for (const [target] of targets) expect(ids).toContain(target);
    const webhook = model.findings.find((each) => each.rule === 'webhook-port-blocked')!;
    expect(targets.filter(([target]) => target.startsWith(`f-${webhook.id}-`))).toEqual([
      [`f-${webhook.id}-gcloud`, 'Copy gcloud'],
      [`f-${webhook.id}-manifest`, 'Copy YAML'],
      [`f-${webhook.id}-terraform`, 'Copy Terraform'],
    ]);
    const pre = (id: string) => unescape(new RegExp(`<pre id="${id}">([^<]*)</pre>`).exec(page)![1]!);
    expect(pre(`f-${webhook.id}-gcloud`)).toBe(webhook.fix.gcloud);
    expect(pre(`f-${webhook.id}-manifest`)).toBe(webhook.fix.manifest);
    expect(pre(`f-${webhook.id}-terraform`)).toBe(webhook.fix.terraform);
    expect(page).toContain(`<pre>${HOSTILE_ENTRY.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)}</pre>`);
  });

  it('shows times relative to when it was generated, with the absolute time on hover', () => {
    const page = renderDashboardPage(buildDashboard({ now: NOW, findings: [finding('x')], deployments: [{ deployment, stages: [] }], clusters: [] }), 'n');
    const lastSeen = hoursAgo(1);
    expect(page).toContain(`last seen <time datetime="${lastSeen}" title="${lastSeen}">1h ago</time>`);
    expect(page).toContain(`started <time datetime="${hoursAgo(3)}" title="${hoursAgo(3)}">3h ago</time>`);
    const ahead = new Date(NOW.getTime() + 5 * 60_000).toISOString();
    expect(renderDashboardPage(buildDashboard({ now: NOW, findings: [finding('x', { lastSeen: ahead })], deployments: [], clusters: [] }), 'n')).toContain(`<time datetime="${ahead}" title="${ahead}">in 5m</time>`);
  });

  it('labels the chart\'s axes: open findings up, the hour across, and a legend of severities', () => {
    const page = renderDashboardPage(generated(), 'n');
    const svg = /<svg[\s\S]*?<\/svg>/.exec(page)![0];
    const labels = (axis: string) => [...(new RegExp(`<g class="axis" data-axis="${axis}">(.*?)</g>`).exec(svg)![1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g))].map((match) => match[1]);
    expect(svg).toContain('data-peak="200"');
    expect(labels('y')).toEqual(['0', '100', '200']);
    // NOW is 12:30: the last bar is now, and every sixth before it ends on the hour.
    expect(labels('x')).toEqual(['19:00', '01:00', '07:00', 'now']);
    expect(svg).toMatch(/<text class="axis-title" data-axis="y"[^>]*>Open findings<\/text>/);
    expect(svg).toMatch(/<text class="axis-title" data-axis="x"[^>]*>Hour ending \(UTC\)<\/text>/);
    expect(page).toMatch(/<figcaption class="legend">.*error.*warning.*info.*<\/figcaption>/);
  });

  it('filters with a plain GET form, and links each count to its severity\'s causes', () => {
    const page = renderDashboardPage(generated(`severity=warning&cluster=${encodeURIComponent(clusterIdOf(eu))}`), 'n');
    const form = /<form class="filters" id="filters" method="get">.*?<\/form>/.exec(page)![0];
    expect([...form.matchAll(/<select name="(\w+)">/g)].map((match) => match[1])).toEqual(['severity', 'cluster', 'rule', 'status']);
    expect([...form.matchAll(/<option value="([^"]*)" selected>/g)].map((match) => unescape(match[1]!))).toEqual(['warning', clusterIdOf(eu), '', 'open']);
    expect([...form.matchAll(/<select name="status">(.*?)<\/select>/g)][0]![1]!.match(/<option/g)).toHaveLength(4);
    expect(form).toContain('<option value="webhook-call-failed">webhook-call-failed</option>');
    // A count keeps the cluster, and asks for open findings of its severity.
    expect(page).toContain(`<a class="count" href="?severity=error&#38;cluster=${encodeURIComponent(clusterIdOf(eu))}#causes" data-severity="error"`);
  });

  it('shows each cluster\'s plan, not verified, in the three formats, its changes linked to the findings they fix when the page shows them', () => {
    const model = generated();
    const page = renderDashboardPage(model, 'n');
    const index = model.plans.findIndex((plan) => plan.where === clusterIdOf(prod)) + 1;
    const plan = new RegExp(`<details class="plan" id="plan-${index}"[\\s\\S]*?</details>\\n(?=<details class="plan"|</section>)`).exec(page)![0];
    expect(plan).toContain('data-verified="false"');
    expect(plan).toContain('>not verified</span>');
    expect(plan).toContain('`kfguard plan --cluster-id` (the same findings, against the live network) proves it.');
    expect(unescape(/<pre id="plan-\d+-gcloud">([^<]*)<\/pre>/.exec(plan)![1]!)).toMatch(/^#!\/bin\/sh\n# kfguard plan: 4 changes fixing 46 findings, 1 unresolved\n/);
    expect(plan).toMatch(/<pre id="plan-\d+-manifest">[^<]*kind: ComputeFirewall/);
    expect(plan).toMatch(/<pre id="plan-\d+-terraform">[^<]*resource &#34;google_compute_firewall&#34;/);
    const fixes = model.plans[index - 1]!.plan.changes[0]!.fixes;
    for (const id of fixes) expect(plan).toContain(`<a href="#f-${id}"><code>${id.slice(0, 8)}</code></a>`);
    const narrowed = renderDashboardPage(generated('rule=webhook-call-failed'), 'n');
    const hidden = fixes.find((id) => !generated('rule=webhook-call-failed').findings.some((finding) => finding.id === id))!;
    expect(narrowed).not.toContain(`href="#f-${hidden}"`);
    expect(narrowed).toContain(`<code>${hidden.slice(0, 8)}</code>`);
  });

  it('links the Cloud Build logs that stage results name, and no other address', () => {
    const url = 'https://console.cloud.google.com/cloud-build/builds;region=us-central1/b1?project=123';
    const failed = { ...stage('apply', 'failed', 2, 1), reason: `Cloud Build b1 FAILURE: step 0 failed (logs: ${url}) see https://evil.example/x` } as StageRecord;
    const page = renderDashboardPage(buildDashboard({ now: NOW, findings: [], deployments: [{ deployment: { ...deployment, failedStage: 'apply', reason: failed.reason! }, stages: [failed] }], clusters: [] }), 'n');
    expect(page.match(/<a href="https:[^"]*"/g)).toEqual([`<a href="${url}"`, `<a href="${url}"`]);
    expect(page).toContain(`<a href="${url}" target="_blank" rel="noreferrer noopener">${url}</a>) see https://evil.example/x`);
    expect(page).toContain(`<tr data-stage="apply"><td>apply</td><td style="color:#c5221f">failed</td><td>1</td><td><time datetime="${hoursAgo(2)}" title="${hoursAgo(2)}">2h ago</time></td><td>1h</td>`);
  });
});
