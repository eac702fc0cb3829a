import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FUNCTIONS } from '../core/pipeline/names.js';

/** Importing an entry file registers its function with functions-framework, as in production. */
const ENTRY_POINTS = {
  logSink: () => import('../functions/logSink.js'),
  healthSweep: () => import('../functions/healthSweep.js'),
  notifier: () => import('../functions/notifier.js'),
  deployTrigger: () => import('../functions/deployTrigger.js'),
  stageRunner: () => import('../functions/stageRunner.js'),
} satisfies Partial<Record<keyof typeof FUNCTIONS, () => Promise<unknown>>>;

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
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[name] ?? 0, '127.0.0.1', () => resolve());
    });
    hosted.push({ name, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
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
