/**
 * Deploy-time checks Cloud Workflows makes on a routine: jump targets exist and are reachable,
 * break/continue sit inside a for loop, and every variable an expression reads is defined in its
 * scope. Variables created inside a for loop or an except block belong to that block only, so
 * reading one after the block is an error, as the documentation states.
 */
import { WorkflowError } from './errors.js';
import type { SourceLocation } from './errors.js';
import type { Expr } from './parser.js';
import type { Action, AssignTarget, Next, Routine, StepList, Template } from './program.js';
import { subexpressions } from './expression-check.js';
import { templateExpressions } from './templates.js';

interface Context {
  /** Variables readable here. */
  readonly visible: ReadonlySet<string>;
  /** Step lists a `next` may jump to: the current one and its ancestors up to the nearest loop body. */
  readonly reachable: readonly StepList[];
  readonly inLoop: boolean;
}

/** Names a step list creates in its own scope (loops and except blocks have scopes of their own). */
function collectCreated(list: StepList, into: Set<string>): Set<string> {
  for (const step of list.steps) collectCreatedByAction(step.action, into);
  return into;
}

function collectCreatedByAction(action: Action, into: Set<string>): void {
  switch (action.kind) {
    case 'assign':
      for (const assignment of action.assignments) if (assignment.target.path.length === 0) into.add(assignment.target.root);
      return;
    case 'call':
      if (action.result !== undefined) into.add(action.result);
      return;
    case 'switch':
      for (const branch of action.branches) if (branch.action !== undefined) collectCreatedByAction(branch.action, into);
      return;
    case 'steps':
      collectCreated(action.body, into);
      return;
    case 'try':
      collectCreatedByAction(action.body, into);
      return;
    default:
      return;
  }
}

function freeVariables(expr: Expr, into: string[] = []): string[] {
  if (expr.type === 'variable') into.push(expr.name);
  for (const child of subexpressions(expr)) freeVariables(child, into);
  return into;
}

function union(base: ReadonlySet<string>, extra: Iterable<string>): Set<string> {
  return new Set([...base, ...extra]);
}

class RoutineAnalyzer {
  private readonly allSteps = new Set<string>();

  constructor(private readonly routine: Routine) {
    this.indexSteps(routine.body);
  }

  run(): void {
    const visible = collectCreated(this.routine.body, new Set(this.routine.params.map((param) => param.name)));
    for (const param of this.routine.params) if (param.defaultValue !== undefined) this.checkTemplate(param.defaultValue, new Set(), { path: `${this.routine.name} > params` });
    this.checkList(this.routine.body, { visible, reachable: [], inLoop: false });
  }

  private indexSteps(list: StepList): void {
    for (const step of list.steps) {
      this.allSteps.add(step.name);
      for (const nested of nestedLists(step.action)) this.indexSteps(nested);
    }
  }

  private checkList(list: StepList, outer: Context): void {
    const context = { ...outer, reachable: [list, ...outer.reachable] };
    for (const step of list.steps) {
      const location = { path: step.path, line: step.line };
      if (step.next !== undefined) this.checkNext(step.next, context, location);
      this.checkAction(step.action, context, location);
    }
  }

  private checkNext(next: Next, context: Context, location: SourceLocation): void {
    if (next.kind === 'end') return;
    if (next.kind === 'break' || next.kind === 'continue') {
      if (!context.inLoop) throw new WorkflowError(`next: ${next.kind} is only allowed inside a for loop`, location);
      return;
    }
    if (context.reachable.some((list) => list.indexByName.has(next.name))) return;
    if (this.allSteps.has(next.name)) {
      throw new WorkflowError(`next: ${next.name} jumps into a nested block or out of a for loop, which Cloud Workflows does not allow`, location);
    }
    throw new WorkflowError(`next: no step named ${next.name} in ${this.routine.name}`, location);
  }

