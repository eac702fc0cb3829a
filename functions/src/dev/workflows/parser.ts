/**
 * Parser for the expression language, following the documented precedence (highest first):
 * `()`, `.`, `[]`, `not`, unary `-`, `* / // %`, `+ -`, `== != < <= > >= in`, `and`, `or`.
 * Note that `not` binds tighter than comparisons: `not a == b` is `(not a) == b`.
 * The supported elements Google lists for expressions include no list or map literal, so `[1]`
 * and `{"a": 1}` are refused: lists and maps are written as YAML values (in assign, args, return).
 */
import { ExpressionSyntaxError, tokenize } from './lexer.js';
import type { Token } from './lexer.js';
import { fitsInt64 } from './values.js';
import type { WValue } from './values.js';

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'and' | 'or';

export type Expr =
  | { readonly type: 'literal'; readonly value: WValue }
  | { readonly type: 'variable'; readonly name: string; readonly offset: number }
  | { readonly type: 'member'; readonly object: Expr; readonly property: string }
  | { readonly type: 'index'; readonly object: Expr; readonly index: Expr }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly offset: number }
  | { readonly type: 'unary'; readonly operator: 'not' | '-'; readonly operand: Expr }
  | { readonly type: 'binary'; readonly operator: BinaryOperator; readonly left: Expr; readonly right: Expr };

/** The brackets that would open a list or map literal, which Cloud Workflows expressions do not have. */
const LITERAL_KINDS: Readonly<Record<string, string>> = { '[': 'list', '{': 'map' };

const LEVELS: readonly (readonly BinaryOperator[])[] = [['or'], ['and'], ['==', '!=', '<', '<=', '>', '>=', 'in'], ['+', '-'], ['*', '/', '//', '%']];

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseExpression(): Expr {
    const expr = this.parseLevel(0);
    const rest = this.peek();
    if (rest.kind !== 'end') throw new ExpressionSyntaxError(`unexpected ${describe(rest)}`, rest.offset);
    return expr;
  }

  private parseLevel(level: number): Expr {
    const operators = LEVELS[level];
    if (operators === undefined) return this.parseUnary();
    let left = this.parseLevel(level + 1);
    for (;;) {
      const operator = this.peekBinaryOperator(operators);
      if (operator === undefined) return left;
      this.position++;
      left = { type: 'binary', operator, left, right: this.parseLevel(level + 1) };
    }
  }

  private peekBinaryOperator(operators: readonly BinaryOperator[]): BinaryOperator | undefined {
    const token = this.peek();
    if (token.kind !== 'operator' && token.kind !== 'keyword') return undefined;
    return operators.find((operator) => operator === token.text);
  }

  private parseUnary(): Expr {
    const token = this.peek();
    if (token.kind === 'keyword' && token.text === 'not') {
      this.position++;
      return { type: 'unary', operator: 'not', operand: this.parseUnary() };
    }
    if (token.kind === 'operator' && token.text === '-') {
      this.position++;
      return { type: 'unary', operator: '-', operand: this.parseUnary() };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(start: Expr): Expr {
    let expr = start;
    for (;;) {
      const token = this.peek();
      if (this.accept('.')) {
        expr = { type: 'member', object: expr, property: this.expectName().text };
      } else if (this.accept('[')) {
        expr = { type: 'index', object: expr, index: this.parseLevel(0) };
        this.expect(']');
      } else if (this.accept('(')) {
        const name = dottedName(expr);
        if (name === undefined) throw new ExpressionSyntaxError('only named functions can be called', token.offset);
        expr = { type: 'call', name, args: this.parseItems(')'), offset: firstOffset(expr) };
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const token = this.next();
    switch (token.kind) {
      case 'int':
        return { type: 'literal', value: intLiteral(token) };
      case 'double':
        return { type: 'literal', value: Number(token.text) };
      case 'string':
        return { type: 'literal', value: token.text };
      case 'name':
        return { type: 'variable', name: token.text, offset: token.offset };
      case 'keyword':
        if (token.text === 'true' || token.text === 'false') return { type: 'literal', value: token.text === 'true' };
        if (token.text === 'null') return { type: 'literal', value: null };
        break;
      case 'operator':
        return this.parseBracketed(token);
      case 'end':
        break;
    }
    throw new ExpressionSyntaxError(`unexpected ${describe(token)}`, token.offset);
  }

  private parseBracketed(token: Token): Expr {
    if (token.text === '(') {
      const inner = this.parseLevel(0);
      this.expect(')');
      return inner;
    }
    const literal = LITERAL_KINDS[token.text];
    if (literal !== undefined) {
      throw new ExpressionSyntaxError(`${literal} literals are not part of the Workflows expression language; write the ${literal} as a YAML value in an assign step and use its variable`, token.offset);
    }
    throw new ExpressionSyntaxError(`unexpected ${describe(token)}`, token.offset);
  }

  private parseItems(closing: string): Expr[] {
    const items: Expr[] = [];
    if (this.accept(closing)) return items;
    do items.push(this.parseLevel(0));
    while (this.accept(','));
    this.expect(closing);
    return items;
  }

  private accept(operator: string): boolean {
    const token = this.peek();
    if (token.kind !== 'operator' || token.text !== operator) return false;
    this.position++;
    return true;
  }

  private expect(operator: string): void {
    const token = this.peek();
    if (!this.accept(operator)) throw new ExpressionSyntaxError(`expected '${operator}' but found ${describe(token)}`, token.offset);
  }

  private expectName(): Token {
    const token = this.next();
    if (token.kind === 'name') return token;
    // A map key after a dot may be spelled like a keyword: `flags.true` reads the key "true".
    if (token.kind === 'keyword') return { ...token, text: token.raw ?? token.text };
    throw new ExpressionSyntaxError(`expected a name after '.' but found ${describe(token)}`, token.offset);
  }

  private peek(): Token {
    return this.tokens[this.position] ?? this.tokens[this.tokens.length - 1] ?? { kind: 'end', text: '', offset: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position++;
    return token;
  }
}

function intLiteral(token: Token): bigint {
  const value = BigInt(token.text);
  if (!fitsInt64(value)) throw new ExpressionSyntaxError(`integer ${token.text} does not fit in 64 bits`, token.offset);
  return value;
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  if (token.kind === 'string') return `string ${JSON.stringify(token.text)}`;
  return `'${token.text}'`;
}

/** `a.b.c` as written, if the expression is nothing but a name path. */
export function dottedName(expr: Expr): string | undefined {
  if (expr.type === 'variable') return expr.name;
  if (expr.type === 'member') {
    const base = dottedName(expr.object);
    return base === undefined ? undefined : `${base}.${expr.property}`;
  }
  return undefined;
}

function firstOffset(expr: Expr): number {
  if (expr.type === 'variable') return expr.offset;
  if (expr.type === 'member') return firstOffset(expr.object);
  return 0;
}

export function parseExpression(text: string): Expr {
  return new Parser(tokenize(text)).parseExpression();
}
