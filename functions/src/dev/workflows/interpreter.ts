/** Runs a compiled Program: steps, jumps, loops, try/retry/except and calls. */
import { ExecutionCancelled, raise, RaisedError } from './errors.js';
import type { EvalEnvironment } from './evaluator.js';
import { evaluate } from './evaluator.js';
import type { Action, AssignTarget, ExceptBlock, Next, Program, RetrySpec, Routine, Step, StepList } from './program.js';
import { descend, Scope, store } from './scope.js';
import type { RuntimeServices } from './services.js';
import { FUNCTIONS } from './stdlib.js';
import type { FunctionSpec } from './stdlib.js';
import { evaluateTemplate } from './templates.js';
import { cloneValue, isList, isMap, isNumber, toDouble, typeName } from './values.js';
import type { WValue } from './values.js';

export type Flow =
  | { readonly kind: 'next' }
  | { readonly kind: 'jump'; readonly target: string }
  | { readonly kind: 'break' }
  | { readonly kind: 'continue' }
  | { readonly kind: 'end' }
  | { readonly kind: 'return'; readonly value: WValue };

const NEXT: Flow = { kind: 'next' };
/** Cloud Workflows limits: subworkflow call depth and steps per execution. */
const MAX_CALL_DEPTH = 20;
const MAX_STEPS = 100_000;

interface Frame {
  readonly routine: Routine;
  readonly depth: number;
}

interface RetrySettings {
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
}

function flowOf(next: Next): Flow {
  return next.kind === 'step' ? { kind: 'jump', target: next.name } : { kind: next.kind };
}

export class Interpreter {
  private stepsRun = 0;

  constructor(
    private readonly program: Program,
    private readonly services: RuntimeServices,
  ) {}

  runMain(argument: WValue): Promise<WValue> {
    const main = this.routine('main');
    return this.invoke(main, main.params.length === 0 ? [] : [argument], 1);
  }

  private routine(name: string): Routine {
    const routine = this.program.routines.get(name);
    if (routine === undefined) throw new Error(`no routine ${name} in the program`);
    return routine;
  }

  private async invoke(routine: Routine, args: WValue[] | Map<string, WValue>, depth: number): Promise<WValue> {
    if (depth > MAX_CALL_DEPTH) raise('RecursionError', `maximum call stack depth (${MAX_CALL_DEPTH}) exceeded calling ${routine.name}`);
    const scope = new Scope();
    await this.bindParams(routine, args, scope);
    const flow = await this.runList(routine.body, scope, { routine, depth });
    if (flow.kind === 'return') return flow.value;
    if (flow.kind === 'next' || flow.kind === 'end') return null;
    throw new Error(`${routine.name}: ${flow.kind} escaped the routine; analysis should have refused it`);
  }

  private async bindParams(routine: Routine, args: WValue[] | Map<string, WValue>, scope: Scope): Promise<void> {
    const given = Array.isArray(args) ? new Map(args.map((value, index) => [routine.params[index]?.name ?? `#${index}`, value])) : args;
    if (Array.isArray(args) && args.length > routine.params.length) raise('TypeError', `${routine.name} takes ${routine.params.length} arguments, ${args.length} given`);
    const unknown = [...given.keys()].find((name) => !routine.params.some((param) => param.name === name));
    if (unknown !== undefined) raise('TypeError', `${routine.name} has no parameter ${unknown}`);
    for (const param of routine.params) {
      const value = given.get(param.name);
      if (value !== undefined) scope.declare(param.name, cloneValue(value));
      else if (param.defaultValue !== undefined) scope.declare(param.name, await evaluateTemplate(param.defaultValue, this.environment(new Scope(), undefined)));
      else raise('TypeError', `${routine.name} is missing the argument ${param.name}`);
    }
  }

  private environment(scope: Scope, frame: Frame | undefined): EvalEnvironment {
    return {
      lookup: (name) => definedVariable(scope, name),
      callFunction: (name, args) => this.callByName(name, args, frame),
    };
  }

  private async callByName(name: string, args: WValue[], frame: Frame | undefined): Promise<WValue> {
    const routine = this.program.routines.get(name);
    if (routine !== undefined) return this.invoke(routine, args, (frame?.depth ?? 0) + 1);
    const spec = FUNCTIONS.get(name);
    if (spec === undefined) throw new Error(`unknown function ${name}; compilation should have refused it`);
    return spec.call(args, this.services);
  }

  private async runList(list: StepList, scope: Scope, frame: Frame): Promise<Flow> {
    let position = 0;
    while (position < list.steps.length) {
      const flow = await this.runStep(list.steps[position] as Step, scope, frame);
      if (flow.kind === 'next') position++;
      else if (flow.kind === 'jump' && list.indexByName.has(flow.target)) position = list.indexByName.get(flow.target) as number;
      else return flow;
    }
    return NEXT;
  }

