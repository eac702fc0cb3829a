import type { StageName } from '../../../core/deploy/stages.js';
import type { StageHandler } from '../stage-handler.js';
import { preflightStage } from './preflight.js';
import { fetchStage } from './fetch.js';
import { configureStage } from './configure.js';
import { gateStage } from './gate.js';
import { mirrorStage } from './mirror.js';
import { applyStage } from './apply.js';
import { waitClusterStage } from './wait-cluster.js';
import { endpointStage } from './endpoint.js';
import { verifyStage } from './verify.js';

export const STAGE_HANDLERS: Readonly<Record<StageName, StageHandler>> = {
  preflight: preflightStage,
  fetch: fetchStage,
  configure: configureStage,
  gate: gateStage,
  mirror: mirrorStage,
  apply: applyStage,
  'wait-cluster': waitClusterStage,
  endpoint: endpointStage,
  verify: verifyStage,
};
