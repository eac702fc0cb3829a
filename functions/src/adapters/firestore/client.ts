import { Firestore } from '@google-cloud/firestore';
import { runtimeConfig } from '../config.js';

let client: Firestore | undefined;

/**
 * One Firestore client per process, reused across invocations. FIRESTORE_EMULATOR_HOST (set by
 * the local stack or an external emulator) is honoured by the client itself.
 */
export function firestore(): Firestore {
  return (client ??= new Firestore({ projectId: runtimeConfig().projectId, ignoreUndefinedProperties: true }));
}

export async function closeFirestore(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.terminate();
}

/** gRPC status codes, as Firestore's (and every Google gRPC client's) errors carry them. */
export const GRPC = { ALREADY_EXISTS: 6, NOT_FOUND: 5, UNAVAILABLE: 14, DEADLINE_EXCEEDED: 4, ABORTED: 10, FAILED_PRECONDITION: 9 } as const;

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