  private async runStep(step: Step, scope: Scope, frame: Frame): Promise<Flow> {
    this.countStep();
    let flow: Flow;
    try {
      flow = await this.runAction(step.action, scope, frame);
    } catch (error) {
      if (error instanceof RaisedError) error.passThrough({ routine: frame.routine.name, step: step.name, line: step.line });
      throw error;
    }
    return flow.kind === 'next' && step.next !== undefined ? flowOf(step.next) : flow;
  }

  private countStep(): void {
    if (this.services.signal?.aborted === true) throw new ExecutionCancelled();
    if (++this.stepsRun > MAX_STEPS) raise('ResourceLimitError', `the execution ran more than ${MAX_STEPS} steps`);
  }

  private async runAction(action: Action, scope: Scope, frame: Frame): Promise<Flow> {
    const env = this.environment(scope, frame);
    switch (action.kind) {
      case 'assign':
        for (const assignment of action.assignments) await this.assign(assignment.target, await evaluateTemplate(assignment.value, env), scope, env);
        return NEXT;
      case 'call':
        return this.runCall(action, scope, frame, env);
      case 'switch':
        return this.runSwitch(action, scope, frame, env);
      case 'return':
        return { kind: 'return', value: await evaluateTemplate(action.value, env) };
      case 'raise':
        throw new RaisedError(await evaluateTemplate(action.value, env));
      case 'steps':
        return this.runList(action.body, scope, frame);
      case 'try':
        return this.runTry(action, scope, frame);
      case 'for':
        return this.runFor(action, scope, frame, env);
      case 'jump':
        return NEXT;
    }
  }

  private async assign(target: AssignTarget, value: WValue, scope: Scope, env: EvalEnvironment): Promise<void> {
    if (target.path.length === 0) {
      scope.set(target.root, cloneValue(value));
      return;
    }
    const keys: WValue[] = [];
    for (const segment of target.path) keys.push(segment.kind === 'key' ? segment.name : await evaluate(segment.expr, env));
    let container = definedVariable(scope, target.root);
    for (const key of keys.slice(0, -1)) container = descend(container, key);
    store(container, keys.at(-1) as WValue, cloneValue(value));
  }

  private async runCall(action: Extract<Action, { kind: 'call' }>, scope: Scope, frame: Frame, env: EvalEnvironment): Promise<Flow> {
    const args = action.args === undefined ? null : await evaluateTemplate(action.args, env);
    const value = action.target.kind === 'routine' ? await this.invoke(this.routine(action.target.name), namedArgs(action.target.name, args), frame.depth + 1) : await callSpec(action.target.spec, args, this.services);
    if (action.result !== undefined) scope.set(action.result, cloneValue(value));
    return NEXT;
  }

  private async runSwitch(action: Extract<Action, { kind: 'switch' }>, scope: Scope, frame: Frame, env: EvalEnvironment): Promise<Flow> {
    for (const branch of action.branches) {
      const condition = await evaluateTemplate(branch.condition, env);
      if (typeof condition !== 'boolean') raise('TypeError', `a switch condition must be true or false, not ${typeName(condition)}`);
      if (!condition) continue;
      const flow = branch.action === undefined ? NEXT : await this.runAction(branch.action, scope, frame);
      return flow.kind === 'next' && branch.next !== undefined ? flowOf(branch.next) : flow;
    }
    return NEXT;
  }

  private async runTry(action: Extract<Action, { kind: 'try' }>, scope: Scope, frame: Frame): Promise<Flow> {
    let retries = 0;
    let delay: number | undefined;
    let settings: RetrySettings | undefined;
    for (;;) {
      try {
        return await this.runAction(action.body, scope, frame);
      } catch (error) {
        if (!(error instanceof RaisedError)) throw error;
        if (action.retry !== undefined) {
          settings ??= await this.retrySettings(action.retry, this.environment(scope, frame));
          if (retries < settings.maxRetries && (await this.shouldRetry(action.retry, error.value, frame))) {
            delay = delay === undefined ? Math.min(settings.initialDelay, settings.maxDelay) : Math.min(delay * settings.multiplier, settings.maxDelay);
            await this.services.sleep(delay * 1000);
            retries++;
            continue;
          }
        }
        if (action.except !== undefined) return this.runExcept(action.except, error.value, scope, frame);
        throw error;
      }
    }
  }

