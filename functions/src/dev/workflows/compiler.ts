/**
 * Turns a definition's source tree into a Program, refusing, with the step path and line, anything
 * the runner does not support or that Cloud Workflows would reject at deploy time. Scope and jump
 * rules are checked afterwards by analysis.ts.
 */
import { WorkflowError } from './errors.js';
import type { SourceLocation } from './errors.js';
import { dottedName, parseExpression } from './parser.js';
import type { Expr } from './parser.js';
import type { Action, Assignment, AssignTarget, Branch, CallTarget, ExceptBlock, LoopSource, Next, Param, PathSegment, PredicateRef, RetrySpec, Routine, Step, StepList, Template } from './program.js';
import type { SourceEntry, SourceNode } from './source.js';
import { checkCalls } from './expression-check.js';
import type { ParamInfo } from './expression-check.js';
import { DEFAULT_BACKOFF, FUNCTIONS, RETRY_POLICIES, RETRY_PREDICATES, unsupportedReason } from './stdlib.js';
import type { BackoffSettings } from './stdlib.js';
import { compileTemplate, expressionText } from './templates.js';
import { ExpressionSyntaxError } from './lexer.js';

const ACTION_KEYS = ['assign', 'call', 'switch', 'return', 'raise', 'steps', 'try', 'for'] as const;
type ActionKey = (typeof ACTION_KEYS)[number];
const MODIFIER_KEYS: Readonly<Record<string, ActionKey | 'any'>> = { next: 'any', args: 'call', result: 'call', retry: 'try', except: 'try' };
const UNSUPPORTED_STEP_KEYS: Readonly<Record<string, string>> = {
  parallel: 'parallel steps are not supported by the local runner',
};
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ASSIGNMENTS = 50;
const MAX_CONDITIONS = 50;

function isActionKey(key: string): key is ActionKey {
  return (ACTION_KEYS as readonly string[]).includes(key);
}

function entriesOf(node: SourceNode, what: string, location: SourceLocation): readonly SourceEntry[] {
  if (node.kind !== 'map') throw new WorkflowError(`${what} must be a map`, { ...location, line: node.line });
  return node.entries;
}

function itemsOf(node: SourceNode, what: string, location: SourceLocation): readonly SourceNode[] {
  if (node.kind !== 'list') throw new WorkflowError(`${what} must be a list`, { ...location, line: node.line });
  return node.items;
}

function stringOf(node: SourceNode, what: string, location: SourceLocation): string {
  if (node.kind !== 'scalar' || typeof node.value !== 'string') throw new WorkflowError(`${what} must be a string`, { ...location, line: node.line });
  return node.value;
}

function identifierOf(node: SourceNode, what: string, location: SourceLocation): string {
  const name = stringOf(node, what, location);
  if (!IDENTIFIER.test(name)) throw new WorkflowError(`${what} ${JSON.stringify(name)} is not a valid variable name`, { ...location, line: node.line });
  return name;
}

/** The only entry of a single-key map such as `- step_name: {...}` or `- x: 1`. */
function soleEntry(node: SourceNode, what: string, location: SourceLocation): SourceEntry {
  const entries = entriesOf(node, what, location);
  const [entry] = entries;
  if (entry === undefined || entries.length !== 1) throw new WorkflowError(`${what} must be a map with exactly one key`, { ...location, line: node.line });
  return entry;
}

export type { ParamInfo } from './expression-check.js';

function backoffTemplates(backoff: BackoffSettings): Pick<RetrySpec, 'initialDelay' | 'maxDelay' | 'multiplier'> {
  return {
    initialDelay: { kind: 'const', value: backoff.initialDelay },
    maxDelay: { kind: 'const', value: backoff.maxDelay },
    multiplier: { kind: 'const', value: backoff.multiplier },
  };
}

export class ProgramCompiler {
  private readonly stepNames = new Set<string>();
  private routineName = '';
  usesCallbacks = false;

  /** `routineParams` lists every routine of the definition, so calls can be checked in any order. */
  constructor(private readonly routineParams: ReadonlyMap<string, readonly ParamInfo[]>) {}

  compileRoutine(name: string, node: SourceNode | undefined, steps: SourceNode, line: number): Routine {
    this.routineName = name;
    this.stepNames.clear();
    const params = node === undefined ? [] : this.compileParams(node, name);
    if (name === 'main' && (params.length > 1 || params.some((param) => param.defaultValue !== undefined))) {
      throw new WorkflowError('main takes at most one parameter, without a default: it receives the execution argument', { path: name, line });
    }
    return { name, params, body: this.compileStepList(steps, name), line };
  }

