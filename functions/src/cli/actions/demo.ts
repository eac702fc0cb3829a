import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderedStages, type DeploymentRecord } from '../../core/deploy/records.js';
import { parseDeploymentRequest, serializableRequest } from '../../core/deploy/request.js';
import { storedFindingsDocument } from '../../core/pipeline/finding-record.js';
import { TOPICS } from '../../core/pipeline/names.js';
import { renderDeploymentTimeline } from '../../core/report/deployment-report.js';
import { causedDocument, renderTable } from '../../core/report/findings-report.js';
import { hanging } from '../../core/report/text.js';
import { firestore } from '../../adapters/firestore/client.js';
import { DeploymentStore } from '../../adapters/firestore/deployments.js';
import { FindingStore } from '../../adapters/firestore/findings.js';
import { ClusterRegistry } from '../../adapters/firestore/registry.js';
import { planForCluster } from '../../adapters/pipeline/cluster-plan.js';
import { renderPlan } from '../../core/report/plan-report.js';
import { samplePath } from '../../adapters/package-root.js';
import { publishJson } from '../../adapters/pubsub/publisher.js';
import { DEV_STATE_FILE } from '../../adapters/local-stack.js';
import { loadScenario, shiftTimes } from '../../dev/scenario.js';
import { DevStack } from '../../dev/stack.js';
import type { PortSettings } from '../../dev/ports.js';
import { EXIT_OK, write, type CliIo } from '../io.js';
import { refuseSecondStack } from './dev-commands.js';

export interface DemoOptions {
  /** Print the report and stop, instead of serving the dashboard until Ctrl-C. */
  exit: boolean;
  ports: PortSettings;
  /** Where the report wraps (unbounded with --wide). */
  width: number;
}

/** Workflow pauses (polls, retry backoff) run this much faster, so the deployment plays out in seconds. */
const WORKFLOW_TIME_SCALE = 0.01;
const DEPLOYMENT_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 60_000;
/** Findings printed with their cause and fix; the rest are in the table, the dashboard and `kfguard findings`. */
const FINDINGS_DETAILED = 6;
const FUNCTION_LOG = '.kfguard/functions.log';

/** Progress on stderr, one line an event, whole (never wrapped, so it greps like a log). */
function say(io: CliIo, line: string): void {
  io.stderr.write(`kfguard: ${line}\n`);
}

/** The recorded incident, moved so that its last entry happened a minute ago. */
function incidentEntries(now: Date): unknown[] {
  const entries = readFileSync(samplePath('incident-logs.ndjson'), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { timestamp: string });
  const latest = Math.max(...entries.map((entry) => Date.parse(entry.timestamp)));
  return entries.map((entry) => shiftTimes(entry, now.getTime() - 60_000 - latest));
}

function demoRequest() {
  const parsed = parseDeploymentRequest(JSON.parse(readFileSync(samplePath('deployment-request.json'), 'utf8')));
  if (!parsed.ok) throw new Error(`the bundled deployment request is invalid: ${parsed.errors.join('; ')}`);
  return parsed.request;
}

/** Prints each stage as it changes, until the deployment succeeds or fails (bounded), or Ctrl-C. */
async function followDeployment(io: CliIo, store: DeploymentStore, id: string, stopping: () => boolean): Promise<DeploymentRecord | undefined> {
  const printed = new Map<string, string>();
  const deadline = Date.now() + DEPLOYMENT_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping()) {
    for (const stage of orderedStages(await store.stages(id))) {
      const state = `${stage.status}${stage.attempt > 1 ? ` (attempt ${stage.attempt})` : ''}`;
      if (printed.get(stage.stage) === state) continue;
      printed.set(stage.stage, state);
      say(io, `  ${stage.stage.padEnd(13)}${state}${stage.reason ? `: ${stage.reason}` : ''}`);
    }
    const deployment = await store.get(id);
    if (deployment?.status === 'succeeded' || deployment?.status === 'failed') return deployment;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  say(io, `deployment ${id} did not finish within ${DEPLOYMENT_TIMEOUT_MS / 1000}s`);
  return store.get(id);
}

/** Notifications listed in the report; the rest are counted (all of them are in the recorders and on the dashboard's findings). */
const NOTIFICATIONS_LISTED = 8;

function listed(lines: string[]): string[] {
  return lines.length > NOTIFICATIONS_LISTED ? [...lines.slice(0, NOTIFICATIONS_LISTED), `         … and ${lines.length - NOTIFICATIONS_LISTED} more`] : lines;
}

function notificationsSection(stack: DevStack, width: number): string {
  const chat = stack.chat.messages.map((message) => hanging('  chat   ', String((message.body as { text?: string }).text ?? '').split('\n')[0]!, width));
  const email = stack.smtp.messages.map((message) => hanging('  email  ', `to ${message.to.join(', ')}: ${message.subject}`, width));
  if (chat.length + email.length === 0) return '  (none)';
  // The deployment's failure is what a person acts on first: it leads each list.
  const first = (lines: string[]) => [...lines.filter((line) => line.includes('Deployment failed')), ...lines.filter((line) => !line.includes('Deployment failed'))];
  return [`  ${chat.length} Google Chat messages, ${email.length} emails`, ...listed(first(chat)), ...listed(first(email))].join('\n');
}

/**
 * Where the rest of the findings are: with --exit the stack stops right after the report, so
 * `kfguard findings` and the dashboard will not answer; the report says so and how to keep them.
 */
