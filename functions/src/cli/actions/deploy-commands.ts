import { serializableRequest, type DeploymentRequest } from '../../core/deploy/request.js';
import { orderedStages } from '../../core/deploy/records.js';
import { TOPICS } from '../../core/pipeline/names.js';
import { renderDeploymentList, renderDeploymentTimeline } from '../../core/report/deployment-report.js';
import { firestore } from '../../adapters/firestore/client.js';
import { DeploymentStore } from '../../adapters/firestore/deployments.js';
import { publishJson, closePublisher } from '../../adapters/pubsub/publisher.js';
import { UsageError, type CliIo } from '../io.js';
import { connect, withFirestore } from './connect.js';

export async function publishDeploymentRequest(io: CliIo, request: DeploymentRequest): Promise<string> {
  connect(io);
  try {
    return await publishJson(TOPICS.deployRequests, serializableRequest(request), { deployment: request.id });
  } finally {
    await closePublisher();
  }
}

/** The newest `limit` deployments, or one deployment with its stage timeline. */
export async function describeDeployments(io: CliIo, id: string | undefined, options: { format: 'table' | 'json'; limit: number }): Promise<string> {
  return withFirestore(io, async () => {
    const store = new DeploymentStore(firestore());
    if (!id) {
      const list = await store.recent(options.limit);
      return options.format === 'json' ? `${JSON.stringify({ deployments: list }, null, 2)}\n` : renderDeploymentList(list);
    }
    const deployment = await store.get(id);
    if (!deployment) throw new UsageError(`no deployment ${id}`);
    const stages = orderedStages(await store.stages(id));
    return options.format === 'json' ? `${JSON.stringify({ deployment, stages }, null, 2)}\n` : renderDeploymentTimeline(deployment, stages, new Date());
  });
}
