/**
 * The value model of the local Cloud Workflows runner.
 *
 * Workflows distinguishes int (64-bit) from double, and bytes from strings, which plain JS values
 * cannot: `1` and `1.0` are the same number. So ints are `bigint`, doubles are `number`, bytes are
 * `Uint8Array`, and maps are `Map` (a plain object would reorder integer-like keys such as "10").
 */

export type WMap = Map<string, WValue>;
export type WValue = null | boolean | string | bigint | number | Uint8Array | WValue[] | WMap;

export type TypeName = 'null' | 'bool' | 'string' | 'int' | 'double' | 'bytes' | 'list' | 'map';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function typeName(value: WValue): TypeName {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'double';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  return 'map';
}

export function isMap(value: WValue | undefined): value is WMap {
  return value instanceof Map;
}

export function isList(value: WValue | undefined): value is WValue[] {
  return Array.isArray(value);
}

export function isNumber(value: WValue | undefined): value is bigint | number {
  return typeof value === 'bigint' || typeof value === 'number';
}

export function fitsInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

export function toDouble(value: bigint | number): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Workflows passes values by copy: assigning one variable to another never aliases. */
export function cloneValue(value: WValue): WValue {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [key, cloneValue(item)]));
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  return value;
}

export function mapOf(entries: Record<string, WValue>): WMap {
  return new Map(Object.entries(entries));
}

/** Equality as `==` sees it: deep, and an int equals a double of the same value. */
export function valuesEqual(a: WValue, b: WValue): boolean {
  if (isNumber(a) && isNumber(b)) return typeof a === typeof b ? a === b : toDouble(a) === toDouble(b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => valuesEqual(item, b[index] as WValue));
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [key, item] of a) {
      if (!b.has(key) || !valuesEqual(item, b.get(key) as WValue)) return false;
    }
    return true;
  }
  return a === b;
}

/**
 * Converts a JS value (an execution argument, a connector result) into a workflow value. Integral
 * numbers become ints because JSON carried through JS has already lost `1.0` versus `1`.
 */
export function fromJs(value: unknown, at = 'value'): WValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map((item, index) => fromJs(item, `${at}[${index}]`));
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [String(key), fromJs(item, `${at}.${String(key)}`)]));
  if (typeof value === 'object') return new Map(Object.entries(value).map(([key, item]) => [key, fromJs(item, `${at}.${key}`)]));
  throw new TypeError(`${at}: a ${typeof value} cannot be passed to a workflow`);
}

/**
 * Converts a workflow value into plain JS for callers of the runner. Ints become numbers when that is
 * exact and decimal strings otherwise; bytes stay Uint8Array.
 */
export function toJs(value: WValue): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(toJs);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [key, toJs(item)]));
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  return value;
}

/**
 * How Workflows prints a double. Its runtime errors carry Python's exception names and its `//` and
 * `%` follow Python, so doubles are printed the Python way too: `2.0`, `1e+16`, `1e-05`.
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const plain = value.toFixed(Math.max(0, mantissa.replace(/^-?\d\.?/, '').length - exponent));
  return plain.includes('.') ? plain : `${plain}.0`;
}
