import { createRequire } from 'node:module';
import type ParserType from 'stream-json/Parser.js';
import { InputError, readTextFile } from './files.js';

const require = createRequire(import.meta.url);
const Parser = require('stream-json/Parser.js') as typeof ParserType;

export interface JsonToken {
  name: string;
  value?: string;
  /** The line the token ends on. */
  line: number;
}

/** A syntax error stream-json found; anything else thrown while tokenizing is not about the input. */
export class JsonSyntaxError extends Error {}

/** stream-json's parser with its output handed straight to a callback instead of a stream buffer. */
class CallbackParser extends Parser {
  constructor(
    options: { jsonStreaming: boolean },
    private readonly onParsed: (token: { name: string; value?: string }) => void,
  ) {
    super({ ...options, streamValues: false });
  }

  override push(token: unknown): boolean {
    if (token !== null && typeof token === 'object') this.onParsed(token as { name: string; value?: string });
    return true;
  }
}

/**
 * stream-json's tokenizer driven synchronously: each piece of input goes in, its tokens come out
 * to `onToken` tagged with their line, and a syntax error is thrown where it is found. Pieces must
 * end at newlines (or continue the current line) for the tags to be exact.
 */
export class JsonTokenizer {
  private readonly parser: CallbackParser;

  constructor(
    options: { jsonStreaming: boolean },
    onToken: (token: JsonToken) => void,
    public line = 1,
  ) {
    this.parser = new CallbackParser(options, (token) => onToken({ ...token, line: this.line }));
  }

  write(piece: Buffer): void {
    this.settle((done) => this.parser._transform(piece, 'utf8', done));
    if (piece[piece.length - 1] === 0x0a) this.line++;
  }

  end(): void {
    this.settle((done) => this.parser._flush!(done));
  }

  /** stream-json reports through callbacks, synchronously; a reported error is thrown here. */
  private settle(step: (done: (error?: Error | null) => void) => void): void {
    let failure: Error | null | undefined;
    step((error) => {
      failure = error;
    });
    if (failure) throw new JsonSyntaxError(failure.message);
  }
}

/** Feeds a whole text to the tokenizer in newline-terminated pieces, the shape it tags exactly. */
function tokenizeText(tokenizer: JsonTokenizer, text: string): void {
  let start = 0;
  for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
    tokenizer.write(Buffer.from(text.slice(start, newline + 1)));
    start = newline + 1;
  }
  if (start < text.length) tokenizer.write(Buffer.from(text.slice(start)));
  tokenizer.end();
}

const VALUE_STARTS = new Set(['startObject', 'startArray', 'stringValue', 'numberValue', 'trueValue', 'falseValue', 'nullValue']);
/** Array elements are indexed down to four levels: `.firewallPolicys[0].rules[3]` and aggregated lists (`.items.regions/R.subnetworks[0]`) sit that deep. */
const INDEXED_DEPTH = 4;

type Frame = { array: true; index: number } | { array: false; key: string };

/**
 * The line each array element of a JSON document starts on, by its path (`[3]`, `.items[2]`),
 * for arrays at most two levels deep, and the document's own first line under "".
 */
export function elementLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const frames: Frame[] = [];
  const path = (): string => frames.map((frame) => (frame.array ? `[${frame.index}]` : `.${frame.key}`)).join('');
  const tokenizer = new JsonTokenizer({ jsonStreaming: false }, (token) => {
    const parent = frames[frames.length - 1];
    if (token.name === 'keyValue' && parent && !parent.array) parent.key = token.value ?? '';
    if (VALUE_STARTS.has(token.name)) {
      if (parent?.array) parent.index++;
      if (!parent || (parent.array && frames.length <= INDEXED_DEPTH)) lines.set(path(), token.line);
      if (token.name === 'startObject') frames.push({ array: false, key: '' });
      if (token.name === 'startArray') frames.push({ array: true, index: -1 });
    }
    if (token.name === 'endObject' || token.name === 'endArray') frames.pop();
  });
  tokenizeText(tokenizer, text);
  return lines;
}

/**
 * Names an element of a JSON document `FILE[3]`, or `FILE:LINE` (a path not indexed takes its
 * nearest indexed ancestor's line).
 */
export function jsonLocator(text: string, file: string): { name(path: string): string; line(path: string): string } {
  let lines: Map<string, number> | undefined;
  return {
    name: (path) => `${file}${path}`,
    line: (path) => {
      // Only a rejection needs a line: the document is indexed the first time one is asked for.
      lines ??= elementLines(text);
      for (let at = path; ; ) {
        const line = lines.get(at);
        if (line !== undefined) return `${file}:${line}`;
        const parent = at.replace(/(\[\d+\]|\.[^.[]*)$/, '');
        if (parent === at) return `${file}${path}`;
        at = parent;
      }
    },
  };
}

/** The line a document's first syntax error is on, for text JSON.parse refused. */
export function syntaxErrorLine(text: string): number {
  const tokenizer = new JsonTokenizer({ jsonStreaming: false }, () => undefined);
  try {
    tokenizeText(tokenizer, text);
  } catch (error) {
    // The error itself is JSON.parse's to report; only its line is wanted here.
    if (!(error instanceof JsonSyntaxError)) throw error;
  }
  return tokenizer.line;
}

export interface LocatedJson {
  value: unknown;
  locate: ReturnType<typeof jsonLocator>;
}

/** A JSON file, parsed, with a way to name where each of its elements starts. */
export async function readLocatedJson(file: string): Promise<LocatedJson> {
  const text = await readTextFile(file);
  try {
    return { value: JSON.parse(text) as unknown, locate: jsonLocator(text, file) };
  } catch (error) {
    throw new InputError(`${file}:${syntaxErrorLine(text)}: invalid JSON: ${(error as Error).message}`);
  }
}
