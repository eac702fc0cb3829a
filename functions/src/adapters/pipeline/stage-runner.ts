import { zodIssueText } from '../../core/logs/log-entry.js';
import { parseDeploymentRequest, type DeploymentRequest } from '../../core/deploy/request.js';
import { compareAsks, inputProblems, stageFromTags, StageMessageSchema, type StageName, type StageRequest, type StageResult } from '../../core/deploy/stages.js';
import { firestore } from '../firestore/client.js';
import type { DeploymentRecord, StageRecord } from '../../core/deploy/records.js';
import { DeploymentStore } from '../firestore/deployments.js';
import { postStageResult } from '../deploy/callback.js';
import { errorText, failureReport } from '../deploy/stage-failure.js';
import type { StageOutcome } from '../deploy/stage-handler.js';
import { STAGE_HANDLERS } from '../deploy/stages/index.js';
import type { Logger } from '../logger.js';
import { decodeJsonMessage, PoisonMessageError, pubsubMessage, type PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';

function requestOf(record: DeploymentRecord): DeploymentRequest {
  const parsed = parseDeploymentRequest(record.request);
  if (!parsed.ok) throw new PoisonMessageError(`deployment ${record.id}: its stored request no longer validates: ${parsed.errors.join('; ')}`);
  return parsed.request;
}

/** Saves the result, then reports it to the workflow; a redelivery after a failed POST reports again. */
async function report(store: DeploymentStore, deploymentId: string, stage: StageName, callbackUrl: string, result: StageResult, now: Date): Promise<void> {
  await store.saveStage(deploymentId, stage, { status: result.status, reason: result.reason, result, ...(result.status === 'waiting' ? {} : { finishedAt: now.toISOString() }) }, now);
  if (stage === 'verify' && result.status === 'succeeded') await store.update(deploymentId, { status: 'succeeded', stage }, now);
  await postStageResult(callbackUrl, result);
  await store.markCallbackPosted(deploymentId, stage);
}

/**
 * Where a delivered ask stands against the stage record: a late copy of an older ask (the
 * workflow has moved on: drop it), the current ask again (finish or re-report it), or a new one.
 */
function askState(message: StageRequest, previous: StageRecord | undefined): 'stale' | 'current' | 'new' {
  if (!previous) return 'new';
  const order = compareAsks(message, { attempt: previous.attempt, poll: previous.polls });
  return order < 0 ? 'stale' : order === 0 ? 'current' : 'new';
}

/** The handler's outcome; a throw becomes a report once retrying cannot help, or is rethrown for redelivery. */
async function runHandler(message: StageRequest, record: DeploymentRecord, stage: StageRecord | undefined, store: DeploymentStore, context: HandlerContext, logger: Logger): Promise<StageOutcome> {
  const deliveries = await store.countDelivery(message.deploymentId, message.stage);
  try {
    const problems = inputProblems(message.stage, message.inputs);
    if (problems.length > 0) return { status: 'failed', reason: `the workflow did not hand the stage what it needs: ${problems.join('; ')}` };
    const stageStartedAt = new Date(stage?.startedAt ?? context.now.toISOString());
    return await STAGE_HANDLERS[message.stage]({ deploymentId: message.deploymentId, request: requestOf(record), stage: message.stage, attempt: message.attempt, inputs: message.inputs, stageStartedAt, now: context.now, logger, store });
  } catch (error) {
    const result = failureReport(error, deliveries);
    if (!result) {
      await store.noteError(message.deploymentId, message.stage, errorText(error));
      throw error;
    }
    logger.error(`${message.stage}: reporting ${result.status} after delivery ${deliveries}`, { error });
    return result;
  }
}

async function runStage(message: StageRequest, context: HandlerContext): Promise<void> {
  const store = new DeploymentStore(firestore());
  const logger = context.logger.child({ deployment: message.deploymentId, stage: message.stage });
  const record = await store.get(message.deploymentId);
  if (!record) {
    await postStageResult(message.callbackUrl, { status: 'failed', reason: `no deployment ${message.deploymentId} in Firestore` });
    return;
  }
  if (record.status === 'failed' || record.status === 'succeeded') {
    // The workflow has ended: a copy delivered this late must not mark the deployment running again.
    logger.info(`${message.stage}: dropped a request for deployment ${record.id}, which has ${record.status}`);
    return;
  }
  const previous = await store.stage(message.deploymentId, message.stage);
  const state = askState(message, previous);
  if (state === 'stale') {
    logger.info(`${message.stage}: dropped a late copy of attempt ${message.attempt} poll ${message.poll}; the stage is at attempt ${previous!.attempt} poll ${previous!.polls}`);
    return;
  }
  if (state === 'current' && previous!.result) {
    // This ask already finished: report again only if the report was lost.
    if (!previous!.callbackPosted) await postStageResult(message.callbackUrl, previous!.result);
    return;
  }
  if (state === 'new') await store.beginAsk(message.deploymentId, message.stage, message, context.now);
  await store.update(message.deploymentId, { status: 'running', stage: message.stage }, context.now);
  const outcome = await runHandler(message, record, await store.stage(message.deploymentId, message.stage), store, context, logger);
  if (outcome.status === 'build-started') {
    await store.saveStage(message.deploymentId, message.stage, { status: 'running', buildId: outcome.buildId, outputs: outcome.outputs, reason: `Cloud Build ${outcome.buildId}` }, context.now);
    logger.info(`${message.stage}: build ${outcome.buildId} started`);
    return;
  }
  logger.info(`${message.stage}: ${outcome.status}`, { reason: outcome.reason });
  await report(store, message.deploymentId, message.stage, message.callbackUrl, outcome, context.now);
}

const BUILD_DONE: Readonly<Record<string, StageResult['status']>> = {
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  CANCELLED: 'failed',
  EXPIRED: 'failed',
  // Infrastructure trouble, not the build's own failure: worth another attempt.
  INTERNAL_ERROR: 'retryable',
  TIMEOUT: 'retryable',
};

const BUILD_ID_READS = 10;
const BUILD_ID_READ_INTERVAL_MS = 200;

export class BuildNotRecordedYet extends Error {}

const awaitsBuildId = (stage: StageRecord, attempt: number): boolean => stage.attempt === attempt && !stage.buildId && stage.status === 'running';

/** Recording the build id follows createBuild by milliseconds: wait that long here rather than a redelivery's backoff. */
async function recordedStage(store: DeploymentStore, owner: { deploymentId: string; stage: StageName; attempt: number }): Promise<StageRecord | undefined> {
  for (let read = 0; ; read++) {
    const stage = await store.stage(owner.deploymentId, owner.stage);
    if (!stage || !awaitsBuildId(stage, owner.attempt) || read === BUILD_ID_READS) return stage;
    await new Promise((resolve) => setTimeout(resolve, BUILD_ID_READ_INTERVAL_MS));
  }
}

/** A Cloud Build status notification: a finished build finishes its stage attempt. */
async function buildFinished(build: Record<string, unknown>, status: string, context: HandlerContext): Promise<void> {
  const outcome = BUILD_DONE[status];
  const owner = stageFromTags(Array.isArray(build['tags']) ? (build['tags'] as string[]) : []);
  if (!outcome || !owner) return;
  const store = new DeploymentStore(firestore());
  const stage = await recordedStage(store, owner);
  // A fast build can finish before its stage attempt has recorded the build id: ask for redelivery.
  if (stage && awaitsBuildId(stage, owner.attempt)) {
    throw new BuildNotRecordedYet(`build ${String(build['id'])} finished before ${owner.stage} attempt ${owner.attempt} recorded it; Pub/Sub will redeliver`);
  }
  if (!stage || stage.buildId !== build['id'] || !stage.callbackUrl) {
    context.logger.info('build notification for no current stage attempt', { buildId: build['id'], status });
    return;
  }
  if (stage.callbackPosted && stage.result) return;
  const detail = typeof build['statusDetail'] === 'string' && build['statusDetail'] ? `: ${build['statusDetail']}` : '';
  const logs = typeof build['logUrl'] === 'string' ? ` (logs: ${build['logUrl']})` : '';
  const outputs = outcome === 'succeeded' && stage.outputs ? { outputs: stage.outputs } : {};
  await report(store, owner.deploymentId, owner.stage, stage.callbackUrl, { status: outcome, reason: `Cloud Build ${String(build['id'])} ${status}${detail}${logs}`, ...outputs }, context.now);
}

/**
 * stageRunner: StageRequests from the workflow (run one ask of a stage, or record that the
 * deployment failed) and Cloud Build notifications (finish a build stage) arrive here.
 */
export async function handleStageEvent(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const payload = decodeJsonMessage(event);
  const attributes = pubsubMessage(event).attributes ?? {};
  if (attributes['buildId'] && attributes['status']) {
    await buildFinished(payload as Record<string, unknown>, attributes['status'], context);
    return;
  }
  const parsed = StageMessageSchema.safeParse(payload);
  if (!parsed.success) throw new PoisonMessageError(`not a stage request: ${zodIssueText(parsed.error)}`);
  const message = parsed.data;
  if (message.kind === 'run') {
    await runStage(message, context);
    return;
  }
  await new DeploymentStore(firestore()).update(message.deploymentId, { status: 'failed', failedStage: message.stage, reason: message.reason }, context.now);
  context.logger.error(`deployment ${message.deploymentId} failed at ${message.stage}`, { reason: message.reason });
}
