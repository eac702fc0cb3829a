/** The text module. Positions count Unicode characters (code points), not UTF-16 units. */
import { raise } from './errors.js';
import { mapOf } from './values.js';
import type { WValue } from './values.js';
import { decodeUtf8 } from './stdlib-data.js';
import { bytesArg, defineFunction, intArg, isAbsent, stringArg } from './stdlib-types.js';
import type { FunctionSpec } from './stdlib-types.js';

type Charset = 'utf8' | 'ascii' | 'latin1';

const CHARSETS: Readonly<Record<string, Charset>> = {
  'UTF-8': 'utf8',
  UTF8: 'utf8',
  'US-ASCII': 'ascii',
  ASCII: 'ascii',
  'ISO-8859-1': 'latin1',
  LATIN1: 'latin1',
};

function charsetArg(fn: string, value: WValue | undefined): Charset {
  if (isAbsent(value)) return 'utf8';
  const charset = CHARSETS[stringArg(fn, 'charset', value).toUpperCase()];
  return charset ?? raise('ValueError', `${fn}: unsupported charset ${JSON.stringify(value)}`);
}

function encodeText(text: string, charset: Charset): WValue {
  const limit = charset === 'ascii' ? 0x7f : charset === 'latin1' ? 0xff : undefined;
  if (limit !== undefined && [...text].some((char) => (char.codePointAt(0) ?? 0) > limit)) {
    raise('ValueError', `text.encode: the text cannot be encoded as ${charset === 'ascii' ? 'US-ASCII' : 'ISO-8859-1'}`);
  }
  return new Uint8Array(Buffer.from(text, charset));
}

function decodeText(data: Uint8Array, charset: Charset): WValue {
  if (charset === 'utf8') return decodeUtf8('text.decode', data);
  if (charset === 'ascii' && data.some((byte) => byte > 0x7f)) raise('ValueError', 'text.decode: the bytes are not US-ASCII');
  return Buffer.from(data).toString('latin1');
}

/** Python slice semantics: negative positions count from the end, and positions are clamped. */
function substring(source: string, start: bigint, end: bigint): string {
  const chars = [...source];
  const clamp = (position: bigint): number => {
    const resolved = position < 0n ? BigInt(chars.length) + position : position;
    return Number(resolved < 0n ? 0n : resolved > BigInt(chars.length) ? BigInt(chars.length) : resolved);
  };
  return chars.slice(clamp(start), clamp(end)).join('');
}

function findAll(source: string, substr: string): WValue {
  if (substr === '') raise('ValueError', 'text.find_all: substr must not be empty');
  const matches: WValue[] = [];
  for (let at = source.indexOf(substr); at !== -1; at = source.indexOf(substr, at + substr.length)) {
    matches.push(mapOf({ index: BigInt([...source.slice(0, at)].length), match: substr }));
  }
  return matches;
}

/** RE2 syntax close enough to JS: named groups `(?P<n>…)` and leading inline flags `(?i)`. */
function compileRe2(fn: string, pattern: string): RegExp {
  let body = pattern.replace(/\(\?P</g, '(?<');
  let flags = 'u';
  const inline = /^\(\?([ims]+)\)/.exec(body);
  if (inline !== null) {
    flags += inline[1] ?? '';
    body = body.slice(inline[0].length);
  }
  try {
    return new RegExp(body, flags);
  } catch (error) {
    return raise('ValueError', `${fn}: invalid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const URL_SAFE = /[A-Za-z0-9._-]/;

/** Letters, digits and `.-_` stay; every other UTF-8 byte becomes %XX (a space is %20). */
function urlEncode(source: string): string {
  let encoded = '';
  for (const char of source) {
    encoded += URL_SAFE.test(char)
      ? char
      : [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return encoded;
}

export const TEXT_FUNCTIONS: readonly FunctionSpec[] = [
  defineFunction('text.encode', ['text', 'charset?'], ([text, charset]) => encodeText(stringArg('text.encode', 'text', text), charsetArg('text.encode', charset))),
  defineFunction('text.decode', ['data', 'charset?'], ([data, charset]) => decodeText(bytesArg('text.decode', 'data', data), charsetArg('text.decode', charset))),
  defineFunction('text.split', ['source', 'separator'], ([source, separator]) => {
    const sep = stringArg('text.split', 'separator', separator);
    if (sep === '') raise('ValueError', 'text.split: separator must not be empty');
    return stringArg('text.split', 'source', source).split(sep);
  }),
  defineFunction('text.replace_all', ['source', 'substr', 'repl'], ([source, substr, repl]) =>
    stringArg('text.replace_all', 'source', source).replaceAll(stringArg('text.replace_all', 'substr', substr), () => stringArg('text.replace_all', 'repl', repl)),
  ),
  defineFunction('text.substring', ['source', 'start', 'end'], ([source, start, end]) =>
    substring(stringArg('text.substring', 'source', source), intArg('text.substring', 'start', start), intArg('text.substring', 'end', end)),
  ),
  defineFunction('text.find_all', ['source', 'substr'], ([source, substr]) => findAll(stringArg('text.find_all', 'source', source), stringArg('text.find_all', 'substr', substr))),
  defineFunction('text.match_regex', ['source', 'regexp'], ([source, regexp]) =>
    compileRe2('text.match_regex', stringArg('text.match_regex', 'regexp', regexp)).test(stringArg('text.match_regex', 'source', source)),
  ),
  defineFunction('text.to_lower', ['source'], ([source]) => stringArg('text.to_lower', 'source', source).toLowerCase()),
  defineFunction('text.to_upper', ['source'], ([source]) => stringArg('text.to_upper', 'source', source).toUpperCase()),
  defineFunction('text.url_encode', ['source'], ([source]) => urlEncode(stringArg('text.url_encode', 'source', source))),
];
