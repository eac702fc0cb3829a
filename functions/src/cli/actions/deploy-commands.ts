import { serializableRequest, type DeploymentRequest } from '../../core/deploy/request.js';
import { STAGES } from '../../core/deploy/stages.js';
import { TOPICS } from '../../core/pipeline/names.js';
import { columns } from '../../core/report/text.js';
import { closeFirestore, firestore } from '../../adapters/firestore/client.js';
import { DeploymentStore, type StageRecord } from '../../adapters/firestore/deployments.js';
import { publishJson, closePublisher } from '../../adapters/pubsub/publisher.js';
import { useLocalStackIfRunning } from '../../adapters/local-stack.js';
import { resetRuntimeConfig } from '../../adapters/config.js';
import { UsageError, type CliIo } from '../io.js';

function connect(io: CliIo): void {
  useLocalStackIfRunning(io.cwd, process.env);
  resetRuntimeConfig();
  if (!process.env['KFGUARD_PROJECT'] && !process.env['GOOGLE_CLOUD_PROJECT']) throw new UsageError('no local stack is running here (.kfguard/dev.json) and KFGUARD_PROJECT is not set');
}

export async function publishDeploymentRequest(io: CliIo, request: DeploymentRequest): Promise<string> {
  connect(io);
  try {
    return await publishJson(TOPICS.deployRequests, serializableRequest(request), { deployment: request.id });
  } finally {
    await closePublisher();
  }
}

function duration(stage: StageRecord): string {
  const end = stage.finishedAt ? Date.parse(stage.finishedAt) : Date.now();
  const seconds = Math.max(0, Math.round((end - Date.parse(stage.startedAt)) / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`;
}

function ordered(stages: StageRecord[]): StageRecord[] {
  return [...stages].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
}

export async function describeDeployments(io: CliIo, id: string | undefined, format: 'table' | 'json'): Promise<string> {
  connect(io);
  try {
    const store = new DeploymentStore(firestore());
    if (!id) {
      const list = (await store.list()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      if (format === 'json') return `${JSON.stringify({ deployments: list }, null, 2)}\n`;
      if (list.length === 0) return 'No deployments (kfguard deploy REQUEST.json).\n';
      return `${columns([['DEPLOYMENT', 'STATUS', 'STAGE', 'UPDATED'], ...list.map((d) => [d.id, d.status, d.failedStage ?? d.stage ?? '', d.updatedAt])])}\n`;
    }
    const deployment = await store.get(id);
    if (!deployment) throw new UsageError(`no deployment ${id}`);
    const stages = ordered(await store.stages(id));
    if (format === 'json') return `${JSON.stringify({ deployment, stages }, null, 2)}\n`;
    const header = `${deployment.id}: ${deployment.status}${deployment.failedStage ? ` at ${deployment.failedStage}: ${deployment.reason ?? ''}` : ''}\n`;
    const rows = [['STAGE', 'STATUS', 'ATTEMPTS', 'STARTED', 'DURATION', 'DETAIL'], ...stages.map((s) => [s.stage, s.status, String(s.attempt), s.startedAt, duration(s), (s.reason ?? '').slice(0, 120)])];
    return `${header}${columns(rows)}\n`;
  } finally {
    await closeFirestore();
  }
}
