/** Evaluates parsed expressions against the variables of a running step. */
import { raise } from './errors.js';
import { applyBinary, negate, readMember, requireBool } from './operators.js';
import type { Expr } from './parser.js';
import { IF_FUNCTION } from './stdlib.js';
import type { WValue } from './values.js';

export interface EvalEnvironment {
  /** The variable's value; raises KeyError when it does not exist at run time. */
  lookup(name: string): WValue;
  /** A non-blocking standard library function or a subworkflow, with positional arguments. */
  callFunction(name: string, args: WValue[]): Promise<WValue>;
}

export async function evaluate(expr: Expr, env: EvalEnvironment): Promise<WValue> {
  switch (expr.type) {
    case 'literal':
      return expr.value;
    case 'variable':
      return env.lookup(expr.name);
    case 'member':
      return readMember(await evaluate(expr.object, env), expr.property);
    case 'index':
      return readMember(await evaluate(expr.object, env), await evaluate(expr.index, env));
    case 'unary':
      return evaluateUnary(expr.operator, await evaluate(expr.operand, env));
    case 'binary':
      return evaluateBinary(expr, env);
    case 'call':
      return evaluateCall(expr, env);
  }
}

function evaluateUnary(operator: 'not' | '-', operand: WValue): WValue {
  return operator === 'not' ? !requireBool(operand, "'not'") : negate(operand);
}

async function evaluateBinary(expr: Extract<Expr, { type: 'binary' }>, env: EvalEnvironment): Promise<WValue> {
  const left = await evaluate(expr.left, env);
  if (expr.operator === 'and' || expr.operator === 'or') {
    const decided = requireBool(left, `'${expr.operator}'`);
    if (decided === (expr.operator === 'or')) return decided;
    return requireBool(await evaluate(expr.right, env), `'${expr.operator}'`);
  }
  return applyBinary(expr.operator, left, await evaluate(expr.right, env));
}

async function evaluateCall(expr: Extract<Expr, { type: 'call' }>, env: EvalEnvironment): Promise<WValue> {
  if (expr.name === IF_FUNCTION) {
    const [condition, whenTrue, whenFalse] = expr.args;
    if (condition === undefined || whenTrue === undefined || whenFalse === undefined) return raise('TypeError', 'if() takes exactly 3 arguments');
    const chosen = requireBool(await evaluate(condition, env), 'if()') ? whenTrue : whenFalse;
    return evaluate(chosen, env);
  }
  return env.callFunction(expr.name, await evaluateAll(expr.args, env));
}

async function evaluateAll(items: readonly Expr[], env: EvalEnvironment): Promise<WValue[]> {
  const values: WValue[] = [];
  for (const item of items) values.push(await evaluate(item, env));
  return values;
}
