import { runtimeConfig } from '../config.js';
import { lazyGrpcClient } from './endpoints.js';

const executionsClient = /* @__PURE__ */ lazyGrpcClient(async (options) => new (await import('@google-cloud/workflows')).ExecutionsClient(options), (config) => config.endpoints.workflows);

function workflowName(workflow: string): string {
  const config = runtimeConfig();
  return `projects/${config.projectId}/locations/${config.region}/workflows/${workflow}`;
}

/** Starts one execution of the workflow, labelled so that it can be found again; returns its name. */
export async function startWorkflowExecution(workflow: string, argument: unknown, labels: Record<string, string>): Promise<string> {
  const [execution] = await (await executionsClient.get()).createExecution({ parent: workflowName(workflow), execution: { argument: JSON.stringify(argument), labels } });
  if (!execution.name) throw new Error('Workflows returned an execution without a name');
  return execution.name;
}

/** The newest execution of the workflow with this label, in any state. */
export async function findWorkflowExecution(workflow: string, label: { key: string; value: string }): Promise<string | undefined> {
  const [found] = await (await executionsClient.get()).listExecutions({ parent: workflowName(workflow), filter: `labels.${label.key}="${label.value}"` });
  return found.find((execution) => execution.name)?.name ?? undefined;
}

export const closeWorkflows = executionsClient.close;
