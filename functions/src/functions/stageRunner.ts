import { FUNCTIONS } from '../core/pipeline/names.js';
import { handleStageEvent } from '../adapters/pipeline/stage-runner.js';
import { registerCloudEvent } from '../adapters/runtime/functions-framework.js';

registerCloudEvent(FUNCTIONS.stageRunner, handleStageEvent);
