import { parseDeploymentRequest, serializableRequest, type DeploymentRequest } from '../../core/deploy/request.js';
import { TOPICS, topicPath } from '../../core/pipeline/names.js';
import { runtimeConfig } from '../config.js';
import { firestore } from '../firestore/client.js';
import { DeploymentStore } from '../firestore/deployments.js';
import { findWorkflowExecution, startWorkflowExecution } from '../gcp/workflows.js';
import { decodeJsonMessage, PoisonMessageError, type PubSubCloudEvent } from '../runtime/cloud-event.js';
import type { HandlerContext } from '../runtime/functions-framework.js';

/** A start that has not recorded its execution after this long is taken to have crashed (the function's timeout is 60 s). */
const TAKEOVER_MS = 60_000;

/** Every execution carries its deployment id in this label, so a start that crashed after creating one can find it. */
const DEPLOYMENT_LABEL = 'kfguard-deployment';

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
 * Claims the start of a deployment whose record exists: nothing to do when its execution is
 * recorded, wait while another delivery is starting it, or take over a start that crashed.
 * Returns whether this delivery now owns the start.
 */
async function claimExistingStart(store: DeploymentStore, request: DeploymentRequest, stored: Record<string, unknown>, context: HandlerContext): Promise<boolean> {
  const existing = (await store.get(request.id))!;
  if (JSON.stringify(existing.request) !== JSON.stringify(stored)) throw new PoisonMessageError(`deployment id ${request.id} is already used by a different request`);
  if (existing.executionName) {
    context.logger.info('deployment already started', { deployment: request.id, execution: existing.executionName });
    return false;
  }
  if (context.now.getTime() - Date.parse(existing.startingAt) < TAKEOVER_MS) throw new StartInProgress(`deployment ${request.id}: another delivery is starting it`);
  const generation = (existing.startGeneration ?? 1) + 1;
  if (!(await store.takeOverStart(request.id, generation, context.now))) throw new StartInProgress(`deployment ${request.id}: another delivery took over its start`);
  return true;
}

/**
 * deployTrigger: validates a DeploymentRequest, records `deployments/{id}` and starts one workflow
 * execution. The record's `create()` is the claim: a second delivery finds it and does not start
 * a second execution. It waits for the first to record its execution, or takes over a start that
 * crashed, first looking for the execution that start may have created before it crashed.
 */
export async function handleDeployRequest(event: PubSubCloudEvent, context: HandlerContext): Promise<void> {
  const parsed = parseDeploymentRequest(decodeJsonMessage(event));
  // No sample: a refused request may hold the very secret it was refused for.
  if (!parsed.ok) throw new PoisonMessageError(`invalid DeploymentRequest: ${parsed.errors.join('; ')}`);
  const request = parsed.request;
  const stored = serializableRequest(request);
  const store = new DeploymentStore(firestore());
  const at = context.now.toISOString();
  const created = await store.create({ id: request.id, request: stored, status: 'accepted', createdAt: at, updatedAt: at, startingAt: at, startGeneration: 1 });
  if (!created && !(await claimExistingStart(store, request, stored, context))) return;
  const config = runtimeConfig();
  const label = { key: DEPLOYMENT_LABEL, value: request.id };
  const found = created ? undefined : await findWorkflowExecution(config.workflow, label);
  if (found) context.logger.warn('found the execution of a start that crashed before recording it', { deployment: request.id, execution: found });
  const execution = found ?? (await startWorkflowExecution(config.workflow, workflowArgument(request, config.projectId, config.deploy.stageSettings), { [label.key]: label.value }));
  await store.update(request.id, { executionName: execution, status: 'running' }, context.now);
  context.logger.info('deployment started', { deployment: request.id, execution });
}
