import type { ExecutionsClient } from '@google-cloud/workflows';
import { runtimeConfig } from '../config.js';
import { grpcClientOptions } from './endpoints.js';

let client: ExecutionsClient | undefined;

/** Starts one execution of the deployment workflow and returns its name. */
export async function startWorkflowExecution(workflow: string, argument: unknown): Promise<string> {
  const config = runtimeConfig();
  if (!client) {
    const { ExecutionsClient: Client } = await import('@google-cloud/workflows');
    client = new Client(await grpcClientOptions(config.projectId, config.endpoints.workflows));
  }
  const [execution] = await client.createExecution({
    parent: `projects/${config.projectId}/locations/${config.region}/workflows/${workflow}`,
    execution: { argument: JSON.stringify(argument) },
  });
  if (!execution.name) throw new Error('Workflows returned an execution without a name');
  return execution.name;
}

export async function closeWorkflows(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.close();
}
