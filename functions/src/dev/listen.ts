import type { AddressInfo, Server } from 'node:net';

/** Thrown when a configured port is taken, naming it so the person can pick another. */
export class PortInUseError extends Error {}

function explain(error: NodeJS.ErrnoException, port: number, what: string): Error {
  return error.code === 'EADDRINUSE' ? new PortInUseError(`${what}: port ${port} on 127.0.0.1 is in use`) : error;
}

/** Listens on 127.0.0.1 (port 0: any free port) and returns the port it got. */
export async function listenOnLoopback(server: Server, port = 0, what = 'local server'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(explain(error, port, what));
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

interface GrpcBindable {
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
}

/** The gRPC equivalent; `credentials` must come from the same grpc-js copy as the server. */
export function bindGrpcOnLoopback(server: GrpcBindable, credentials: unknown, port = 0, what = 'local gRPC server'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) => (error ? reject(port && /address already in use|EADDRINUSE/i.test(error.message) ? new PortInUseError(`${what}: port ${port} on 127.0.0.1 is in use`) : error) : resolve(bound)));
  });
}