  private checkAction(action: Action, context: Context, location: SourceLocation): void {
    switch (action.kind) {
      case 'assign':
        for (const assignment of action.assignments) {
          this.checkTarget(assignment.target, context.visible, { ...location, line: assignment.line });
          this.checkTemplate(assignment.value, context.visible, { ...location, line: assignment.line });
        }
        return;
      case 'call':
        if (action.args !== undefined) this.checkTemplate(action.args, context.visible, location);
        return;
      case 'switch':
        for (const branch of action.branches) {
          const branchLocation = { ...location, line: branch.line };
          this.checkTemplate(branch.condition, context.visible, branchLocation);
          if (branch.next !== undefined) this.checkNext(branch.next, context, branchLocation);
          if (branch.action !== undefined) this.checkAction(branch.action, context, branchLocation);
        }
        return;
      case 'return':
      case 'raise':
        this.checkTemplate(action.value, context.visible, location);
        return;
      case 'steps':
        this.checkList(action.body, context);
        return;
      case 'try':
        this.checkTry(action, context, location);
        return;
      case 'for':
        this.checkFor(action, context, location);
        return;
      case 'jump':
        return;
    }
  }

  private checkTry(action: Extract<Action, { kind: 'try' }>, context: Context, location: SourceLocation): void {
    this.checkAction(action.body, context, location);
    if (action.retry !== undefined) {
      for (const template of [action.retry.maxRetries, action.retry.initialDelay, action.retry.maxDelay, action.retry.multiplier]) this.checkTemplate(template, context.visible, location);
    }
    if (action.except === undefined) return;
    const locals = collectCreated(action.except.body, new Set(action.except.as === undefined ? [] : [action.except.as]));
    this.checkList(action.except.body, { ...context, visible: union(context.visible, locals) });
  }

  private checkFor(action: Extract<Action, { kind: 'for' }>, context: Context, location: SourceLocation): void {
    const loopVariables = action.index === undefined ? [action.value] : [action.value, action.index];
    const clash = loopVariables.find((name) => context.visible.has(name));
    if (clash !== undefined) throw new WorkflowError(`loop variable ${clash} is already a variable outside the loop; pick a name used only inside it`, location);
    this.checkTemplate(action.source.kind === 'in' ? action.source.list : action.source.range, context.visible, location);
    const locals = collectCreated(action.body, new Set(loopVariables));
    this.checkList(action.body, { visible: union(context.visible, locals), reachable: [], inLoop: true });
  }

  private checkTarget(target: AssignTarget, visible: ReadonlySet<string>, location: SourceLocation): void {
    if (target.path.length > 0 && !visible.has(target.root)) this.undefinedVariable(target.root, location);
    for (const segment of target.path) if (segment.kind === 'index') this.checkExpression(segment.expr, visible, location);
  }

  private checkTemplate(template: Template, visible: ReadonlySet<string>, location: SourceLocation): void {
    for (const expr of templateExpressions(template)) this.checkExpression(expr, visible, location);
  }

  private checkExpression(expr: Expr, visible: ReadonlySet<string>, location: SourceLocation): void {
    const missing = freeVariables(expr).find((name) => !visible.has(name));
    if (missing !== undefined) this.undefinedVariable(missing, location);
  }

  private undefinedVariable(name: string, location: SourceLocation): never {
    throw new WorkflowError(`variable ${name} is not defined in this scope (variables created in a for loop or except block exist only there)`, location);
  }
}

function nestedLists(action: Action): StepList[] {
  switch (action.kind) {
    case 'steps':
    case 'for':
      return [action.body];
    case 'try':
      return [...nestedLists(action.body), ...(action.except === undefined ? [] : [action.except.body])];
    case 'switch':
      return action.branches.flatMap((branch) => (branch.action === undefined ? [] : nestedLists(branch.action)));
    default:
      return [];
  }
}

export function analyzeRoutine(routine: Routine): void {
  new RoutineAnalyzer(routine).run();
}
