import { buildStage } from './build-stage.js';

/** The cloud endpoint created from outside the private cluster (kubeflow/gcp-blueprints#36), as a Cloud Build job. */
export const endpointStage = buildStage('endpoint');
