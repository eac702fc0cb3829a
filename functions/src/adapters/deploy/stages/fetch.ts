import { buildStage } from './build-stage.js';

/** The guide's kpt pkg get and make get-pkg, as a Cloud Build job. */
export const fetchStage = buildStage('fetch');
