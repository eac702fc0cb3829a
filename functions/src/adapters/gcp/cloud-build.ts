import type { CloudBuildClient } from '@google-cloud/cloudbuild';
import { runtimeConfig } from '../config.js';
import { grpcClientOptions } from './endpoints.js';

let client: CloudBuildClient | undefined;

async function cloudBuild(): Promise<CloudBuildClient> {
  if (!client) {
    const { CloudBuildClient: Client } = await import('@google-cloud/cloudbuild');
    const config = runtimeConfig();
    client = new Client(await grpcClientOptions(config.projectId, config.endpoints.cloudbuild));
  }
  return client;
}

/**
 * Submits a build and returns its id at once; completion arrives on the cloud-builds topic. It is
 * created in kfguard's own project: its status then reaches kfguard's cloud-builds topic,
 * and the build's service account is what acts on the Kubeflow and management projects.
 */
export async function submitBuild(build: Record<string, unknown>): Promise<string> {
  const [operation] = await (await cloudBuild()).createBuild({ projectId: runtimeConfig().projectId, build });
  const id = (operation.metadata as { build?: { id?: string } } | undefined)?.build?.id;
  if (!id) throw new Error('Cloud Build returned no build id');
  return id;
}

/** Ids of the builds in kfguard's project that match a list filter (`tags="x" AND ...`), newest first. */
export async function findBuilds(filter: string): Promise<string[]> {
  const [builds] = await (await cloudBuild()).listBuilds({ projectId: runtimeConfig().projectId, filter });
  return builds.flatMap((build) => (build.id ? [build.id] : []));
}

export async function closeCloudBuild(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.close();
}
