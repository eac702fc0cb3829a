/** A workflow definition after validation: what the interpreter runs. */
import type { Expr } from './parser.js';
import type { FunctionSpec } from './stdlib.js';
import type { WValue } from './values.js';

/** A value in the definition: literal YAML, `${...}` expressions, or lists and maps mixing both. */
export type Template =
  | { readonly kind: 'const'; readonly value: WValue }
  | { readonly kind: 'expr'; readonly expr: Expr; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly Template[] }
  | { readonly kind: 'map'; readonly entries: readonly { readonly key: Template; readonly value: Template }[] };

export type PathSegment = { readonly kind: 'key'; readonly name: string } | { readonly kind: 'index'; readonly expr: Expr };

/** The left side of an assignment: `a`, `a.b`, `a["k"]`, `a[0].b`. */
export interface AssignTarget {
  readonly root: string;
  readonly path: readonly PathSegment[];
  readonly text: string;
}

export type Next =
  | { readonly kind: 'step'; readonly name: string }
  | { readonly kind: 'end' }
  | { readonly kind: 'break' }
  | { readonly kind: 'continue' };

export type CallTarget = { readonly kind: 'routine'; readonly name: string } | { readonly kind: 'function'; readonly spec: FunctionSpec };

export type PredicateRef = { readonly kind: 'builtin'; readonly name: string } | { readonly kind: 'routine'; readonly name: string };

export interface RetrySpec {
  readonly predicate: PredicateRef;
  readonly maxRetries: Template;
  readonly initialDelay: Template;
  readonly maxDelay: Template;
  readonly multiplier: Template;
}

export interface Branch {
  readonly condition: Template;
  readonly action?: Action;
  readonly next?: Next;
  readonly line: number;
}

export interface Assignment {
  readonly target: AssignTarget;
  readonly value: Template;
  readonly line: number;
}

export type LoopSource = { readonly kind: 'in'; readonly list: Template } | { readonly kind: 'range'; readonly range: Template };

export type Action =
  | { readonly kind: 'assign'; readonly assignments: readonly Assignment[] }
  | { readonly kind: 'call'; readonly target: CallTarget; readonly args?: Template; readonly result?: string }
  | { readonly kind: 'switch'; readonly branches: readonly Branch[] }
  | { readonly kind: 'return'; readonly value: Template }
  | { readonly kind: 'raise'; readonly value: Template }
  | { readonly kind: 'steps'; readonly body: StepList }
  | { readonly kind: 'try'; readonly body: Action; readonly retry?: RetrySpec; readonly except?: ExceptBlock }
  | { readonly kind: 'for'; readonly value: string; readonly index?: string; readonly source: LoopSource; readonly body: StepList }
  | { readonly kind: 'jump' };

export interface ExceptBlock {
  readonly as?: string;
  readonly body: StepList;
}

export interface Step {
  readonly name: string;
  readonly line: number;
  /** `main > init > loop`, for error messages. */
  readonly path: string;
  readonly action: Action;
  readonly next?: Next;
}

export interface StepList {
  readonly steps: readonly Step[];
  readonly indexByName: ReadonlyMap<string, number>;
}

export interface Param {
  readonly name: string;
  readonly defaultValue?: Template;
}

export interface Routine {
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: StepList;
  readonly line: number;
}

export interface Program {
  readonly routines: ReadonlyMap<string, Routine>;
  /** Whether any step creates or awaits callback endpoints, which needs a CallbackServer. */
  readonly usesCallbacks: boolean;
}
