/**
 * Operator semantics. The documentation defines `+` as addition and string concatenation only, `/`
 * as float division and `//` as floor division; everything else is a TypeError. Where it is silent
 * (the sign of `%`, rounding of `//`) the runtime's Python-named errors point to Python's rules.
 */
import { raise } from './errors.js';
import { fitsInt64, isList, isMap, isNumber, toDouble, typeName, valuesEqual } from './values.js';
import type { WValue } from './values.js';
import type { BinaryOperator } from './parser.js';

function checkedInt(value: bigint): bigint {
  if (!fitsInt64(value)) raise('ValueError', 'integer overflow: the result does not fit in 64 bits');
  return value;
}

function operandError(operator: string, left: WValue, right: WValue): never {
  return raise('TypeError', `unsupported operand types for ${operator}: ${typeName(left)} and ${typeName(right)}`);
}

function numbers(operator: string, left: WValue, right: WValue): [bigint, bigint] | [number, number] {
  if (typeof left === 'bigint' && typeof right === 'bigint') return [left, right];
  if (isNumber(left) && isNumber(right)) return [toDouble(left), toDouble(right)];
  return operandError(operator, left, right);
}

function add(left: WValue, right: WValue): WValue {
  if (typeof left === 'string' && typeof right === 'string') return left + right;
  const [a, b] = numbers('+', left, right);
  return typeof a === 'bigint' ? checkedInt(a + (b as bigint)) : a + (b as number);
}

function subtract(left: WValue, right: WValue): WValue {
  const [a, b] = numbers('-', left, right);
  return typeof a === 'bigint' ? checkedInt(a - (b as bigint)) : a - (b as number);
}

function multiply(left: WValue, right: WValue): WValue {
  const [a, b] = numbers('*', left, right);
  return typeof a === 'bigint' ? checkedInt(a * (b as bigint)) : a * (b as number);
}

function divide(left: WValue, right: WValue): WValue {
  const [a, b] = numbers('/', left, right);
  if (toDouble(b) === 0) raise('ZeroDivisionError', 'division by zero');
  return toDouble(a) / toDouble(b);
}

function floorDivide(left: WValue, right: WValue): WValue {
  const [a, b] = numbers('//', left, right);
  if (toDouble(b) === 0) raise('ZeroDivisionError', 'integer division or modulo by zero');
  if (typeof a === 'number') return Math.floor(a / (b as number));
  const quotient = a / (b as bigint);
  // BigInt division truncates toward zero; floor division rounds toward negative infinity.
  return checkedInt(a % (b as bigint) !== 0n && a < 0n !== (b as bigint) < 0n ? quotient - 1n : quotient);
}

function remainder(left: WValue, right: WValue): WValue {
  const [a, b] = numbers('%', left, right);
  if (toDouble(b) === 0) raise('ZeroDivisionError', 'integer division or modulo by zero');
  if (typeof a === 'number') {
    const rest = a % (b as number);
    return rest !== 0 && rest < 0 !== (b as number) < 0 ? rest + (b as number) : rest;
  }
  const rest = a % (b as bigint);
  return rest !== 0n && rest < 0n !== (b as bigint) < 0n ? rest + (b as bigint) : rest;
}

function order(operator: string, left: WValue, right: WValue): number {
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  if (isNumber(left) && isNumber(right)) {
    if (typeof left === 'bigint' && typeof right === 'bigint') return left < right ? -1 : left > right ? 1 : 0;
    const [a, b] = [toDouble(left), toDouble(right)];
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.NaN;
  }
  return operandError(operator, left, right);
}

function contains(needle: WValue, haystack: WValue): boolean {
  if (isList(haystack)) return haystack.some((item) => valuesEqual(item, needle));
  if (isMap(haystack)) return typeof needle === 'string' && haystack.has(needle);
  return raise('TypeError', `'in' needs a list or a map on its right, not ${typeName(haystack)}`);
}

/** The operators whose both operands are always evaluated (`and`/`or` short-circuit elsewhere). */
export function applyBinary(operator: Exclude<BinaryOperator, 'and' | 'or'>, left: WValue, right: WValue): WValue {
  switch (operator) {
    case '+':
      return add(left, right);
    case '-':
      return subtract(left, right);
    case '*':
      return multiply(left, right);
    case '/':
      return divide(left, right);
    case '//':
      return floorDivide(left, right);
    case '%':
      return remainder(left, right);
    case '==':
      return valuesEqual(left, right);
    case '!=':
      return !valuesEqual(left, right);
    case '<':
      return order(operator, left, right) < 0;
    case '<=':
      return order(operator, left, right) <= 0;
    case '>':
      return order(operator, left, right) > 0;
    case '>=':
      return order(operator, left, right) >= 0;
    case 'in':
      return contains(left, right);
  }
}

export function negate(value: WValue): WValue {
  if (typeof value === 'bigint') return checkedInt(-value);
  if (typeof value === 'number') return -value;
  return raise('TypeError', `bad operand type for unary -: ${typeName(value)}`);
}

export function requireBool(value: WValue, what: string): boolean {
  if (typeof value !== 'boolean') raise('TypeError', `${what} needs a boolean, not ${typeName(value)}`);
  return value;
}

/** `map.key`, `map["key"]` and `list[index]`. */
export function readMember(container: WValue, key: WValue): WValue {
  if (isMap(container)) {
    if (typeof key !== 'string') raise('TypeError', `map keys are strings, not ${typeName(key)}`);
    const value = container.get(key);
    if (value === undefined) raise('KeyError', `key not found: ${key}`);
    return value;
  }
  if (isList(container)) {
    if (typeof key !== 'bigint') raise('TypeError', `list indices must be integers, not ${typeName(key)}`);
    const value = key < 0n ? undefined : container[Number(key)];
    if (value === undefined) raise('IndexError', `list index out of range: ${key} (length ${container.length})`);
    return value;
  }
  return raise('TypeError', `a ${typeName(container)} has no members or elements`);
}
