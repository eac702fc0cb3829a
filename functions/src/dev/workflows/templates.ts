/**
 * Values written in the definition. A string is an expression only when the whole string is
 * `${...}`; Cloud Workflows has no interpolation inside longer strings, and a `${` left inside one
 * is almost always a mistake that would silently stay literal, so the runner refuses it.
 */
import { raise, WorkflowError } from './errors.js';
import type { SourceLocation } from './errors.js';
import { evaluate } from './evaluator.js';
import type { EvalEnvironment } from './evaluator.js';
import { ExpressionSyntaxError } from './lexer.js';
import { parseExpression } from './parser.js';
import type { Expr } from './parser.js';
import type { Template } from './program.js';
import type { SourceNode } from './source.js';
import { cloneValue, typeName } from './values.js';
import type { WValue } from './values.js';

/** Checks a parsed expression (function names, arity, blocking calls); throws WorkflowError. */
export type ExpressionCheck = (expr: Expr, location: SourceLocation) => void;

const WHOLE_EXPRESSION = /^\$\{([\s\S]*)\}$/;

export function compileExpression(text: string, location: SourceLocation, check: ExpressionCheck): Expr {
  let expr: Expr;
  try {
    expr = parseExpression(text);
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    const hint = text.includes('${') ? '; expressions cannot be nested or interpolated, write ${"a" + b} instead' : '';
    throw new WorkflowError(`malformed expression \${${text}}: ${error.message}${hint}`, location);
  }
  check(expr, location);
  return expr;
}

/** The expression inside a whole-string `${...}`, if the string is one. */
export function expressionText(value: string): string | undefined {
  return WHOLE_EXPRESSION.exec(value)?.[1];
}

function compileString(value: string, location: SourceLocation, check: ExpressionCheck): Template {
  const inner = expressionText(value);
  if (inner !== undefined) return { kind: 'expr', expr: compileExpression(inner, location, check), text: value };
  if (value.includes('${')) {
    throw new WorkflowError(
      `${JSON.stringify(value)} embeds \${...} in a longer string; Cloud Workflows does not interpolate, so write the whole value as one expression, e.g. \${"text " + name}`,
      location,
    );
  }
  return { kind: 'const', value };
}

export function compileTemplate(node: SourceNode, path: string, check: ExpressionCheck): Template {
  const location = { path, line: node.line };
  if (node.kind === 'scalar') return typeof node.value === 'string' ? compileString(node.value, location, check) : { kind: 'const', value: node.value };
  if (node.kind === 'list') return foldConstant({ kind: 'list', items: node.items.map((item) => compileTemplate(item, path, check)) });
  const entries = node.entries.map((entry) => ({
    key: compileString(entry.key, { path, line: entry.line }, check),
    value: compileTemplate(entry.value, path, check),
  }));
  return foldConstant({ kind: 'map', entries });
}

/** Lists and maps without expressions become one constant, so evaluating them is a copy. */
function foldConstant(template: Template): Template {
  if (template.kind === 'list' && template.items.every((item) => item.kind === 'const')) {
    return { kind: 'const', value: template.items.map((item) => (item as { value: WValue }).value) };
  }
  if (template.kind === 'map' && template.entries.every((entry) => entry.key.kind === 'const' && entry.value.kind === 'const')) {
    return { kind: 'const', value: new Map(template.entries.map((entry) => [String((entry.key as { value: WValue }).value), (entry.value as { value: WValue }).value])) };
  }
  return template;
}

export async function evaluateTemplate(template: Template, env: EvalEnvironment): Promise<WValue> {
  switch (template.kind) {
    case 'const':
      return cloneValue(template.value);
    case 'expr':
      return evaluate(template.expr, env);
    case 'list': {
      const items: WValue[] = [];
      for (const item of template.items) items.push(await evaluateTemplate(item, env));
      return items;
    }
    case 'map': {
      const map = new Map<string, WValue>();
      for (const entry of template.entries) {
        const key = await evaluateTemplate(entry.key, env);
        if (typeof key !== 'string') raise('TypeError', `map keys must be strings, not ${typeName(key)}`);
        map.set(key, await evaluateTemplate(entry.value, env));
      }
      return map;
    }
  }
}

/** The expressions a template contains, for static checks. */
export function templateExpressions(template: Template): Expr[] {
  switch (template.kind) {
    case 'const':
      return [];
    case 'expr':
      return [template.expr];
    case 'list':
      return template.items.flatMap(templateExpressions);
    case 'map':
      return template.entries.flatMap((entry) => [...templateExpressions(entry.key), ...templateExpressions(entry.value)]);
  }
}
