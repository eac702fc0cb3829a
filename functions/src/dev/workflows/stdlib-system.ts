/** sys, time, retry predicates and events: the functions that touch the execution's environment. */
import { raise } from './errors.js';
import { stringifyJson } from './json.js';
import { isList, isMap, mapOf, toJs, typeName } from './values.js';
import type { WValue } from './values.js';
import { defineFunction, isAbsent, mapArg, numberArg, stringArg } from './stdlib-types.js';
import type { FunctionSpec } from './stdlib-types.js';
import type { RuntimeServices } from './services.js';

const SEVERITIES = new Set(['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY']);
const CALLBACK_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
const DEFAULT_CALLBACK_TIMEOUT_SECONDS = 43_200;

function textPayload(value: WValue): string {
  return typeof value === 'string' ? value : stringifyJson(value);
}

function loggable(fn: string, param: string, value: WValue): WValue {
  if (value instanceof Uint8Array) raise('TypeError', `${fn}: ${param} cannot be ${typeName(value)}`);
  return value;
}

function sysLog(args: readonly (WValue | undefined)[], services: RuntimeServices): WValue {
  const [data, severity, text, json] = args;
  const given = [data, text, json].filter((value) => !isAbsent(value));
  if (given.length !== 1) raise('TypeError', 'sys.log: give exactly one of data, text or json');
  const level = isAbsent(severity) ? 'DEFAULT' : stringArg('sys.log', 'severity', severity);
  if (!SEVERITIES.has(level)) raise('ValueError', `sys.log: unknown severity ${JSON.stringify(level)}`);
  if (!isAbsent(json)) services.log({ severity: level, json: toJs(mapArg('sys.log', 'json', json)) });
  else if (!isAbsent(text)) services.log({ severity: level, text: textPayload(loggable('sys.log', 'text', text)) });
  else if (isMap(data ?? null)) services.log({ severity: level, json: toJs(data ?? null) });
  else services.log({ severity: level, text: textPayload(loggable('sys.log', 'data', data ?? null)) });
  return null;
}

async function sysSleep(seconds: WValue | undefined, services: RuntimeServices): Promise<WValue> {
  const duration = numberArg('sys.sleep', 'seconds', seconds);
  if (!(duration >= 0)) raise('ValueError', 'sys.sleep: seconds must not be negative');
  await services.sleep(duration * 1000);
  return null;
}

function sysGetEnv(name: WValue | undefined, fallback: WValue | undefined, services: RuntimeServices): WValue {
  const value = services.env[stringArg('sys.get_env', 'name', name)];
  if (value !== undefined) return value;
  return isAbsent(fallback) ? null : stringArg('sys.get_env', 'default', fallback);
}

/** Cloud Workflows formats with microseconds: 2024-07-12T12:50:33.000000Z, or +02:00 off UTC. */
function formatTime(seconds: number, timezone: string): string {
  const micros = Math.floor(seconds * 1e6);
  const fraction = String(((micros % 1e6) + 1e6) % 1e6).padStart(6, '0');
  const instant = Math.floor(micros / 1e6) * 1000;
  const offsetMinutes = timezoneOffsetMinutes(instant, timezone);
  const local = new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0 && isUtcName(timezone)) return `${local}.${fraction}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return `${local}.${fraction}${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}

function isUtcName(timezone: string): boolean {
  return ['', 'UTC', 'GMT', 'Etc/UTC', 'Etc/GMT', 'Z'].includes(timezone);
}

function timezoneOffsetMinutes(instant: number, timezone: string): number {
  if (isUtcName(timezone)) return 0;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
  } catch {
    return raise('ValueError', `time.format: unknown timezone ${JSON.stringify(timezone)}`);
  }
  const name = format.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (match === null) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

