import { buildStage } from './build-stage.js';

/** make apply without the blocking kubectl wait, as a Cloud Build job; the IAP secret comes from Secret Manager. */
export const applyStage = buildStage('apply');
