import { parseDeploymentRequest, serializableRequest, type DeploymentRequest } from '../../core/deploy/request.js';
import { TOPICS, topicPath } from '../../core/pipeline/names.js';
import { runtimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { DeploymentStore } from '../firestore/deployments.js';
import { startWorkflowExecution } from '../gcp/workflows.js';
import { decodeJsonMessage, PoisonMessageError, type PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';

/** A start that has not recorded its execution after this long is taken to have crashed. */
const TAKEOVER_MS = 60_000;

export class StartInProgress extends Error {}

/** What the workflow receives: ids, topics and the few request fields its YAML uses. */
export function workflowArgument(request: DeploymentRequest, project: string, stageSettings: Record<string, unknown>): Record<string, unknown> {
  return {
    deploymentId: request.id,
    project: request.project,
    name: request.name,
    stageTopic: topicPath(project, TOPICS.stageRequests),
    notificationTopic: topicPath(project, TOPICS.notifications),
    notifyEmail: request.notify.email,
    stageSettings,
  };
}

/**
 * deployTrigger: validates a DeploymentRequest, records `deployments/{id}` and starts one workflow
 * execution. The record's `create()` is the claim: a second delivery finds it and does not start
 * a second execution (it waits for the first to record its execution, or takes over a start that
 * crashed).
 */
export async function handleDeployRequest(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const parsed = parseDeploymentRequest(decodeJsonMessage(event));
  // No sample: a refused request may hold the very secret it was refused for.
  if (!parsed.ok) throw new PoisonMessageError(`invalid DeploymentRequest: ${parsed.errors.join('; ')}`);
  const request = parsed.request;
  const stored = serializableRequest(request);
  const store = new DeploymentStore(firestore());
  const at = context.now.toISOString();
  const created = await store.create({ id: request.id, request: stored, status: 'accepted', createdAt: at, updatedAt: at, startingAt: at });
  if (!created) {
    const existing = (await store.get(request.id))!;
    if (JSON.stringify(existing.request) !== JSON.stringify(stored)) throw new PoisonMessageError(`deployment id ${request.id} is already used by a different request`);
    if (existing.executionName) {
      context.logger.info('deployment already started', { deployment: request.id, execution: existing.executionName });
      return;
    }
    if (context.now.getTime() - Date.parse(existing.startingAt) < TAKEOVER_MS) throw new StartInProgress(`deployment ${request.id}: another delivery is starting it`);
    await store.update(request.id, { startingAt: at }, context.now);
  }
  const config = runtimeConfig();
  const execution = await startWorkflowExecution(config.workflow, workflowArgument(request, config.projectId, config.deploy.stageSettings));
  await store.update(request.id, { executionName: execution, status: 'running' }, context.now);
  context.logger.info('deployment started', { deployment: request.id, execution });
}