  private compileParams(node: SourceNode, routine: string): Param[] {
    const location = { path: `${routine} > params` };
    const params = itemsOf(node, 'params', location).map((item): Param => {
      if (item.kind === 'scalar') return { name: identifierOf(item, 'parameter', location) };
      const entry = soleEntry(item, 'a parameter with a default', location);
      if (!IDENTIFIER.test(entry.key)) throw new WorkflowError(`parameter ${JSON.stringify(entry.key)} is not a valid name`, { ...location, line: entry.line });
      return { name: entry.key, defaultValue: this.template(entry.value, location.path) };
    });
    const duplicate = params.find((param, index) => params.findIndex((other) => other.name === param.name) !== index);
    if (duplicate !== undefined) throw new WorkflowError(`parameter ${duplicate.name} is declared twice`, { ...location, line: node.line });
    return params;
  }

  private compileStepList(node: SourceNode, path: string): StepList {
    const items = itemsOf(node, 'steps', { path, line: node.line });
    if (items.length === 0) throw new WorkflowError('steps must not be empty', { path, line: node.line });
    const steps = items.map((item) => this.compileStep(item, path));
    return { steps, indexByName: new Map(steps.map((step, index) => [step.name, index])) };
  }

  private compileStep(node: SourceNode, parentPath: string): Step {
    const entry = soleEntry(node, 'each step', { path: parentPath, line: node.line });
    const path = `${parentPath} > ${entry.key}`;
    const location = { path, line: entry.line };
    if (['end', 'break', 'continue'].includes(entry.key)) throw new WorkflowError(`${entry.key} is reserved and cannot name a step`, location);
    if (this.stepNames.has(entry.key)) throw new WorkflowError(`step name ${entry.key} is used twice in ${this.routineName}`, location);
    this.stepNames.add(entry.key);
    const body = entriesOf(entry.value, `step ${entry.key}`, location);
    const { action, next } = this.compileBody(body, path, entry.line, true);
    return { name: entry.key, line: entry.line, path, action, ...(next === undefined ? {} : { next }) };
  }

  /** A step body: one action key plus its modifiers, or just `next`. */
  private compileBody(body: readonly SourceEntry[], path: string, line: number, allowNext: boolean): { action: Action; next?: Next } {
    const keys = new Map(body.map((entry) => [entry.key, entry]));
    for (const entry of body) this.checkStepKey(entry, path);
    const actions = body.filter((entry) => isActionKey(entry.key));
    if (actions.length > 1) throw new WorkflowError(`a step has one of ${ACTION_KEYS.join(', ')}; found ${actions.map((entry) => entry.key).join(' and ')}`, { path, line });
    const [actionEntry] = actions;
    const actionKey = actionEntry?.key as ActionKey | undefined;
    for (const entry of body) {
      const owner = MODIFIER_KEYS[entry.key];
      if (owner !== undefined && owner !== 'any' && owner !== actionKey) throw new WorkflowError(`${entry.key} is only allowed together with ${owner}`, { path, line: entry.line });
    }
    const nextEntry = keys.get('next');
    if (nextEntry !== undefined && (!allowNext || actionKey === 'return' || actionKey === 'raise')) {
      throw new WorkflowError(`next is not allowed ${actionKey === undefined ? 'here' : `with ${actionKey}`}`, { path, line: nextEntry.line });
    }
    const next = nextEntry === undefined ? undefined : this.compileNext(nextEntry.value, path);
    if (actionEntry === undefined) {
      if (next === undefined) throw new WorkflowError('a step needs an action (assign, call, switch, return, raise, steps, try, for) or a next', { path, line });
      return { action: { kind: 'jump' }, next };
    }
    return { action: this.compileAction(actionEntry, keys, path), ...(next === undefined ? {} : { next }) };
  }

  private checkStepKey(entry: SourceEntry, path: string): void {
    const unsupported = UNSUPPORTED_STEP_KEYS[entry.key];
    if (unsupported !== undefined) throw new WorkflowError(unsupported, { path, line: entry.line });
    if (!isActionKey(entry.key) && MODIFIER_KEYS[entry.key] === undefined) throw new WorkflowError(`unknown step key ${JSON.stringify(entry.key)}`, { path, line: entry.line });
  }

