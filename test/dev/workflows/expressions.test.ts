import { describe, expect, it } from 'vitest';
import { parseExpression } from '../../../functions/src/dev/workflows/parser.js';
import type { Expr } from '../../../functions/src/dev/workflows/parser.js';
import { evaluateExpression, expressionError, runWorkflow, returning } from './helpers.js';

/** The AST as a compact s-expression, to compare parses against the documented precedence. */
function shape(expr: Expr): string {
  switch (expr.type) {
    case 'literal':
      return typeof expr.value === 'string' ? JSON.stringify(expr.value) : String(expr.value);
    case 'variable':
      return expr.name;
    case 'member':
      return `(. ${shape(expr.object)} ${expr.property})`;
    case 'index':
      return `([] ${shape(expr.object)} ${shape(expr.index)})`;
    case 'call':
      return `(${expr.name}${expr.args.map((arg) => ` ${shape(arg)}`).join('')})`;
    case 'unary':
      return `(${expr.operator} ${shape(expr.operand)})`;
    case 'binary':
      return `(${expr.operator} ${shape(expr.left)} ${shape(expr.right)})`;
  }
}

describe('expression parser: documented precedence', () => {
  it.each([
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['a // b % c * d', '(* (% (// a b) c) d)'],
    ['-a.b[0]', '(- ([] (. a b) 0))'],
    ['not a.b', '(not (. a b))'],
    ['not a == b', '(== (not a) b)'],
    ['-a * b', '(* (- a) b)'],
    ['a + b == c * d', '(== (+ a b) (* c d))'],
    ['x in l == true', '(== (in x l) true)'],
    ['a < b and c >= d', '(and (< a b) (>= c d))'],
    ['a or b and c', '(or a (and b c))'],
    ['a and b or c and d', '(or (and a b) (and c d))'],
    ['a AND NOT b OR c', '(or (and a (not b)) c)'],
    ['m["k"].x[i + 1]', '([] (. ([] m "k") x) (+ i 1))'],
    ['text.split(s, ",")[0]', '([] (text.split s ",") 0)'],
  ])('%s parses as %s', (text, expected) => {
    expect(shape(parseExpression(text))).toBe(expected);
  });

  it('reads ints as bigint and doubles as number', () => {
    expect(parseExpression('42')).toEqual({ type: 'literal', value: 42n });
    expect(parseExpression('4.0')).toEqual({ type: 'literal', value: 4 });
    expect(parseExpression('1.5e3')).toEqual({ type: 'literal', value: 1500 });
  });

  it.each(['1 +', '(1', 'a..b', '"open', '1 2', 'a[1', 'f(1,)', '9223372036854775808', '@'])('rejects %s', (text) => {
    expect(() => parseExpression(text)).toThrow();
  });

  it.each([
    ['{}', 'map', 1],
    ['json.encode({"kind": "run"})', 'map', 13],
    ['default(x, [])', 'list', 12],
    ['"a" in ["a", "b"]', 'list', 8],
  ])('refuses the %s literal in %s, which Cloud Workflows expressions do not have', (text, kind, character) => {
    expect(() => parseExpression(text)).toThrow(`${kind} literals are not part of the Workflows expression language; write the ${kind} as a YAML value in an assign step and use its variable (at character ${character})`);
  });

  it('still reads list and map indexing, which are expressions', () => {
    expect(shape(parseExpression('l[0]["k"]'))).toBe('([] ([] l 0) "k")');
  });
});