  private async retrySettings(retry: RetrySpec, env: EvalEnvironment): Promise<RetrySettings> {
    const maxRetries = await evaluateTemplate(retry.maxRetries, env);
    if (typeof maxRetries !== 'bigint' || maxRetries < 0n) raise('TypeError', 'retry: max_retries must be a non-negative integer');
    const number = async (template: typeof retry.initialDelay, name: string): Promise<number> => {
      const value = await evaluateTemplate(template, env);
      if (!isNumber(value) || toDouble(value) < 0) raise('TypeError', `retry: backoff ${name} must be a non-negative number`);
      return toDouble(value);
    };
    return {
      maxRetries: Number(maxRetries),
      initialDelay: await number(retry.initialDelay, 'initial_delay'),
      maxDelay: await number(retry.maxDelay, 'max_delay'),
      multiplier: await number(retry.multiplier, 'multiplier'),
    };
  }

  private async shouldRetry(retry: RetrySpec, error: WValue, frame: Frame): Promise<boolean> {
    const answer = retry.predicate.kind === 'routine' ? await this.invoke(this.routine(retry.predicate.name), [error], frame.depth + 1) : await this.callByName(retry.predicate.name, [error], frame);
    if (typeof answer !== 'boolean') raise('TypeError', `retry predicate ${retry.predicate.name} must return true or false, not ${typeName(answer)}`);
    return answer;
  }

  private runExcept(except: ExceptBlock, error: WValue, scope: Scope, frame: Frame): Promise<Flow> {
    const exceptScope = new Scope(scope);
    if (except.as !== undefined) exceptScope.declare(except.as, cloneValue(error));
    return this.runList(except.body, exceptScope, frame);
  }

  private async runFor(action: Extract<Action, { kind: 'for' }>, scope: Scope, frame: Frame, env: EvalEnvironment): Promise<Flow> {
    const loopScope = new Scope(scope);
    const items = action.source.kind === 'in' ? listItems(await evaluateTemplate(action.source.list, env)) : rangeItems(await evaluateTemplate(action.source.range, env));
    let index = 0n;
    for (const item of items) {
      loopScope.declare(action.value, item);
      if (action.index !== undefined) loopScope.declare(action.index, index);
      index++;
      const flow = await this.runList(action.body, loopScope, frame);
      if (flow.kind === 'break') break;
      if (flow.kind !== 'next' && flow.kind !== 'continue') return flow;
    }
    return NEXT;
  }
}

function definedVariable(scope: Scope, name: string): WValue {
  const value = scope.get(name);
  return value === undefined ? raise('KeyError', `variable ${name} is not defined`) : value;
}

function* listItems(value: WValue): Generator<WValue> {
  if (!isList(value)) {
    const hint = isMap(value) ? '; to loop over a map, use in: ${keys(map)}' : '';
    raise('TypeError', `for: in must be a list, not ${typeName(value)}${hint}`);
  }
  for (const item of value.map(cloneValue)) yield item;
}

/** range [start, end] includes both ends and steps by 1; ints stay ints. */
function* rangeItems(value: WValue): Generator<WValue> {
  const [start, end] = isList(value) ? value : [];
  if (!isList(value) || value.length !== 2 || !isNumber(start) || !isNumber(end)) raise('TypeError', 'for: range must be a list of two numbers, [start, end]');
  if (typeof start === 'bigint' && typeof end === 'bigint') {
    for (let item = start; item <= end; item++) yield item;
    return;
  }
  for (let item = toDouble(start); item <= toDouble(end); item++) yield item;
}

/** Subworkflows take named arguments in a call step. */
function namedArgs(routine: string, args: WValue): Map<string, WValue> {
  if (args === null) return new Map();
  if (!isMap(args)) return raise('TypeError', `args of a call to ${routine} must be a map of parameter names, not ${typeName(args)}`);
  return args;
}

/** Functions take their arguments by name (a map) or by position (a list). */
async function callSpec(spec: FunctionSpec, args: WValue, services: RuntimeServices): Promise<WValue> {
  let positional: (WValue | undefined)[];
  if (args === null) positional = [];
  else if (isList(args)) {
    if (args.length > spec.params.length) raise('TypeError', `${spec.name} takes at most ${spec.params.length} arguments, ${args.length} given`);
    positional = args;
  } else if (isMap(args)) {
    const unknown = [...args.keys()].find((name) => !spec.params.some((param) => param.name === name));
    if (unknown !== undefined) raise('TypeError', `${spec.name} has no argument ${unknown}`);
    positional = spec.params.map((param) => args.get(param.name));
  } else {
    return raise('TypeError', `args of ${spec.name} must be a map or a list, not ${typeName(args)}`);
  }
  const missing = spec.params.find((param, index) => !param.optional && positional[index] === undefined);
  if (missing !== undefined) raise('TypeError', `${spec.name} is missing the argument ${missing.name}`);
  return spec.call(positional, services);
}
