import { stageBuild } from '../../../core/deploy/builds.js';
import type { StageName } from '../../../core/deploy/stages.js';
import { runtimeConfig } from '../../config.js';
import { submitBuild } from '../../gcp/cloud-build.js';
import type { StageHandler } from '../stage-handler.js';

export class BuildStartInProgress extends Error {}

/**
 * A stage that is a Cloud Build job. The build is claimed per stage attempt before it is
 * submitted, so a redelivered StageRequest finds the claim and never starts a second build.
 */
export function buildStage(stage: StageName): StageHandler {
  return async ({ deploymentId, request, attempt, store }) => {
    const claim = await store.claimBuild(deploymentId, stage, attempt);
    if (!claim.claimed) {
      if (claim.buildId) return { status: 'build-started', buildId: claim.buildId };
      // Another delivery is submitting it right now; come back once it has recorded the id.
      throw new BuildStartInProgress(`${stage} attempt ${attempt}: another delivery is starting its build`);
    }
    const { deploy } = runtimeConfig();
    const build = stageBuild(stage, request, { bucket: deploy.bucket, toolboxImage: deploy.toolboxImage, ...(deploy.buildServiceAccount ? { serviceAccount: deploy.buildServiceAccount } : {}) }, deploymentId, attempt);
    const buildId = await submitBuild(build);
    await store.recordBuild(deploymentId, stage, attempt, buildId);
    return { status: 'build-started', buildId };
  };
}
