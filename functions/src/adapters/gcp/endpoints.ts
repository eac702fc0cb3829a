import type { ClientOptions } from 'google-gax';
import { runtimeConfig, type RuntimeConfig } from '../config.js';

/**
 * Client options for a Google gRPC API: Google's endpoint by default; `host:port` without TLS or
 * credentials for the local stack (the port must be its own option: in `apiEndpoint` it would be
 * dialled as HOST:PORT:443). google-gax is loaded only then, with the client that needs it.
 */
export async function grpcClientOptions(projectId: string, endpoint: string | undefined): Promise<ClientOptions> {
  if (!endpoint) return { projectId };
  const { grpc } = await import('google-gax');
  const [host, port] = endpoint.split(':');
  return { projectId, apiEndpoint: host, port: Number(port), sslCreds: grpc.credentials.createInsecure() };
}

/**
 * A Google API client made on first use, its package loaded only then (one client however many
 * first calls race for it; a failed creation is tried again next time), and closed on demand so
 * the local stack can point the next one elsewhere. Callers mark the call `@__PURE__`: a bundle
 * whose function never uses the client then drops it, and its package with it.
 */
export function lazyGrpcClient<T extends object>(create: (options: ClientOptions) => Promise<T>, endpoint: (config: RuntimeConfig) => string | undefined) {
  let client: Promise<T> | undefined;
  const make = async (): Promise<T> => {
    const config = runtimeConfig();
    return create(await grpcClientOptions(config.projectId, endpoint(config)));
  };
  return {
    get: (): Promise<T> =>
      (client ??= make().catch((error: unknown) => {
        client = undefined;
        throw error;
      })),
    close: async (): Promise<void> => {
      const current = client;
      client = undefined;
      const made = (await current?.catch(() => undefined)) as { close?: () => Promise<unknown> } | undefined;
      await made?.close?.();
    },
  };
}