  private compileAction(entry: SourceEntry, keys: ReadonlyMap<string, SourceEntry>, path: string): Action {
    const location = { path, line: entry.line };
    switch (entry.key as ActionKey) {
      case 'assign':
        return { kind: 'assign', assignments: this.compileAssignments(entry.value, path) };
      case 'call':
        return this.compileCall(entry, keys.get('args'), keys.get('result'), path);
      case 'switch':
        return { kind: 'switch', branches: this.compileBranches(entry.value, path) };
      case 'return':
        return { kind: 'return', value: this.template(entry.value, path) };
      case 'raise':
        return { kind: 'raise', value: this.template(entry.value, path) };
      case 'steps':
        return { kind: 'steps', body: this.compileStepList(entry.value, path) };
      case 'try':
        return this.compileTry(entry.value, keys.get('retry'), keys.get('except'), location);
      case 'for':
        return this.compileFor(entry.value, location);
    }
  }

  private compileNext(node: SourceNode, path: string): Next {
    const target = stringOf(node, 'next', { path, line: node.line });
    if (target === 'end' || target === 'break' || target === 'continue') return { kind: target };
    return { kind: 'step', name: target };
  }

  private compileAssignments(node: SourceNode, path: string): Assignment[] {
    const items = itemsOf(node, 'assign', { path, line: node.line });
    if (items.length === 0 || items.length > MAX_ASSIGNMENTS) throw new WorkflowError(`assign takes 1 to ${MAX_ASSIGNMENTS} assignments`, { path, line: node.line });
    return items.map((item) => {
      const entry = soleEntry(item, 'each assignment', { path, line: item.line });
      return { target: this.compileTarget(entry.key, { path, line: entry.line }), value: this.template(entry.value, path), line: entry.line };
    });
  }

  private compileTarget(text: string, location: SourceLocation): AssignTarget {
    let expr: Expr;
    try {
      expr = parseExpression(text);
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      throw new WorkflowError(`cannot assign to ${JSON.stringify(text)}: ${error.message}`, location);
    }
    const path: PathSegment[] = [];
    for (;;) {
      if (expr.type === 'variable') return { root: expr.name, path: path.reverse(), text };
      if (expr.type === 'member') path.push({ kind: 'key', name: expr.property });
      else if (expr.type === 'index') path.push({ kind: 'index', expr: this.checked(expr.index, location) });
      else throw new WorkflowError(`cannot assign to ${JSON.stringify(text)}: use a name, name.key, name["key"] or name[index]`, location);
      expr = expr.object;
    }
  }

  private compileCall(entry: SourceEntry, argsEntry: SourceEntry | undefined, resultEntry: SourceEntry | undefined, path: string): Action {
    const location = { path, line: entry.line };
    const name = stringOf(entry.value, 'call', location);
    const target = this.resolveCallTarget(name, location);
    const args = argsEntry === undefined ? undefined : this.template(argsEntry.value, path);
    if (args !== undefined) this.checkStaticArgs(target, args, { path, line: argsEntry?.line });
    else this.checkStaticArgs(target, { kind: 'const', value: new Map() }, location);
    const result = resultEntry === undefined ? undefined : identifierOf(resultEntry.value, 'result', { path, line: resultEntry.line });
    return { kind: 'call', target, ...(args === undefined ? {} : { args }), ...(result === undefined ? {} : { result }) };
  }

  private resolveCallTarget(name: string, location: SourceLocation): CallTarget {
    if (this.routineParams.has(name)) return { kind: 'routine', name };
    const spec = FUNCTIONS.get(name);
    if (spec !== undefined) {
      if (name.startsWith('events.')) this.usesCallbacks = true;
      return { kind: 'function', spec };
    }
    throw new WorkflowError(unsupportedReason(name) ?? `unknown function or subworkflow ${JSON.stringify(name)}`, location);
  }

  /** Argument names written literally in `args` can be checked before running. */
  private checkStaticArgs(target: CallTarget, args: Template, location: SourceLocation): void {
    const names = staticKeys(args);
    if (names === undefined) return;
    const params = target.kind === 'routine' ? this.routineParams.get(target.name) : target.spec.params.map((param) => ({ name: param.name, required: !param.optional }));
    if (params === undefined) return;
    const label = target.kind === 'routine' ? `subworkflow ${target.name}` : target.spec.name;
    const unknown = names.find((name) => !params.some((param) => param.name === name));
    if (unknown !== undefined) throw new WorkflowError(`${label} has no parameter ${JSON.stringify(unknown)} (it takes ${params.map((param) => param.name).join(', ') || 'none'})`, location);
    const missing = params.find((param) => param.required && !names.includes(param.name));
    if (missing !== undefined) throw new WorkflowError(`${label} needs the argument ${JSON.stringify(missing.name)}`, location);
  }

