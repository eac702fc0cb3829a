/** The standard library the runner supports, and the retry policies usable as `retry: ${...}`. */
import { DATA_FUNCTIONS } from './stdlib-data.js';
import { PUBSUB_FUNCTIONS } from './stdlib-pubsub.js';
import { SYSTEM_FUNCTIONS } from './stdlib-system.js';
import { TEXT_FUNCTIONS } from './stdlib-text.js';
import type { FunctionSpec } from './stdlib-types.js';

export type { FunctionSpec } from './stdlib-types.js';

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(
  [...DATA_FUNCTIONS, ...TEXT_FUNCTIONS, ...SYSTEM_FUNCTIONS, ...PUBSUB_FUNCTIONS].map((spec) => [spec.name, spec]),
);

/** `if(condition, a, b)` evaluates only the branch it returns, so the evaluator implements it. */
export const IF_FUNCTION = 'if';

export interface BackoffSettings {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
}

/** retry.default_backoff. */
export const DEFAULT_BACKOFF: BackoffSettings = { initialDelay: 1, maxDelay: 60, multiplier: 1.25 };

export interface RetryPolicyPreset {
  readonly predicate: string;
  readonly maxRetries: number;
  readonly backoff: BackoffSettings;
}

export const RETRY_POLICIES: ReadonlyMap<string, RetryPolicyPreset> = new Map([
  ['http.default_retry', { predicate: 'http.default_retry_predicate', maxRetries: 5, backoff: DEFAULT_BACKOFF }],
  ['http.default_retry_non_idempotent', { predicate: 'http.default_retry_predicate_non_idempotent', maxRetries: 5, backoff: DEFAULT_BACKOFF }],
]);

/** Built-in functions usable as a retry predicate. */
export const RETRY_PREDICATES = new Set(['http.default_retry_predicate', 'http.default_retry_predicate_non_idempotent', 'retry.always', 'retry.never']);

/**
 * Real Cloud Workflows functions and connectors the runner deliberately lacks, named so that the
 * WorkflowError says "not supported here" instead of "unknown".
 */
export function unsupportedReason(name: string): string | undefined {
  if (name.startsWith('http.')) return `${name} makes HTTP requests, which the local runner does not support; production reaches services through connectors`;
  if (name.startsWith('googleapis.')) return `the connector ${name} is not supported by the local runner (only googleapis.pubsub.v1.projects.topics.publish is)`;
  const module = name.split('.')[0] ?? name;
  const knownModules = ['sys', 'text', 'json', 'base64', 'map', 'list', 'math', 'time', 'uuid', 'hash', 'events', 'retry', 'experimental'];
  if (name.includes('.') && knownModules.includes(module)) return `${name} is not supported by the local runner`;
  return undefined;
}
