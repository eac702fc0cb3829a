import { resetRuntimeConfig } from '../../adapters/config.js';
import { closeFirestore } from '../../adapters/firestore/client.js';
import { useLocalStackIfRunning } from '../../adapters/local-stack.js';
import { UsageError, type CliIo } from '../io.js';

/** Points the adapters at the local stack when one runs in this folder, else at KFGUARD_PROJECT. */
export function connect(io: CliIo): void {
  useLocalStackIfRunning(io.cwd, process.env);
  resetRuntimeConfig();
  if (!process.env['KFGUARD_PROJECT'] && !process.env['GOOGLE_CLOUD_PROJECT']) {
    throw new UsageError('no local stack is running here (.kfguard/dev.json) and KFGUARD_PROJECT is not set');
  }
}

/** Runs Firestore work against the connected project and closes the client after. */
export async function withFirestore<T>(io: CliIo, work: () => Promise<T>): Promise<T> {
  connect(io);
  try {
    return await work();
  } finally {
    await closeFirestore();
  }
}
