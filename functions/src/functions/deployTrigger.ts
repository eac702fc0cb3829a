import { FUNCTIONS } from '../core/pipeline/names.js';
import { handleDeployRequest } from '../adapters/pipeline/deploy-trigger.js';
import { registerCloudEvent } from '../adapters/runtime/functions-framework.js';

registerCloudEvent(FUNCTIONS.deployTrigger, handleDeployRequest);
