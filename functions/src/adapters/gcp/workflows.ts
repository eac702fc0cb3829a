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

/**
 * The newest execution of the workflow with this label, in any state. The label filter narrows
 * the listing, but Google documents no label term for it, so each execution's labels are checked
 * too (they come only in the FULL view): an unsupported term that were ignored cannot make another
 * deployment's execution look like this one's.
 */
export async function findWorkflowExecution(workflow: string, label: { key: string; value: string }): Promise<string | undefined> {
  const [listed] = await (await executionsClient.get()).listExecutions({ parent: workflowName(workflow), filter: `labels.${label.key}="${label.value}"`, view: 'FULL' });
  return listed.find((execution) => execution.name && execution.labels?.[label.key] === label.value)?.name ?? undefined;
}

export const closeWorkflows = executionsClient.close;