describe('expression evaluation', () => {
  it.each([
    ['1 + 2 * 3', 7n],
    ['(1 + 2) * 3', 9n],
    ['10 - 2 * 3 + 1', 5n],
    ['2 - 3 - 4', -5n],
    ['-2 * -3', 6n],
    ['7 // 2', 3n],
    ['-7 // 2', -4n],
    ['7 % 3', 1n],
    ['-7 % 3', 2n],
    ['7 / 2', 3.5],
    ['4 / 2', 2],
    ['1 + 2.0', 3],
    ['7.5 // 2', 3],
    ['"con" + "cat"', 'concat'],
    ['not true == false', true],
    ['not (1 == 1)', false],
    ['true or false and false', true],
    ['1 < 2 and 2 < 3', true],
    ['"abc" < "abd"', true],
    ['2 >= 2.0', true],
    ['1 == 1.0', true],
    ['1 != "1"', true],
    ['null == null', true],
    ['TRUE and True', true],
    ['NOT false', true],
    ['"tab\\tq\\"u\\u00e9"', 'tab\tq"u\u00e9'],
    ["'single'", 'single'],
  ])('%s = %s', async (expression, expected) => {
    const value = await evaluateExpression(expression);
    expect(value).toEqual(expected);
    expect(typeof value).toBe(typeof expected);
  });

  it.each([
    ['a == b', ['a: [1, [2, "x"]]', 'b: [1, [2, "x"]]'], true],
    ['a == b', ['a: {"a": 1, "b": 2}', 'b: {"b": 2, "a": 1}'], true],
    ['"a" in l', ['l: ["a", "b"]'], true],
    ['3 in l', ['l: [1, 2]'], false],
    ['1 in l', ['l: [1.0]'], true],
    ['"k" in m', ['m: {"k": 1}'], true],
    ['"v" in m', ['m: {"k": "v"}'], false],
  ])('%s, given %j, = %s', async (expression, setup, expected) => {
    expect(await evaluateExpression(expression, setup)).toEqual(expected);
  });

  it.each([
    ['"a" + 1', 'TypeError'],
    ['1 + true', 'TypeError'],
    ['"a" * 2', 'TypeError'],
    ['-"a"', 'TypeError'],
    ['1 < "a"', 'TypeError'],
    ['1 and true', 'TypeError'],
    ['not 1', 'TypeError'],
    ['1 in "abc"', 'TypeError'],
    ['"abc".x', 'TypeError'],
    ['1 / 0', 'ZeroDivisionError'],
    ['1 // 0', 'ZeroDivisionError'],
    ['1 % 0.0', 'ZeroDivisionError'],
    ['9223372036854775807 + 1', 'ValueError'],
  ])('%s raises %s', async (expression, tag) => {
    const payload = await expressionError(expression);
    expect(payload).toMatchObject({ tags: [tag] });
    expect(typeof payload.message).toBe('string');
  });

  it.each([
    ['a + b', ['a: [1]', 'b: [2]'], 'TypeError'],
    ['m.b', ['m: {"a": 1}'], 'KeyError'],
    ['m["b"]', ['m: {"a": 1}'], 'KeyError'],
    ['l[5]', ['l: [1, 2]'], 'IndexError'],
    ['l[-1]', ['l: [1, 2]'], 'IndexError'],
    ['l["0"]', ['l: [1, 2]'], 'TypeError'],
  ])('%s, given %j, raises %s', async (expression, setup, tag) => {
    expect(await expressionError(expression, setup)).toMatchObject({ tags: [tag] });
  });

  it('keeps the type of a whole-string expression and builds maps with expression keys', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - i: \${1}
          - d: \${1.0}
          - s: "\${1}-not-an-expression-in-quotes"
`;
    await expect(runWorkflow(source)).rejects.toThrow(/does not interpolate/);
    const result = await runWorkflow(`
main:
  steps:
    - init:
        assign:
          - i: \${1}
          - d: \${1.0}
          - key: "dyn"
          - m: {"\${key + \\"amic\\"}": "\${i + 1}", plain: ["\${d}", 2]}
    - out:
        return: ["\${i}", "\${d}", "\${m}"]
`);
    expect(result.value).toEqual([1n, 1, new Map<string, unknown>([['dynamic', 2n], ['plain', [1, 2n]]])]);
  });

  it('evaluates if() lazily and checks its condition', async () => {
    expect(await evaluateExpression('if(true, "yes", 1 / 0)')).toBe('yes');
    expect(await evaluateExpression('if(1 > 2, 1 / 0, 2)')).toBe(2n);
    expect(await expressionError('if("x", 1, 2)')).toMatchObject({ tags: ['TypeError'] });
  });
});

describe('standard library', () => {
  it.each([
    ['len("héllo")', 5n],
    ['default(null, "d")', 'd'],
    ['default(0, "d")', 0n],
    ['int("42")', 42n],
    ['int(" -7 ")', -7n],
    ['int(2.7)', 2n],
    ['int(-2.7)', -2n],
    ['double("2.5")', 2.5],
    ['double(2)', 2],
    ['string(1.7)', '1.7'],
    ['string(2.0)', '2.0'],
    ['string(42)', '42'],
    ['string(true)', 'true'],
    ['map.get("not a map", "a")', null],
    ['json.encode_to_string(2.0)', '2.0'],
    ['text.decode(base64.decode("aMOpbGxv"))', 'héllo'],
    ['base64.encode(text.encode("ab"), false)', 'YWI'],
    ['json.decode(text.encode("[1, 2.0]"))', [1n, 2]],
    ['json.decode("{\\"a\\": {\\"b\\": null}}")', new Map([['a', new Map([['b', null]])]])],
    ['text.split("a,b,,c", ",")', ['a', 'b', '', 'c']],
    ['text.replace_all("a-b-c", "-", "+")', 'a+b+c'],
    ['text.substring("hello", 1, 3)', 'el'],
    ['text.substring("hello", -3, 99)', 'llo'],
    ['text.find_all("abcab", "ab")', [new Map<string, unknown>([['index', 0n], ['match', 'ab']]), new Map<string, unknown>([['index', 3n], ['match', 'ab']])]],
    ['text.match_regex("abc123", "\\\\d+$")', true],
    ['text.match_regex("ABC", "(?i)^abc$")', true],
    ['text.match_regex("abc", "^b")', false],
    ['text.to_lower("MiXeD")', 'mixed'],
    ['text.to_upper("MiXeD")', 'MIXED'],
    ['text.url_encode("a/b/c?item=d+e f")', 'a%2Fb%2Fc%3Fitem%3Dd%2Be%20f'],
    ['sys.now()', 1772366400.25],
    ['sys.get_env("GOOGLE_CLOUD_PROJECT_ID")', 'kf-test'],
    ['sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")', 'exec-1'],
    ['sys.get_env("UNSET")', null],
    ['sys.get_env("UNSET", "fallback")', 'fallback'],
    ['time.format(1720788633)', '2024-07-12T12:50:33.000000Z'],
    ['time.format(1720788633.5, "UTC")', '2024-07-12T12:50:33.500000Z'],
    ['time.format(1720788633, "Europe/Paris")', '2024-07-12T14:50:33.000000+02:00'],
  ])('%s', async (expression, expected) => {
    expect(await evaluateExpression(expression)).toEqual(expected);
  });

  it.each([
    ['len(l)', ['l: [1, 2]'], 2n],
    ['len(m)', ['m: {}'], 0n],
    ['keys(m)', ['m: {"b": 1, "a": 2, "10": 3}'], ['b', 'a', '10']],
    ['default(map.get(m, "x"), "fallback")', ['m: {"a": 1}'], 'fallback'],
    ['map.get(m, path)', ['m: {"a": {"b": 1}}', 'path: ["a", "b"]'], 1n],
    ['map.get(m, path)', ['m: {"a": {"b": 1}}', 'path: ["a", "x", "y"]'], null],
    ['map.merge(a, b)', ['a: {"a": 1, "b": 1}', 'b: {"b": 2}'], new Map([['a', 1n], ['b', 2n]])],
    ['list.concat(a, b)', ['a: [1]', 'b: [2]'], [1n, [2n]]],
    ['json.encode_to_string(m)', ['m: {"a": [1, 2.5, "x", null, true]}'], '{"a":[1,2.5,"x",null,true]}'],
    ['base64.encode(json.encode(m))', ['m: {"a": 1}'], 'eyJhIjoxfQ=='],
    ['http.default_retry_predicate(e)', ['e: {"tags": ["HttpError"], "code": 503}'], true],
    ['http.default_retry_predicate(e)', ['e: {"tags": ["HttpError"], "code": 500}'], false],
  ])('%s, given %j', async (expression, setup, expected) => {
    expect(await evaluateExpression(expression, setup)).toEqual(expected);
  });

  it.each([
    ['len(1)', 'TypeError'],
    ['int("2.5")', 'ValueError'],
    ['int(true)', 'TypeError'],
    ['double("x")', 'ValueError'],
    ['json.decode("{")', 'ValueError'],
    ['json.encode_to_string(text.encode("x"))', 'TypeError'],
    ['base64.decode("!!")', 'ValueError'],
    ['base64.encode("not bytes")', 'TypeError'],
    ['text.decode(base64.decode("/w=="))', 'ValueError'],
    ['text.split("a", "")', 'ValueError'],
    ['text.match_regex("a", "(")', 'ValueError'],
    ['time.format(0, "Mars/Olympus")', 'ValueError'],
  ])('%s raises %s', async (expression, tag) => {
    expect(await expressionError(expression)).toMatchObject({ tags: [tag] });
  });

  it.each([
    ['keys(l)', ['l: [1]'], 'TypeError'],
    ['string(l)', ['l: [1]'], 'TypeError'],
    ['map.get(m, 1)', ['m: {}'], 'TypeError'],
    ['map.merge(m, l)', ['m: {}', 'l: []'], 'TypeError'],
  ])('%s, given %j, raises %s', async (expression, setup, tag) => {
    expect(await expressionError(expression, setup)).toMatchObject({ tags: [tag] });
  });

  it('refuses to return bytes, which cannot be JSON-encoded', async () => {
    const result = await runWorkflow(returning('text.encode("x")'));
    expect(result.state).toBe('FAILED');
    expect(result.error?.payload).toMatchObject({ tags: ['TypeError'] });
  });
});
