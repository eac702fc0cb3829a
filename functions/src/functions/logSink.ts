import { FUNCTIONS } from '../core/pipeline/names.js';
import { handleLogEvent } from '../adapters/pipeline/log-sink.js';
import { registerCloudEvent } from '../adapters/runtime/functions-framework.js';

registerCloudEvent(FUNCTIONS.logSink, handleLogEvent);
