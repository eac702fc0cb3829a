import { createRequire } from 'node:module';
import { FirestoreServer } from '@firestore-emulator/server';

interface GrpcServer {
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
}

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
  ) {}

  static async start(): Promise<LocalFirestore> {
    const server = new FirestoreServer();
    const require = createRequire(createRequire(import.meta.url).resolve('@firestore-emulator/server'));
    const grpc = require('@grpc/grpc-js') as GrpcModule;
    const grpcServer = (server as unknown as { server: GrpcServer }).server;
    const port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return new LocalFirestore(server, port);
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