  private compileBranches(node: SourceNode, path: string): Branch[] {
    const items = itemsOf(node, 'switch', { path, line: node.line });
    if (items.length === 0 || items.length > MAX_CONDITIONS) throw new WorkflowError(`switch takes 1 to ${MAX_CONDITIONS} conditions`, { path, line: node.line });
    return items.map((item) => this.compileBranch(item, path));
  }

  private compileBranch(node: SourceNode, path: string): Branch {
    const entries = entriesOf(node, 'each switch condition', { path, line: node.line });
    const condition = entries.find((entry) => entry.key === 'condition');
    if (condition === undefined) throw new WorkflowError('each switch entry needs a condition', { path, line: node.line });
    const rest = entries.filter((entry) => entry !== condition);
    const invalid = rest.find((entry) => MODIFIER_KEYS[entry.key] === undefined && !isActionKey(entry.key));
    if (invalid !== undefined) {
      throw new WorkflowError(UNSUPPORTED_STEP_KEYS[invalid.key] ?? `unknown key ${JSON.stringify(invalid.key)} in a switch condition`, { path, line: invalid.line });
    }
    if (rest.length === 0) throw new WorkflowError('a switch condition needs next, steps, or an action such as return, raise or assign', { path, line: node.line });
    const body = this.compileBody(rest, path, node.line, true);
    const compiled: Branch = { condition: this.template(condition.value, path), line: condition.line, ...(body.next === undefined ? {} : { next: body.next }) };
    return body.action.kind === 'jump' ? compiled : { ...compiled, action: body.action };
  }

  private compileTry(node: SourceNode, retryEntry: SourceEntry | undefined, exceptEntry: SourceEntry | undefined, location: SourceLocation): Action {
    const path = location.path;
    const body = this.compileBody(entriesOf(node, 'try', location), `${path} > try`, node.line, false).action;
    if (body.kind === 'jump') throw new WorkflowError('try needs steps or an action', location);
    if (retryEntry === undefined && exceptEntry === undefined) throw new WorkflowError('try needs retry, except, or both', location);
    const retry = retryEntry === undefined ? undefined : this.compileRetry(retryEntry.value, { path: `${path} > retry`, line: retryEntry.line });
    const except = exceptEntry === undefined ? undefined : this.compileExcept(exceptEntry.value, `${path} > except`);
    return { kind: 'try', body, ...(retry === undefined ? {} : { retry }), ...(except === undefined ? {} : { except }) };
  }

  private compileRetry(node: SourceNode, location: SourceLocation): RetrySpec {
    if (node.kind === 'scalar') {
      const policyName = this.namedReference(node, 'retry', location);
      const policy = RETRY_POLICIES.get(policyName);
      if (policy === undefined) throw new WorkflowError(`unknown retry policy ${policyName} (supported: ${[...RETRY_POLICIES.keys()].join(', ')})`, location);
      return { predicate: { kind: 'builtin', name: policy.predicate }, maxRetries: { kind: 'const', value: BigInt(policy.maxRetries) }, ...backoffTemplates(policy.backoff) };
    }
    const fields = new Map(entriesOf(node, 'retry', location).map((entry) => [entry.key, entry]));
    const unknown = [...fields.keys()].find((key) => !['predicate', 'max_retries', 'backoff'].includes(key));
    if (unknown !== undefined) throw new WorkflowError(`unknown retry field ${JSON.stringify(unknown)}`, location);
    const predicate = fields.get('predicate');
    const maxRetries = fields.get('max_retries');
    if (predicate === undefined || maxRetries === undefined) throw new WorkflowError('retry needs predicate and max_retries', location);
    return {
      predicate: this.compilePredicate(predicate.value, { ...location, line: predicate.line }),
      maxRetries: this.template(maxRetries.value, location.path),
      ...this.compileBackoff(fields.get('backoff'), location),
    };
  }

  private compileBackoff(entry: SourceEntry | undefined, location: SourceLocation): Pick<RetrySpec, 'initialDelay' | 'maxDelay' | 'multiplier'> {
    const defaults = backoffTemplates(DEFAULT_BACKOFF);
    if (entry === undefined) return defaults;
    const fields = new Map(entriesOf(entry.value, 'backoff', location).map((field) => [field.key, field.value]));
    const unknown = [...fields.keys()].find((key) => !['initial_delay', 'max_delay', 'multiplier'].includes(key));
    if (unknown !== undefined) throw new WorkflowError(`unknown backoff field ${JSON.stringify(unknown)}`, { ...location, line: entry.line });
    const field = (key: string, fallback: Template): Template => {
      const value = fields.get(key);
      return value === undefined ? fallback : this.template(value, location.path);
    };
    return { initialDelay: field('initial_delay', defaults.initialDelay), maxDelay: field('max_delay', defaults.maxDelay), multiplier: field('multiplier', defaults.multiplier) };
  }

