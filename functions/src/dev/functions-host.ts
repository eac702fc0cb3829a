import type { Server } from 'node:http';
import { FUNCTIONS } from '../core/pipeline/names.js';
import { listenOnLoopback } from './listen.js';

/** Importing an entry file registers its function with functions-framework, as in production. */
const ENTRY_POINTS = {
  logSink: () => import('../functions/logSink.js'),
  healthSweep: () => import('../functions/healthSweep.js'),
  notifier: () => import('../functions/notifier.js'),
  deployTrigger: () => import('../functions/deployTrigger.js'),
  stageRunner: () => import('../functions/stageRunner.js'),
  dashboard: () => import('../functions/dashboard.js'),
} satisfies Record<keyof typeof FUNCTIONS, () => Promise<unknown>>;

export type FunctionName = keyof typeof ENTRY_POINTS;
export const HOSTED_FUNCTIONS = Object.keys(ENTRY_POINTS) as FunctionName[];

export interface HostedFunction {
  name: FunctionName;
  url: string;
  server: Server;
}

/**
 * Serves each function through functions-framework on its own loopback port, the way Cloud
 * Functions serves one per instance: same request parsing, same status codes.
 */
export async function hostFunctions(names: readonly FunctionName[], ports: Partial<Record<FunctionName, number>> = {}): Promise<HostedFunction[]> {
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const hosted: HostedFunction[] = [];
  for (const name of names) {
    await ENTRY_POINTS[name]();
    const server = getTestServer(FUNCTIONS[name]);
    const port = await listenOnLoopback(server, ports[name], `function ${name}`);
    hosted.push({ name, server, url: `http://127.0.0.1:${port}/` });
  }
  return hosted;
}

export async function stopFunctions(hosted: readonly HostedFunction[]): Promise<void> {
  await Promise.all(
    hosted.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
}
