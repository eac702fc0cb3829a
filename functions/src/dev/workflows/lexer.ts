/** Tokens of the expression language inside `${...}`. */

export type TokenKind = 'int' | 'double' | 'string' | 'name' | 'keyword' | 'operator' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** Operator or keyword text (keywords lower-cased), the name, or the decoded string. */
  readonly text: string;
  /** Offset in the expression text, for error messages. */
  readonly offset: number;
  /** The source text, where it differs from `text` (a keyword written `TRUE`). */
  readonly raw?: string;
}

export class ExpressionSyntaxError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} (at character ${offset + 1})`);
    this.name = 'ExpressionSyntaxError';
  }
}

/**
 * Logical operators may be lower- or upper-case but not mixed, and so may true/false; the
 * documentation does not extend that to `in` or `null`.
 */
const KEYWORDS: Readonly<Record<string, string>> = {
  and: 'and',
  AND: 'and',
  or: 'or',
  OR: 'or',
  not: 'not',
  NOT: 'not',
  in: 'in',
  true: 'true',
  True: 'true',
  TRUE: 'true',
  false: 'false',
  False: 'false',
  FALSE: 'false',
  null: 'null',
};

/** Longest first, so that `//` wins over `/` and `<=` over `<`. */
const OPERATORS = ['//', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '<', '>', '(', ')', '[', ']', '{', '}', ',', '.', ':'];

const STRING_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /\d+(\.\d+)?([eE][+-]?\d+)?/y;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  while (offset < text.length) {
    const char = text[offset] ?? '';
    if (/\s/.test(char)) {
      offset++;
      continue;
    }
    const token = readToken(text, offset);
    tokens.push(token.token);
    offset = token.next;
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

function readToken(text: string, offset: number): { token: Token; next: number } {
  const char = text[offset] ?? '';
  if (char === '"' || char === "'") return readString(text, offset);
  if (char >= '0' && char <= '9') return readNumber(text, offset);
  NAME.lastIndex = offset;
  const name = NAME.exec(text);
  if (name !== null) {
    const keyword = KEYWORDS[name[0]];
    const token: Token = keyword === undefined ? { kind: 'name', text: name[0], offset } : { kind: 'keyword', text: keyword, offset, raw: name[0] };
    return { token, next: offset + name[0].length };
  }
  const operator = OPERATORS.find((candidate) => text.startsWith(candidate, offset));
  if (operator === undefined) throw new ExpressionSyntaxError(`unexpected character ${JSON.stringify(char)}`, offset);
  return { token: { kind: 'operator', text: operator, offset }, next: offset + operator.length };
}

function readNumber(text: string, offset: number): { token: Token; next: number } {
  NUMBER.lastIndex = offset;
  const match = NUMBER.exec(text);
  if (match === null) throw new ExpressionSyntaxError('bad number', offset);
  const isDouble = match[1] !== undefined || match[2] !== undefined;
  return { token: { kind: isDouble ? 'double' : 'int', text: match[0], offset }, next: offset + match[0].length };
}

function readString(text: string, start: number): { token: Token; next: number } {
  const quote = text[start];
  let value = '';
  let offset = start + 1;
  for (;;) {
    const char = text[offset];
    if (char === undefined) throw new ExpressionSyntaxError('unterminated string', start);
    offset++;
    if (char === quote) return { token: { kind: 'string', text: value, offset: start }, next: offset };
    if (char !== '\\') {
      value += char;
      continue;
    }
    const escape = readEscape(text, offset);
    value += escape.value;
    offset = escape.next;
  }
}

function readEscape(text: string, offset: number): { value: string; next: number } {
  const char = text[offset] ?? '';
  if (char === 'u') {
    const hex = text.slice(offset + 1, offset + 5);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ExpressionSyntaxError('bad \\u escape', offset - 1);
    return { value: String.fromCharCode(parseInt(hex, 16)), next: offset + 5 };
  }
  const escaped = STRING_ESCAPES[char];
  if (escaped === undefined) throw new ExpressionSyntaxError(`unknown escape \\${char}`, offset - 1);
  return { value: escaped, next: offset + 1 };
}
