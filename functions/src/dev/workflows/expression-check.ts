/**
 * Deploy-time checks of the calls inside an expression: the function or subworkflow must exist,
 * take that many arguments, and not block (sleeping, logging and waiting need a call step).
 */
import { WorkflowError } from './errors.js';
import type { SourceLocation } from './errors.js';
import type { Expr } from './parser.js';
import { FUNCTIONS, IF_FUNCTION, unsupportedReason } from './stdlib.js';

/** What callers of a routine need to know before its body is compiled. */
export interface ParamInfo {
  readonly name: string;
  readonly required: boolean;
}

type CallExpr = Extract<Expr, { type: 'call' }>;

export function checkCalls(expr: Expr, location: SourceLocation, routines: ReadonlyMap<string, readonly ParamInfo[]>): void {
  forEachCall(expr, (call) => {
    const arity = arityOf(call.name, location, routines);
    if (call.args.length < arity.min || call.args.length > arity.max) {
      const expected = arity.min === arity.max ? `${arity.min}` : `${arity.min} to ${arity.max}`;
      throw new WorkflowError(`${call.name}() takes ${expected} arguments, ${call.args.length} given`, location);
    }
  });
}

function arityOf(name: string, location: SourceLocation, routines: ReadonlyMap<string, readonly ParamInfo[]>): { min: number; max: number } {
  if (name === IF_FUNCTION) return { min: 3, max: 3 };
  const routine = routines.get(name);
  if (routine !== undefined) return { min: routine.filter((param) => param.required).length, max: routine.length };
  const spec = FUNCTIONS.get(name);
  if (spec === undefined) throw new WorkflowError(unsupportedReason(name) ?? `unknown function ${name}()`, location);
  if (spec.blocking) throw new WorkflowError(`${name} blocks, so it can only be used in a call step, not inside an expression`, location);
  return { min: spec.params.filter((param) => !param.optional).length, max: spec.params.length };
}

function forEachCall(expr: Expr, visit: (call: CallExpr) => void): void {
  for (const child of subexpressions(expr)) forEachCall(child, visit);
  if (expr.type === 'call') visit(expr);
}

/** The operands of an expression; a call's name is not one, its arguments are. */
export function subexpressions(expr: Expr): readonly Expr[] {
  switch (expr.type) {
    case 'literal':
    case 'variable':
      return [];
    case 'member':
      return [expr.object];
    case 'index':
      return [expr.object, expr.index];
    case 'unary':
      return [expr.operand];
    case 'binary':
      return [expr.left, expr.right];
    case 'call':
      return expr.args;
  }
}
