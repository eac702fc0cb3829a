import { FUNCTIONS } from '../core/pipeline/names.js';
import { handleSweepTick } from '../adapters/pipeline/health-sweep.js';
import { registerCloudEvent } from '../adapters/runtime/functions-framework.js';

registerCloudEvent(FUNCTIONS.healthSweep, handleSweepTick);
