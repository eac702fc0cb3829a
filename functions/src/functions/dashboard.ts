import { FUNCTIONS } from '../core/pipeline/names.js';
import { handleDashboard } from '../adapters/dashboard/dashboard.js';
import { registerHttp } from '../adapters/runtime/functions-framework.js';

registerHttp(FUNCTIONS.dashboard, handleDashboard);