  private compilePredicate(node: SourceNode, location: SourceLocation): PredicateRef {
    const name = this.namedReference(node, 'predicate', location);
    if (RETRY_PREDICATES.has(name)) return { kind: 'builtin', name };
    const params = this.routineParams.get(name);
    if (params === undefined) throw new WorkflowError(`retry predicate ${name} is neither a subworkflow nor one of ${[...RETRY_PREDICATES].join(', ')}`, location);
    if (params.length === 0 || params.filter((param) => param.required).length > 1) throw new WorkflowError(`retry predicate ${name} must take exactly one argument, the error`, location);
    return { kind: 'routine', name };
  }

  /** `${name}` or `${a.b}` naming a predicate or policy, not calling it. */
  private namedReference(node: SourceNode, what: string, location: SourceLocation): string {
    const text = stringOf(node, what, location);
    const inner = expressionText(text);
    let name: string | undefined;
    try {
      name = inner === undefined ? undefined : dottedName(parseExpression(inner));
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
    }
    if (name === undefined) throw new WorkflowError(`${what} must name a ${what === 'retry' ? 'policy' : 'predicate'} like \${http.default_retry}, got ${JSON.stringify(text)}`, location);
    return name;
  }

  private compileExcept(node: SourceNode, path: string): ExceptBlock {
    const fields = new Map(entriesOf(node, 'except', { path, line: node.line }).map((entry) => [entry.key, entry]));
    const unknown = [...fields.keys()].find((key) => key !== 'as' && key !== 'steps');
    if (unknown !== undefined) throw new WorkflowError(`unknown except field ${JSON.stringify(unknown)}`, { path, line: node.line });
    const steps = fields.get('steps');
    if (steps === undefined) throw new WorkflowError('except needs steps', { path, line: node.line });
    const as = fields.get('as');
    return { body: this.compileStepList(steps.value, path), ...(as === undefined ? {} : { as: identifierOf(as.value, 'except as', { path, line: as.line }) }) };
  }

  private compileFor(node: SourceNode, location: SourceLocation): Action {
    const fields = new Map(entriesOf(node, 'for', location).map((entry) => [entry.key, entry]));
    const unknown = [...fields.keys()].find((key) => !['value', 'index', 'in', 'range', 'steps'].includes(key));
    if (unknown !== undefined) throw new WorkflowError(`unknown for field ${JSON.stringify(unknown)}`, location);
    const value = fields.get('value');
    const steps = fields.get('steps');
    if (value === undefined || steps === undefined) throw new WorkflowError('for needs value and steps', location);
    const source = this.compileLoopSource(fields.get('in'), fields.get('range'), location);
    const index = fields.get('index');
    const valueName = identifierOf(value.value, 'for value', location);
    const indexName = index === undefined ? undefined : identifierOf(index.value, 'for index', location);
    if (valueName === indexName) throw new WorkflowError('for value and index must have different names', location);
    const body = this.compileStepList(steps.value, `${location.path} > for`);
    return { kind: 'for', value: valueName, ...(indexName === undefined ? {} : { index: indexName }), source, body };
  }

  private compileLoopSource(inEntry: SourceEntry | undefined, rangeEntry: SourceEntry | undefined, location: SourceLocation): LoopSource {
    if ((inEntry === undefined) === (rangeEntry === undefined)) throw new WorkflowError('for needs exactly one of in and range', location);
    if (inEntry !== undefined) return { kind: 'in', list: this.template(inEntry.value, location.path) };
    const range = (rangeEntry as SourceEntry).value;
    if (range.kind === 'list' && range.items.length !== 2) throw new WorkflowError('range takes exactly two values, [start, end]', { ...location, line: range.line });
    return { kind: 'range', range: this.template(range, location.path) };
  }

  private template(node: SourceNode, path: string): Template {
    return compileTemplate(node, path, (expr, location) => checkCalls(expr, location, this.routineParams));
  }

  private checked(expr: Expr, location: SourceLocation): Expr {
    checkCalls(expr, location, this.routineParams);
    return expr;
  }
}

function staticKeys(args: Template): string[] | undefined {
  if (args.kind === 'const') return args.value instanceof Map ? [...args.value.keys()] : undefined;
  if (args.kind !== 'map' || args.entries.some((entry) => entry.key.kind !== 'const')) return undefined;
  return args.entries.map((entry) => String((entry.key as { value: unknown }).value));
}
