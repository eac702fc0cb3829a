import { randomBytes } from 'node:crypto';
import { buildDashboard, HISTORY_HOURS, parseFilter, type DashboardModel } from '../../core/dashboard/model.js';
import { renderDashboardPage } from '../../core/dashboard/render.js';
import type { FindingStatus } from '../../core/pipeline/finding-record.js';
import { firestore } from '../firestore/client.js';
import { DeploymentStore } from '../firestore/deployments.js';
import { FindingStore } from '../firestore/findings.js';
import { ClusterRegistry } from '../firestore/registry.js';
import type { HttpHandler } from '../runtime/functions-framework.js';

/** Deployments shown, newest first. */
const DEPLOYMENTS_SHOWN = 20;
/** Resolved findings, and muted ones, read at most when the status filter asks for them: the latest to change. */
const CLOSED_SHOWN = 200;

/** The page's data for the filter in `query`; resolved and muted findings are read only when it asks for them. */
export async function loadDashboard(now: Date, query: URLSearchParams): Promise<DashboardModel> {
  const db = firestore();
  const findings = new FindingStore(db);
  const deployments = new DeploymentStore(db);
  const filter = parseFilter(query);
  const closed: FindingStatus[] = filter.filter.status === 'any' ? ['resolved', 'muted'] : filter.filter.status === 'open' ? [] : [filter.filter.status];
  const since = new Date(now.getTime() - HISTORY_HOURS * 3_600_000).toISOString();
  const [open, changed, latest, recent, clusters] = await Promise.all([
    findings.list({ status: 'open' }),
    findings.changedSince(since),
    Promise.all(closed.map((status) => findings.latestIn(status, CLOSED_SHOWN))),
    deployments.recent(DEPLOYMENTS_SHOWN),
    new ClusterRegistry(db, 0).list(),
  ]);
  const byId = new Map([...latest.flat(), ...changed, ...open].map((finding) => [finding.id, finding]));
  const withStages = await Promise.all(recent.map(async (deployment) => ({ deployment, stages: await deployments.stages(deployment.id) })));
  return buildDashboard({ now, findings: [...byId.values()], deployments: withStages, clusters, filter, closedLimit: CLOSED_SHOWN });
}

/**
 * The read-only dashboard: `/` is the page, `/dashboard.json` the same data for scripts, both
 * narrowed by the same query (`?severity=&cluster=&rule=&status=`). Access is decided in front of
 * it (Cloud Run IAM in production), so it only reads; a filter value it does not know is dropped,
 * never echoed.
 */
export const handleDashboard: HttpHandler = async (request, response, { now }) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.status(405).set('allow', 'GET, HEAD').type('text/plain').send('read-only: GET or HEAD\n');
    return;
  }
  response.set({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  // The query as the browser sent it, not express's nested parse of it.
  const query = new URL(request.originalUrl, 'http://dashboard').searchParams;
  if (request.path === '/dashboard.json') {
    response.status(200).json(await loadDashboard(now, query));
    return;
  }
  if (request.path !== '/') {
    response.status(404).type('text/plain').send('not found\n');
    return;
  }
  const nonce = randomBytes(16).toString('base64');
  const page = renderDashboardPage(await loadDashboard(now, query), nonce);
  response
    .status(200)
    .set('content-security-policy', `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`)
    .type('html')
    .send(page);
};
