import { buildTagsFilter } from '../../core/deploy/stages.js';
import { runtimeConfig } from '../config.js';
import { lazyGrpcClient } from './endpoints.js';

const cloudBuildClient = /* @__PURE__ */ lazyGrpcClient(async (options) => new (await import('@google-cloud/cloudbuild')).CloudBuildClient(options), (config) => config.endpoints.cloudbuild);

/**
 * Submits a build and returns its id at once; completion arrives on the cloud-builds topic. It is
 * created in kfguard's own project: its status then reaches kfguard's cloud-builds topic,
 * and the build's service account is what acts on the Kubeflow and management projects.
 */
export async function submitBuild(build: Record<string, unknown>): Promise<string> {
  const [operation] = await (await cloudBuildClient.get()).createBuild({ projectId: runtimeConfig().projectId, build });
  const id = (operation.metadata as { build?: { id?: string } } | undefined)?.build?.id;
  if (!id) throw new Error('Cloud Build returned no build id');
  return id;
}

/**
 * Ids of the builds in kfguard's project that carry every one of these tags, newest first. The
 * `tags="x"` filter narrows the listing, but its grammar is not documented, so each build's tags
 * are checked too: a term the service ignored cannot make another stage's build look like this one.
 */
export async function findBuildsTagged(tags: readonly string[]): Promise<string[]> {
  const [builds] = await (await cloudBuildClient.get()).listBuilds({ projectId: runtimeConfig().projectId, filter: buildTagsFilter(tags) });
  return builds.flatMap((build) => (build.id && tags.every((tag) => build.tags?.includes(tag)) ? [build.id] : []));
}

export const closeCloudBuild = cloudBuildClient.close;
