import { Firestore } from '@google-cloud/firestore';
import { LocalFirestore } from '../../functions/src/dev/firestore-emulator.js';
import { TcpProxy } from '../../functions/src/dev/tcp-proxy.js';

export interface TestFirestore {
  host: string;
  db: Firestore;
  /** Deletes every document (in-process emulator) so each test starts empty. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The in-process emulator, or an external one when FIRESTORE_EMULATOR_HOST is already set (then
 * clearing uses the emulator's REST reset endpoint that the official emulator serves).
 */
export async function startTestFirestore(projectId = 'kfguard-test'): Promise<TestFirestore> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const external = process.env['FIRESTORE_EMULATOR_HOST'];
  const local = external ? undefined : await LocalFirestore.start();
  const host = external ?? local!.host;
  process.env['FIRESTORE_EMULATOR_HOST'] = host;
  const db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  return {
    host,
    db,
    clear: async () => {
      if (local) local.clear();
      else await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, { method: 'DELETE' });
    },
    stop: async () => {
      await db.terminate();
      local?.stop();
    },
  };
}

/**
 * The in-process emulator behind a TCP relay the test can make faulty, with FIRESTORE_EMULATOR_HOST
 * pointing at the relay: functions started after this reach Firestore only through it.
 */
export async function startProxiedFirestore(): Promise<{ proxy: TcpProxy; stop(): Promise<void> }> {
  const emulator = await LocalFirestore.start();
  const proxy = await TcpProxy.start('127.0.0.1', emulator.port);
  process.env['FIRESTORE_EMULATOR_HOST'] = proxy.host;
  return {
    proxy,
    stop: async () => {
      await proxy.stop();
      emulator.stop();
      delete process.env['FIRESTORE_EMULATOR_HOST'];
    },
  };
}
