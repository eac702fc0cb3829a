/** How standard library functions are declared, and the argument checks they share. */
import { raise } from './errors.js';
import { isList, isMap, isNumber, typeName } from './values.js';
import type { WMap, WValue } from './values.js';
import type { RuntimeServices } from './services.js';

export interface ParamSpec {
  readonly name: string;
  readonly optional: boolean;
}

export type FunctionArgs = readonly (WValue | undefined)[];

export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** Blocking calls (sleeping, logging, waiting, publishing) may only appear in call steps. */
  readonly blocking: boolean;
  call(args: FunctionArgs, services: RuntimeServices): WValue | Promise<WValue>;
}

/** Declares a function; a trailing `?` marks an optional parameter. */
export function defineFunction(
  name: string,
  params: readonly string[],
  call: FunctionSpec['call'],
  options: { blocking?: boolean } = {},
): FunctionSpec {
  return {
    name,
    params: params.map((param) => ({ name: param.replace(/\?$/, ''), optional: param.endsWith('?') })),
    blocking: options.blocking ?? false,
    call,
  };
}

function wrongType(fn: string, param: string, expected: string, value: WValue | undefined): never {
  return raise('TypeError', `${fn}: argument '${param}' must be ${expected}, not ${value === undefined ? 'missing' : typeName(value)}`);
}

export function stringArg(fn: string, param: string, value: WValue | undefined): string {
  return typeof value === 'string' ? value : wrongType(fn, param, 'a string', value);
}

export function numberArg(fn: string, param: string, value: WValue | undefined): number {
  return isNumber(value) ? Number(value) : wrongType(fn, param, 'a number', value);
}

export function intArg(fn: string, param: string, value: WValue | undefined): bigint {
  return typeof value === 'bigint' ? value : wrongType(fn, param, 'an integer', value);
}

export function boolArg(fn: string, param: string, value: WValue | undefined): boolean {
  return typeof value === 'boolean' ? value : wrongType(fn, param, 'a boolean', value);
}

export function mapArg(fn: string, param: string, value: WValue | undefined): WMap {
  return isMap(value) ? value : wrongType(fn, param, 'a map', value);
}

export function listArg(fn: string, param: string, value: WValue | undefined): WValue[] {
  return isList(value) ? value : wrongType(fn, param, 'a list', value);
}

export function bytesArg(fn: string, param: string, value: WValue | undefined): Uint8Array {
  return value instanceof Uint8Array ? value : wrongType(fn, param, 'bytes', value);
}

/** Optional arguments may be left out or passed as null. */
export function isAbsent(value: WValue | undefined): value is undefined | null {
  return value === undefined || value === null;
}
