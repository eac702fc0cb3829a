import { stageBuild } from '../../../core/deploy/builds.js';
import { buildTags, type BuildStage } from '../../../core/deploy/stages.js';
import { runtimeConfig } from '../../config.js';
import { findBuildsTagged, submitBuild } from '../../gcp/cloud-build.js';
import type { StageContext, StageHandler, StageOutcome } from '../stage-handler.js';

/** Not a failure: the delivery that claimed the build may still be submitting it; Pub/Sub comes back later. */
export class BuildStartInProgress extends Error {}

/**
 * A claim without a build id this old belongs to a delivery that crashed between claiming and
 * recording: createBuild answers in seconds, and a delivery gives up long before this.
 */
const STALE_CLAIM_MS = 120_000;

function buildFor(stage: BuildStage, context: StageContext): ReturnType<typeof stageBuild> {
  const { deploy } = runtimeConfig();
  const settings = { bucket: deploy.bucket, toolboxImage: deploy.toolboxImage, ...(deploy.buildServiceAccount ? { serviceAccount: deploy.buildServiceAccount } : {}) };
  return stageBuild(stage, context.request, context.inputs, settings, context.deploymentId, context.attempt);
}

/** The stale claim's build, if the crashed delivery got as far as creating it; found by its tags. */
async function buildOfCrashedDelivery(stage: BuildStage, { deploymentId, attempt }: StageContext): Promise<string | undefined> {
  const [newest] = await findBuildsTagged(buildTags(deploymentId, stage, attempt));
  return newest;
}

/**
 * A stage that is a Cloud Build job. The build is claimed per stage attempt before it is
 * submitted, so a redelivered StageRequest never starts a second build; a claim left by a
 * delivery that crashed before recording its build is recovered: the build it created is
 * adopted, or, when it created none, one delivery takes the claim over and submits.
 */
export function buildStage(stage: BuildStage): StageHandler {
  return async (context): Promise<StageOutcome> => {
    const { deploymentId, attempt, store, now } = context;
    const { build, outputs } = buildFor(stage, context);
    const started = (buildId: string): StageOutcome => ({ status: 'build-started', buildId, outputs });
    const submit = async (): Promise<StageOutcome> => {
      const buildId = await submitBuild(build);
      await store.recordBuild(deploymentId, stage, attempt, buildId);
      return started(buildId);
    };
    const claim = await store.claimBuild(deploymentId, stage, attempt, now);
    if (claim.claimed) return submit();
    if (claim.buildId) return started(claim.buildId);
    if (now.getTime() - Date.parse(claim.claimedAt) < STALE_CLAIM_MS) throw new BuildStartInProgress(`${stage} attempt ${attempt}: another delivery is starting its build`);
    const orphan = await buildOfCrashedDelivery(stage, context);
    if (orphan) {
      context.logger.warn(`${stage} attempt ${attempt}: adopting build ${orphan}, which a crashed delivery created but never recorded`);
      await store.recordBuild(deploymentId, stage, attempt, orphan);
      return started(orphan);
    }
    if (!(await store.takeOverBuild(deploymentId, stage, attempt, claim.generation, now))) throw new BuildStartInProgress(`${stage} attempt ${attempt}: another delivery took over its build`);
    context.logger.warn(`${stage} attempt ${attempt}: the delivery that claimed the build crashed before creating it; submitting it now`);
    return submit();
  };
}