function errorTags(exception: WValue | undefined): string[] {
  const tags = isMap(exception ?? null) ? (exception as Map<string, WValue>).get('tags') : undefined;
  return isList(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

function errorCode(exception: WValue | undefined): number | undefined {
  const code = isMap(exception ?? null) ? (exception as Map<string, WValue>).get('code') : undefined;
  return typeof code === 'bigint' || typeof code === 'number' ? Number(code) : undefined;
}

/** http.default_retry_predicate: 429, 502, 503, 504, ConnectionError, ConnectionFailedError, TimeoutError. */
export function defaultRetryPredicate(exception: WValue | undefined): boolean {
  const tags = errorTags(exception);
  if (['ConnectionError', 'ConnectionFailedError', 'TimeoutError'].some((tag) => tags.includes(tag))) return true;
  return tags.includes('HttpError') && [429, 502, 503, 504].includes(errorCode(exception) ?? 0);
}

/** http.default_retry_predicate_non_idempotent: 429, 503 and ConnectionFailedError only. */
export function nonIdempotentRetryPredicate(exception: WValue | undefined): boolean {
  const tags = errorTags(exception);
  if (tags.includes('ConnectionFailedError')) return true;
  return tags.includes('HttpError') && [429, 503].includes(errorCode(exception) ?? 0);
}

function createCallbackEndpoint(method: WValue | undefined, services: RuntimeServices): WValue {
  const verb = isAbsent(method) ? 'POST' : stringArg('events.create_callback_endpoint', 'http_callback_method', method);
  if (!CALLBACK_METHODS.has(verb)) raise('ValueError', `events.create_callback_endpoint: unsupported http_callback_method ${JSON.stringify(verb)}`);
  const callbacks = services.callbacks ?? raise('SystemError', 'callbacks are not available in this runner');
  return mapOf({ url: callbacks.create(services.executionId, verb) });
}

async function awaitCallback(callback: WValue | undefined, timeout: WValue | undefined, services: RuntimeServices): Promise<WValue> {
  const url = mapArg('events.await_callback', 'callback', callback).get('url');
  if (typeof url !== 'string') raise('TypeError', 'events.await_callback: callback must be the map that events.create_callback_endpoint returned');
  const seconds = isAbsent(timeout) ? DEFAULT_CALLBACK_TIMEOUT_SECONDS : numberArg('events.await_callback', 'timeout', timeout);
  if (!(seconds >= 0)) raise('ValueError', 'events.await_callback: timeout must not be negative');
  const callbacks = services.callbacks ?? raise('SystemError', 'callbacks are not available in this runner');
  const received = await callbacks.next(services.executionId, url, seconds * 1000, services.signal);
  return received ?? raise('TimeoutError', `timeout waiting for callback on ${url} after ${seconds} seconds`);
}

export const SYSTEM_FUNCTIONS: readonly FunctionSpec[] = [
  defineFunction('sys.now', [], (_args, services) => services.now() / 1000),
  defineFunction('sys.get_env', ['name', 'default?'], ([name, fallback], services) => sysGetEnv(name, fallback, services)),
  defineFunction('time.format', ['seconds', 'timezone?'], ([seconds, timezone]) =>
    formatTime(numberArg('time.format', 'seconds', seconds), isAbsent(timezone) ? '' : stringArg('time.format', 'timezone', timezone)),
  ),
  defineFunction('http.default_retry_predicate', ['exception'], ([exception]) => defaultRetryPredicate(exception)),
  defineFunction('http.default_retry_predicate_non_idempotent', ['exception'], ([exception]) => nonIdempotentRetryPredicate(exception)),
  defineFunction('retry.always', ['exception'], () => true),
  defineFunction('retry.never', ['exception'], () => false),
  defineFunction('sys.log', ['data?', 'severity?', 'text?', 'json?', 'timeout?'], sysLog, { blocking: true }),
  defineFunction('sys.sleep', ['seconds'], ([seconds], services) => sysSleep(seconds, services), { blocking: true }),
  defineFunction('events.create_callback_endpoint', ['http_callback_method?'], ([method], services) => createCallbackEndpoint(method, services), { blocking: true }),
  defineFunction('events.await_callback', ['callback', 'timeout?'], ([callback, timeout], services) => awaitCallback(callback, timeout, services), {
    blocking: true,
  }),
];
