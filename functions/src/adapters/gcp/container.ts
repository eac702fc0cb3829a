import { lazyGrpcClient } from './endpoints.js';

const clusterManagerClient = /* @__PURE__ */ lazyGrpcClient(async (options) => new (await import('@google-cloud/container')).ClusterManagerClient(options), (config) => config.endpoints.container);

/** The Container API's Cluster as plain JSON (enums as strings, times as RFC 3339). */
export async function getCluster(project: string, location: string, name: string): Promise<Record<string, unknown>> {
  const [cluster] = await (await clusterManagerClient.get()).getCluster({ name: `projects/${project}/locations/${location}/clusters/${name}` });
  return cluster as unknown as Record<string, unknown>;
}

/** Operations in one location (`-` for all), as plain JSON. */
export async function listOperations(project: string, location: string): Promise<Record<string, unknown>[]> {
  const [response] = await (await clusterManagerClient.get()).listOperations({ parent: `projects/${project}/locations/${location}` });
  return (response.operations ?? []) as unknown as Record<string, unknown>[];
}

/** One operation by name, as plain JSON: for those listOperations no longer shows. */
export async function getOperation(project: string, location: string, name: string): Promise<Record<string, unknown>> {
  const [operation] = await (await clusterManagerClient.get()).getOperation({ name: `projects/${project}/locations/${location}/operations/${name}` });
  return operation as unknown as Record<string, unknown>;
}

export const closeContainer = clusterManagerClient.close;
