import { FUNCTIONS } from '../core/pipeline/names.js';
import { handleNotificationEvent } from '../adapters/pipeline/notifier.js';
import { registerCloudEvent } from '../adapters/runtime/functions-framework.js';

registerCloudEvent(FUNCTIONS.notifier, handleNotificationEvent);
