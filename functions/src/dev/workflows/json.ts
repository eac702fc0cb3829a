/**
 * JSON for workflow values. JSON.parse would turn `1.0` into the int-looking number 1 and big ints
 * into rounded doubles; this parser keeps `1` an int (bigint) and `1.0` a double, as Workflows does.
 */
import { formatDouble, typeName } from './values.js';
import type { WValue } from './values.js';

export class JsonSyntaxError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

/** A value JSON cannot represent (bytes, NaN, infinity). */
export class JsonValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonValueError';
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class JsonReader {
  private offset = 0;

  constructor(private readonly text: string) {}

  readDocument(): WValue {
    const value = this.readValue();
    this.skipWhitespace();
    if (this.offset !== this.text.length) throw new JsonSyntaxError('unexpected trailing data', this.offset);
    return value;
  }

  private readValue(): WValue {
    this.skipWhitespace();
    const char = this.text[this.offset];
    if (char === '{') return this.readObject();
    if (char === '[') return this.readArray();
    if (char === '"') return this.readString();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.readNumber();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.offset)) {
        this.offset += word.length;
        return value;
      }
    }
    throw new JsonSyntaxError(char === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(char)}`, this.offset);
  }

  private readObject(): WValue {
    const map = new Map<string, WValue>();
    this.offset++;
    if (this.peekSignificant() === '}') {
      this.offset++;
      return map;
    }
    for (;;) {
      if (this.peekSignificant() !== '"') throw new JsonSyntaxError('expected a string key', this.offset);
      const key = this.readString();
      this.expect(':');
      map.set(key, this.readValue());
      if (this.acceptSeparator('}')) return map;
    }
  }

  private readArray(): WValue {
    const list: WValue[] = [];
    this.offset++;
    if (this.peekSignificant() === ']') {
      this.offset++;
      return list;
    }
    for (;;) {
      list.push(this.readValue());
      if (this.acceptSeparator(']')) return list;
    }
  }

  /** After an item: `,` continues (false), the closing bracket ends (true). */
  private acceptSeparator(closing: string): boolean {
    const char = this.peekSignificant();
    this.offset++;
    if (char === closing) return true;
    if (char === ',') return false;
    throw new JsonSyntaxError(`expected ',' or '${closing}'`, this.offset - 1);
  }

  private readString(): string {
    let result = '';
    this.offset++;
    for (;;) {
      const char = this.text[this.offset++];
      if (char === undefined) throw new JsonSyntaxError('unterminated string', this.offset);
      if (char === '"') return result;
      if (char < ' ') throw new JsonSyntaxError('control character in string', this.offset - 1);
      result += char === '\\' ? this.readEscape() : char;
    }
  }

  private readEscape(): string {
    const char = this.text[this.offset++] ?? '';
    if (char === 'u') {
      const hex = this.text.slice(this.offset, this.offset + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('bad \\u escape', this.offset);
      this.offset += 4;
      return String.fromCharCode(parseInt(hex, 16));
    }
    const escaped = ESCAPES[char];
    if (escaped === undefined) throw new JsonSyntaxError(`bad escape \\${char}`, this.offset - 1);
    return escaped;
  }

  private readNumber(): WValue {
    NUMBER.lastIndex = this.offset;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new JsonSyntaxError('bad number', this.offset);
    this.offset += match[0].length;
    return match[1] === undefined && match[2] === undefined ? BigInt(match[0]) : Number(match[0]);
  }

  private expect(char: string): void {
    if (this.peekSignificant() !== char) throw new JsonSyntaxError(`expected '${char}'`, this.offset);
    this.offset++;
  }

  private peekSignificant(): string | undefined {
    this.skipWhitespace();
    return this.text[this.offset];
  }

  private skipWhitespace(): void {
    while (WHITESPACE.has(this.text[this.offset] ?? '')) this.offset++;
  }
}

export function parseJson(text: string): WValue {
  return new JsonReader(text).readDocument();
}

export interface JsonLayout {
  /** Text put before every line but the first. */
  readonly prefix: string;
  /** Text per nesting level; none means compact output. */
  readonly indent?: string;
}

const COMPACT: JsonLayout = { prefix: '' };

export function stringifyJson(value: WValue, layout: JsonLayout = COMPACT): string {
  return writeValue(value, layout, 0);
}

function writeValue(value: WValue, layout: JsonLayout, depth: number): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new JsonValueError(`${formatDouble(value)} is not valid JSON`);
    return formatDouble(value);
  }
  if (value instanceof Uint8Array) throw new JsonValueError(`a value of type ${typeName(value)} cannot be JSON-encoded`);
  const items = Array.isArray(value)
    ? value.map((item) => writeValue(item, layout, depth + 1))
    : [...value].map(([key, item]) => `${JSON.stringify(key)}:${layout.indent === undefined ? '' : ' '}${writeValue(item, layout, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  if (layout.indent === undefined) return `${open}${items.join(',')}${close}`;
  const inner = `\n${layout.prefix}${layout.indent.repeat(depth + 1)}`;
  const outer = `\n${layout.prefix}${layout.indent.repeat(depth)}`;
  return `${open}${inner}${items.join(`,${inner}`)}${outer}${close}`;
}
