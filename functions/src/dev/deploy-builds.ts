import { artifactsPrefix } from '../core/deploy/builds.js';
import { stageFromTags } from '../core/deploy/stages.js';
import type { BuildBehaviour, BuildOutcome } from './fakes/cloud-build.js';
import type { LoadedScenario } from './scenario.js';

/**
 * Cloud Build cannot run kpt, make and kubectl here. A scenario says how each stage's build ends;
 * the configure build "renders" the scenario's manifests into the package's .build/, as `make
 * hydrate` would, so the gate stage reads real files from storage.
 */
export function scenarioBuilds(scenario: Pick<LoadedScenario, 'deploy' | 'hydratedFiles'>, bucket: string): BuildBehaviour {
  const attempts = new Map<string, number>();
  return (build) => {
    const owner = stageFromTags(Array.isArray(build['tags']) ? (build['tags'] as string[]) : []);
    if (!owner) return { status: 'SUCCESS', durationMs: 50 };
    const key = `${owner.deploymentId}/${owner.stage}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const planned = scenario.deploy.builds[owner.stage];
    // `times` limits a planned failure to the first attempts: a transient problem that a retry clears.
    if (planned && (planned.times === undefined || attempt <= planned.times)) {
      if (planned.status === 'never-finishes') return 'never-finishes';
      return { status: planned.status, durationMs: 100, ...(planned.statusDetail ? { statusDetail: planned.statusDetail } : {}) };
    }
    const outcome: BuildOutcome = { status: 'SUCCESS', durationMs: 100 };
    if (owner.stage === 'configure') {
      outcome.objects = scenario.hydratedFiles.map((file) => ({ bucket, name: `${artifactsPrefix(owner.deploymentId)}/package/.build/${file.name}`, content: file.content }));
    }
    return outcome;
  };
}
