/** Expression helpers and the data modules: conversions, map, list, json, base64. */
import { raise } from './errors.js';
import { JsonSyntaxError, JsonValueError, parseJson, stringifyJson } from './json.js';
import type { JsonLayout } from './json.js';
import { cloneValue, fitsInt64, formatDouble, isList, isMap, typeName } from './values.js';
import type { WValue } from './values.js';
import { bytesArg, defineFunction, isAbsent, listArg, mapArg, stringArg } from './stdlib-types.js';
import type { FunctionSpec } from './stdlib-types.js';

function len(value: WValue | undefined): WValue {
  if (typeof value === 'string') return BigInt([...value].length);
  if (isList(value)) return BigInt(value.length);
  if (isMap(value)) return BigInt(value.size);
  return raise('TypeError', `len: expected a string, list or map, not ${value === undefined ? 'missing' : typeName(value)}`);
}

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const DOUBLE_TEXT = /^\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\s*$/i;

function toInt(value: WValue | undefined): WValue {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) raise('ValueError', `int: cannot convert ${formatDouble(value)} to an integer`);
    const truncated = BigInt(Math.trunc(value));
    if (!fitsInt64(truncated)) raise('ValueError', `int: ${formatDouble(value)} does not fit in 64 bits`);
    return truncated;
  }
  if (typeof value === 'string') {
    if (!INTEGER_TEXT.test(value)) raise('ValueError', `int: invalid integer ${JSON.stringify(value)}`);
    const parsed = BigInt(value.trim());
    if (!fitsInt64(parsed)) raise('ValueError', `int: ${value.trim()} does not fit in 64 bits`);
    return parsed;
  }
  return raise('TypeError', `int: expected a string or a double, not ${value === undefined ? 'missing' : typeName(value)}`);
}

function toDoubleValue(value: WValue | undefined): WValue {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (!DOUBLE_TEXT.test(value)) raise('ValueError', `double: invalid number ${JSON.stringify(value)}`);
    const text = value.trim().toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
    return text.endsWith('nan') ? Number.NaN : Number(text);
  }
  return raise('TypeError', `double: expected a string or an integer, not ${value === undefined ? 'missing' : typeName(value)}`);
}

function toStringValue(value: WValue | undefined): WValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return formatDouble(value);
  return raise('TypeError', `string: expected an integer, double or boolean, not ${value === undefined ? 'missing' : typeName(value)}`);
}

function mapGet(map: WValue | undefined, keys: WValue | undefined): WValue {
  const path = typeof keys === 'string' ? [keys] : isList(keys) && keys.every((key) => typeof key === 'string') ? (keys as string[]) : undefined;
  if (path === undefined) raise('TypeError', 'map.get: keys must be a string or a list of strings');
  let current: WValue | undefined = map;
  for (const key of path) current = isMap(current) ? current.get(key) : undefined;
  return current === undefined ? null : cloneValue(current);
}

function jsonLayout(fn: string, indent: WValue | undefined): JsonLayout | undefined {
  if (isAbsent(indent) || indent === false) return undefined;
  if (indent === true) return { prefix: '', indent: '  ' };
  const options = mapArg(fn, 'indent', indent);
  const prefix = options.get('prefix');
  const step = options.get('indent');
  return { prefix: isAbsent(prefix) ? '' : stringArg(fn, 'indent.prefix', prefix), indent: isAbsent(step) ? '  ' : stringArg(fn, 'indent.indent', step) };
}

function encodeJson(fn: string, data: WValue | undefined, indent: WValue | undefined): string {
  try {
    return stringifyJson(data ?? null, jsonLayout(fn, indent));
  } catch (error) {
    if (error instanceof JsonValueError) raise('TypeError', `${fn}: ${error.message}`);
    throw error;
  }
}

function decodeJson(data: WValue | undefined): WValue {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) text = decodeUtf8('json.decode', data);
  else return raise('TypeError', `json.decode: data must be a string or bytes, not ${data === undefined ? 'missing' : typeName(data)}`);
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) raise('ValueError', `json.decode: invalid JSON: ${error.message}`);
    throw error;
  }
}

export function decodeUtf8(fn: string, data: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return raise('ValueError', `${fn}: the bytes are not valid UTF-8`);
  }
}

const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(data: WValue | undefined, padding: WValue | undefined): WValue {
  const text = stringArg('base64.decode', 'data', data);
  const padded = isAbsent(padding) || padding === true;
  const valid = BASE64_TEXT.test(text) && (padded ? text.length % 4 === 0 : !text.includes('=') && text.length % 4 !== 1);
  if (!valid) raise('ValueError', 'base64.decode: the data is not valid base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function encodeBase64(data: WValue | undefined, padding: WValue | undefined): WValue {
  const encoded = Buffer.from(bytesArg('base64.encode', 'data', data)).toString('base64');
  return isAbsent(padding) || padding === true ? encoded : encoded.replace(/=+$/, '');
}

export const DATA_FUNCTIONS: readonly FunctionSpec[] = [
  defineFunction('len', ['value'], ([value]) => len(value)),
  defineFunction('keys', ['map'], ([map]) => [...mapArg('keys', 'map', map).keys()]),
  defineFunction('default', ['value', 'default_value'], ([value, fallback]) => cloneValue(isAbsent(value) ? (fallback ?? null) : value)),
  defineFunction('int', ['value'], ([value]) => toInt(value)),
  defineFunction('double', ['value'], ([value]) => toDoubleValue(value)),
  defineFunction('string', ['value'], ([value]) => toStringValue(value)),
  defineFunction('map.get', ['map', 'keys'], ([map, keys]) => mapGet(map, keys)),
  defineFunction('map.merge', ['first', 'second'], ([first, second]) => {
    const merged = cloneValue(mapArg('map.merge', 'first', first)) as Map<string, WValue>;
    for (const [key, value] of mapArg('map.merge', 'second', second)) merged.set(key, cloneValue(value));
    return merged;
  }),
  defineFunction('list.concat', ['objs', 'val'], ([objs, val]) => [...listArg('list.concat', 'objs', objs).map(cloneValue), cloneValue(val ?? null)]),
  defineFunction('json.encode', ['data', 'indent?'], ([data, indent]) => new Uint8Array(Buffer.from(encodeJson('json.encode', data, indent), 'utf8'))),
  defineFunction('json.encode_to_string', ['data', 'indent?'], ([data, indent]) => encodeJson('json.encode_to_string', data, indent)),
  defineFunction('json.decode', ['data'], ([data]) => decodeJson(data)),
  defineFunction('base64.encode', ['data', 'padding?'], ([data, padding]) => encodeBase64(data, padding)),
  defineFunction('base64.decode', ['data', 'padding?'], ([data, padding]) => decodeBase64(data, padding)),
];
