import { buildStage } from './build-stage.js';

/** The guide's hand edits (kfguard blueprint enable-private), make set-values and make hydrate, as a Cloud Build job. */
export const configureStage = buildStage('configure');
