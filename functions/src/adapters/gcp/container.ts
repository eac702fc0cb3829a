import type { ClusterManagerClient } from '@google-cloud/container';
import { runtimeConfig } from '../config.js';
import { grpcClientOptions } from './endpoints.js';

let client: ClusterManagerClient | undefined;

async function clusterManager(): Promise<ClusterManagerClient> {
  if (!client) {
    const { ClusterManagerClient: Client } = await import('@google-cloud/container');
    const config = runtimeConfig();
    client = new Client(await grpcClientOptions(config.projectId, config.endpoints.container));
  }
  return client;
}

/** The Container API's Cluster as plain JSON (enums as strings, times as RFC 3339). */
export async function getCluster(project: string, location: string, name: string): Promise<Record<string, unknown>> {
  const [cluster] = await (await clusterManager()).getCluster({ name: `projects/${project}/locations/${location}/clusters/${name}` });
  return cluster as unknown as Record<string, unknown>;
}

/** Operations in one location (`-` for all), as plain JSON. */
export async function listOperations(project: string, location: string): Promise<Record<string, unknown>[]> {
  const [response] = await (await clusterManager()).listOperations({ parent: `projects/${project}/locations/${location}` });
  return (response.operations ?? []) as unknown as Record<string, unknown>[];
}

/** One operation by name, as plain JSON: for those listOperations no longer shows. */
export async function getOperation(project: string, location: string, name: string): Promise<Record<string, unknown>> {
  const [operation] = await (await clusterManager()).getOperation({ name: `projects/${project}/locations/${location}/operations/${name}` });
  return operation as unknown as Record<string, unknown>;
}

export async function closeContainer(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.close();
}
