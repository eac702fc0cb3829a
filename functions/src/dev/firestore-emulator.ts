import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../adapters/package-root.js';
import { FirestoreServer } from '@firestore-emulator/server';
import { bindGrpcOnLoopback } from './listen.js';
import { IndexesFileSchema, missingIndex, type IndexesFile, type StructuredQuery } from './firestore-indexes.js';

interface QueryCall {
  request: { structured_query?: { toObject(): StructuredQuery } };
  emit(event: 'error', error: Error & { code: number }): void;
}

interface GrpcServer {
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
  handlers: Map<string, { func: (call: QueryCall, ...rest: unknown[]) => void }>;
}

const GRPC_FAILED_PRECONDITION = 9;

interface GrpcModule {
  ServerCredentials: { createInsecure(): unknown };
}

/**
 * `@firestore-emulator/server`, the Firestore emulator protocol in Node, bound to loopback on a
 * free port. Its `start()` binds 0.0.0.0 and hides the port, so this binds its gRPC server
 * directly, with credentials from the emulator's own pinned grpc-js (another copy's are refused).
 */
export class LocalFirestore {
  private constructor(
    private readonly server: FirestoreServer,
    readonly port: number,
    private readonly calls: Map<string, number>,
  ) {}

  /**
   * Queries the indexes would not serve fail as in production (see firestore-indexes.ts); by
   * default the indexes are the project's firestore.indexes.json, the file Firebase and Terraform deploy.
   */
  static async start(options: { indexes?: IndexesFile; port?: number } = {}): Promise<LocalFirestore> {
    const server = new FirestoreServer();
    const require = createRequire(createRequire(import.meta.url).resolve('@firestore-emulator/server'));
    const grpc = require('@grpc/grpc-js') as GrpcModule;
    const grpcServer = (server as unknown as { server: GrpcServer }).server;
    enforceIndexes(grpcServer, options.indexes ?? projectIndexes());
    const calls = countCalls(grpcServer);
    const port = await bindGrpcOnLoopback(grpcServer, grpc.ServerCredentials.createInsecure(), options.port, 'Firestore emulator');
    return new LocalFirestore(server, port, calls);
  }

  /** How many calls of a Firestore RPC (`Commit`, `RunQuery`...) the emulator has received, and of those that failed (`Commit:failed`): what the benchmark's commits per event come from. */
  callCount(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  /** For FIRESTORE_EMULATOR_HOST. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  clear(): void {
    this.server.state.clear();
  }

  stop(): void {
    this.server.stop();
  }
}

function countCalls(server: GrpcServer): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [path, handler] of server.handlers) {
    const method = path.slice(path.lastIndexOf('/') + 1);
    const answer = handler.func;
    handler.func = (call, ...rest) => {
      const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
      count(method);
      // Unary calls answer through a callback: count the ones that failed (a lost create race, say).
      const [callback] = rest;
      if (typeof callback !== 'function') return answer(call, ...rest);
      answer(call, (error: unknown, ...results: unknown[]) => {
        if (error) count(`${method}:failed`);
        (callback as (...args: unknown[]) => void)(error, ...results);
      });
    };
  }
  return calls;
}

function enforceIndexes(server: GrpcServer, indexes: IndexesFile): void {
  const runQuery = server.handlers.get('/google.firestore.v1.Firestore/RunQuery');
  if (!runQuery) throw new Error('the Firestore emulator no longer registers RunQuery where kfguard expects it');
  const answer = runQuery.func;
  runQuery.func = (call) => {
    const query = call.request.structured_query?.toObject();
    const refusal = query && missingIndex(query, indexes);
    if (refusal) call.emit('error', Object.assign(new Error(refusal), { code: GRPC_FAILED_PRECONDITION }));
    else answer(call);
  };
}

export function projectIndexes(): IndexesFile {
  const path = join(packageRoot(), 'firestore.indexes.json');
  const parsed = IndexesFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}
