import { buildStage } from './build-stage.js';

/** Images mirrored to the project's registry (private nodes pull only through the restricted VIP), as a Cloud Build job. */
export const mirrorStage = buildStage('mirror');
