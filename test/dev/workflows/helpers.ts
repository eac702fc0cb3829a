import { WorkflowRunner } from '../../../functions/src/dev/workflows/runner.js';
import type { ExecutionResult, WorkflowConnectors, WorkflowRunnerOptions } from '../../../functions/src/dev/workflows/runner.js';
import type { LogEntry, PublishedMessage } from '../../../functions/src/dev/workflows/services.js';

export interface RecordingConnectors extends WorkflowConnectors {
  readonly published: { topic: string; messages: PublishedMessage[] }[];
  readonly logs: LogEntry[];
  /** Milliseconds asked of sleep, in order. */
  readonly sleeps: number[];
  /** Makes the next publish calls reject with these errors, one per call. */
  readonly publishFailures: Error[];
}

/** The runner's injected dependencies, recorded in memory; sleeping takes no time. */
export function recordingConnectors(env: Record<string, string> = {}): RecordingConnectors {
  const connectors: RecordingConnectors = {
    published: [],
    logs: [],
    sleeps: [],
    publishFailures: [],
    env: { GOOGLE_CLOUD_PROJECT_ID: 'kf-test', GOOGLE_CLOUD_LOCATION: 'us-central1', GOOGLE_CLOUD_WORKFLOW_ID: 'deploy', ...env },
    now: () => Date.parse('2026-03-01T12:00:00.250Z'),
    sleep: async (ms) => {
      connectors.sleeps.push(ms);
    },
    log: (entry) => {
      connectors.logs.push(entry);
    },
    publish: async (topic, messages) => {
      const failure = connectors.publishFailures.shift();
      if (failure !== undefined) throw failure;
      connectors.published.push({ topic, messages });
      return messages.map((_message, index) => `msg-${connectors.published.length}-${index}`);
    },
  };
  return connectors;
}

export async function runWorkflow(
  source: string,
  argument: unknown = null,
  connectors: WorkflowConnectors = recordingConnectors(),
  options: WorkflowRunnerOptions = {},
): Promise<ExecutionResult> {
  return new WorkflowRunner(source, connectors, options).run(argument, 'exec-1');
}

/** YAML for `main` returning one expression; the expression goes in a single-quoted scalar. */
export function returning(expression: string, setup: string[] = []): string {
  const assignments = setup.length === 0 ? '' : `    - setup:\n        assign:\n${setup.map((line) => `          - ${line}\n`).join('')}`;
  return `main:\n  params: [args]\n  steps:\n${assignments}    - out:\n        return: '\${${expression.replaceAll("'", "''")}}'\n`;
}

/** Runs `${expression}` and returns the raw workflow value (ints as bigint), failing on errors. */
export async function evaluateExpression(expression: string, setup: string[] = [], argument: unknown = null): Promise<unknown> {
  const result = await runWorkflow(returning(expression, setup), argument);
  if (result.state !== 'SUCCEEDED') throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

/** Runs `${expression}` expecting it to raise; returns the error payload. */
export async function expressionError(expression: string, setup: string[] = []): Promise<any> {
  const result = await runWorkflow(returning(expression, setup));
  if (result.state !== 'FAILED') throw new Error(`expected a failure, got ${String(result.state)}`);
  return result.error?.payload;
}
