/**
 * Variable scopes. A routine has one scope; a for loop and an except block each open a child scope.
 * Assigning a name that an enclosing scope already holds updates it there; a new name is created
 * in the innermost scope and disappears with it, as Cloud Workflows documents.
 */
import { raise } from './errors.js';
import { isList, isMap, typeName } from './values.js';
import type { WValue } from './values.js';

export class Scope {
  private readonly variables = new Map<string, WValue>();

  constructor(private readonly parent?: Scope) {}

  get(name: string): WValue | undefined {
    return this.variables.has(name) ? this.variables.get(name) : this.parent?.get(name);
  }

  /** Creates or updates, in the scope that already holds the name or else in this one. */
  set(name: string, value: WValue): void {
    (this.owner(name) ?? this).variables.set(name, value);
  }

  /** Creates in this scope, shadowing outer variables: loop variables and `except: as:`. */
  declare(name: string, value: WValue): void {
    this.variables.set(name, value);
  }

  private owner(name: string): Scope | undefined {
    return this.variables.has(name) ? this : this.parent?.owner(name);
  }
}

/** One step down an assignment path; missing map keys are created as empty maps on the way. */
export function descend(container: WValue, key: WValue): WValue {
  if (isMap(container)) {
    if (typeof key !== 'string') return raise('TypeError', `map keys are strings, not ${typeName(key)}`);
    const existing = container.get(key);
    if (existing !== undefined) return existing;
    const created = new Map<string, WValue>();
    container.set(key, created);
    return created;
  }
  const index = listIndex(container, key);
  return (container as WValue[])[index] as WValue;
}

export function store(container: WValue, key: WValue, value: WValue): void {
  if (isMap(container)) {
    if (typeof key !== 'string') raise('TypeError', `map keys are strings, not ${typeName(key)}`);
    container.set(key, value);
    return;
  }
  (container as WValue[])[listIndex(container, key)] = value;
}

function listIndex(container: WValue, key: WValue): number {
  if (!isList(container)) return raise('TypeError', `cannot assign into a ${typeName(container)}`);
  if (typeof key !== 'bigint') return raise('TypeError', `list indices must be integers, not ${typeName(key)}`);
  if (key < 0n || key >= BigInt(container.length)) return raise('IndexError', `list assignment index out of range: ${key} (length ${container.length})`);
  return Number(key);
}
