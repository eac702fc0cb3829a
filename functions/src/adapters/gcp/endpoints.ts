import type { ClientOptions } from 'google-gax';

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
