import { serializableRequest, type DeploymentRequest } from '../../core/deploy/request.js';
import { orderedStages } from '../../core/deploy/records.js';
import { TOPICS } from '../../core/pipeline/names.js';
import { renderDeploymentList, renderDeploymentTimeline } from '../../core/report/deployment-report.js';
import { firestore } from '../../adapters/firestore/client.js';
import { DeploymentStore } from '../../adapters/firestore/deployments.js';
import { publishJson, closePublisher } from '../../adapters/pubsub/publisher.js';
import { UsageError, type CliIo } from '../io.js';
import { withFirestore } from './connect.js';

/**
 * Publishes the request unless its id is taken: deployTrigger would drop a repeated id without a
 * word (its create is the claim), so the person deploying hears it here instead.
 */
export async function publishDeploymentRequest(io: CliIo, request: DeploymentRequest): Promise<string> {
  const existing = await withFirestore(io, () => new DeploymentStore(firestore()).get(request.id));
  if (existing) {
    throw new UsageError(`deployment ${request.id} already exists (status ${existing.status}); see it with kfguard deployments ${request.id}, or give the request a new id to deploy again`);
  }
  try {
    return await publishJson(TOPICS.deployRequests, serializableRequest(request), { deployment: request.id });
  } finally {
    await closePublisher();
  }
}

/** The newest `limit` deployments, or one deployment with its stage timeline. */
export async function describeDeployments(io: CliIo, id: string | undefined, options: { format: 'table' | 'json'; limit: number; width: number }): Promise<string> {
  return withFirestore(io, async () => {
    const store = new DeploymentStore(firestore());
    if (!id) {
      const list = await store.recent(options.limit);
      return options.format === 'json' ? `${JSON.stringify({ deployments: list }, null, 2)}\n` : renderDeploymentList(list, options.width);
    }
    const deployment = await store.get(id);
    if (!deployment) throw new UsageError(`no deployment ${id}`);
    const stages = orderedStages(await store.stages(id));
    return options.format === 'json' ? `${JSON.stringify({ deployment, stages }, null, 2)}\n` : renderDeploymentTimeline(deployment, stages, new Date(), options.width);
  });
}