function whereTheRestIs(exit: boolean): { findings: string; dashboard: string } {
  if (!exit) return { findings: 'every cause and fix with `npx kfguard findings` in another terminal here, or on the dashboard', dashboard: 'served until Ctrl-C' };
  return {
    findings: '--exit stops the stack after this report. To see every cause and fix, run `npm start` (or `npx kfguard demo`) without --exit, then `npx kfguard findings` in another terminal here, or open the dashboard',
    dashboard: 'stops with the stack: --exit; without it, served until Ctrl-C',
  };
}

async function report(io: CliIo, stack: DevStack, deployment: DeploymentRecord | undefined, dashboardUrl: string, options: DemoOptions): Promise<void> {
  const stored = await new FindingStore(firestore()).list({ status: 'open' });
  const findings = storedFindingsDocument(stored);
  const stages = deployment ? await new DeploymentStore(firestore()).stages(deployment.id) : [];
  const rest = whereTheRestIs(options.exit);
  const clusters = await new ClusterRegistry(firestore(), 0).list();
  const plans = await Promise.all(clusters.map(async (cluster) => `== Plan for ${cluster.key}: one change set for every cause, proved against its live network ==\n\n${renderPlan(await planForCluster(cluster.key), 'shell')}`));
  const sections = [
    `== Findings: ${stored.length} open, with causes and fixes ==\n\n${renderTable(causedDocument({ findings: findings.findings }), { details: FINDINGS_DETAILED, rest: rest.findings, width: options.width })}`,
    ...plans,
    `== Deployment ==\n\n${deployment ? renderDeploymentTimeline(deployment, stages, new Date(), options.width) : 'no deployment record\n'}`,
    `== Notifications sent (Google Chat recorder, SMTP server) ==\n\n${notificationsSection(stack, options.width)}\n`,
    `== Dashboard ==\n\n${hanging('  ', `${dashboardUrl} (${rest.dashboard})`, options.width)}\n`,
  ];
  await write(io.stdout, `${sections.join('\n')}\n`);
}

/**
 * `npm start`: the local stack on the bundled incident, through the real path. A DeploymentRequest
 * goes to the deploy-requests topic and the workflow runs the stages until GKE's stuck
 * CREATE_CLUSTER stops it; the incident's log entries go to the sink topic; a health sweep reads
 * the live (fake) network; then the findings, the timeline and the notifications are printed, and
 * the dashboard is served until Ctrl-C.
 */
export async function runDemo(io: CliIo, options: DemoOptions): Promise<number> {
  refuseSecondStack(io);
  // Listening from the start: a Ctrl-C while the stack comes up or the deployment runs stops it cleanly.
  let stopRequested = false;
  const interrupted = io.untilInterrupted().then(() => {
    stopRequested = true;
  });
  const stopping = () => stopRequested;
  say(io, 'starting the local stack: Firestore emulator, Pub/Sub, the functions, fake GKE, Compute, DNS, Kubernetes, Logging, Cloud Build and Workflows, a Chat recorder and an SMTP server');
  mkdirSync(join(io.cwd, '.kfguard'), { recursive: true });
  const functionLog = createWriteStream(join(io.cwd, FUNCTION_LOG));
  say(io, `the functions' structured logs go to ${FUNCTION_LOG}`);
  const stack = await DevStack.start({
    functionLogs: (line) => functionLog.write(`${line}\n`),
    scenario: loadScenario(samplePath('demo/scenario.yaml')),
    stateDir: io.cwd,
    workflowTimeScale: WORKFLOW_TIME_SCALE,
    ports: options.ports,
    log: (line) => say(io, `  ${line}`),
  });
  try {
    if (stopping()) return EXIT_OK;
    // A registered cluster has been swept before its incident: the sink diagnoses against the snapshot that sweep keeps.
    say(io, 'health sweep: the live network of the registered cluster, which the sink diagnoses against');
    stack.tick();
    await stack.pubsub.waitForIdle(SETTLE_TIMEOUT_MS);
    const request = demoRequest();
    await publishJson(TOPICS.deployRequests, serializableRequest(request), { deployment: request.id });
    say(io, `deploying ${request.name}: DeploymentRequest ${request.id} published to ${TOPICS.deployRequests}; the workflow runs each stage through stageRunner`);
    const entries = incidentEntries(new Date());
    await Promise.all(entries.map((entry) => publishJson(TOPICS.logEvents, entry, { 'logging.googleapis.com/timestamp': (entry as { timestamp: string }).timestamp })));
    say(io, `replaying the incident: ${entries.length} log entries published to ${TOPICS.logEvents}, as the Cloud Logging sink would`);
    const deployment = await followDeployment(io, new DeploymentStore(firestore()), request.id, stopping);
    if (stopping()) return EXIT_OK;
    say(io, 'health sweep: live firewall rules, routes, DNS, NAT, webhooks, Config Connector and operations');
    stack.tick();
    await stack.pubsub.waitForIdle(SETTLE_TIMEOUT_MS);
    const dashboardUrl = stack.functionUrl('dashboard');
    await report(io, stack, deployment, dashboardUrl, options);
    if (options.exit || stopping()) return EXIT_OK;
    say(io, `running; the dashboard is at ${dashboardUrl}. In another terminal here: npx kfguard findings, npx kfguard deployments ${request.id} (the stack is in ${DEV_STATE_FILE}). Ctrl-C stops everything.`);
    await interrupted;
    return EXIT_OK;
  } finally {
    say(io, 'stopping');
    await stack.stop();
    await new Promise((resolve) => functionLog.end(resolve));
    say(io, 'stopped');
  }
}
