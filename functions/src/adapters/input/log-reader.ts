import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type AssemblerType from 'stream-json/Assembler.js';
import { unwrapEnvelope } from '../../core/logs/envelope.js';
import { JsonSyntaxError, JsonTokenizer } from './json-tokens.js';

const require = createRequire(import.meta.url);
const Assembler = require('stream-json/Assembler.js') as typeof AssemblerType;

/** Cloud Logging caps an entry at 256 KB; anything over 1 MB is not a log entry. */
export const MAX_ENTRY_BYTES = 1024 * 1024;

export interface LogSink {
  entry(value: unknown, source: string): void;
  reject(source: string, reason: string): void;
}

export interface ReadOptions {
  maxEntryBytes?: number;
  onBytes?(bytes: number): void;
}

export type InputFormat = 'ndjson' | 'json-array' | 'json-stream';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A LogEntry, or a Pub/Sub push body / CloudEvent wrapping one, goes to the sink unwrapped. */
function deliver(value: unknown, source: string, sink: LogSink): void {
  const unwrapped = unwrapEnvelope(value);
  if ('error' in unwrapped) sink.reject(source, unwrapped.error);
  else sink.entry(unwrapped.entry, source);
}

function firstNonSpace(chunk: Buffer): number {
  let i = chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
  while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)) i++;
  return i;
}

const SNIFFED_LINES = 64;

/**
 * Whether a line is a whole non-empty object, as every NDJSON line is. Pretty-printing puts each
 * field of a non-empty object on its own line, so no line of a pretty-printed object is one
 * (an empty `{}` can be, so it does not count).
 */
function isWholeObject(line: string): boolean {
  if (!line.trimStart().startsWith('{')) return false;
  try {
    return Object.keys(JSON.parse(line) as object).length > 0;
  } catch {
    return false;
  }
}

/**
 * Decides from the first chunk: `[` is a JSON array (gcloud --format=json); `{` is NDJSON when any
 * of the first lines is a whole object (so one malformed line does not decide), and a stream of
 * pretty-printed objects when none is.
 */
export function detectFormat(firstChunk: Buffer): InputFormat {
  const start = firstNonSpace(firstChunk);
  if (firstChunk[start] === 0x5b) return 'json-array';
  if (firstChunk[start] !== 0x7b) return 'ndjson';
  const lines = firstChunk.subarray(start).toString('utf8').split('\n');
  // A chunk without a newline is one line longer than the chunk: only NDJSON has those.
  if (lines.length === 1) return 'ndjson';
  // The last line may be cut by the chunk's end.
  return lines.slice(0, -1).slice(0, SNIFFED_LINES).some(isWholeObject) ? 'ndjson' : 'json-stream';
}

async function readNdjson(chunks: AsyncIterable<Buffer>, name: string, sink: LogSink, maxBytes: number): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropping = false;
  let lineNumber = 0;
  const line = (bytes: Buffer, oversize: boolean): void => {
    lineNumber++;
    const source = `${name}:${lineNumber}`;
    if (oversize || bytes.length > maxBytes) {
      sink.reject(source, `entry is larger than ${maxBytes} bytes`);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      sink.reject(source, 'not valid UTF-8');
      return;
    }
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      sink.reject(source, `invalid JSON: ${(error as Error).message}`);
      return;
    }
    deliver(value, source, sink);
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      const tail = chunk.subarray(start, newline);
      line(pending.length === 0 ? tail : Buffer.concat([...pending, tail]), dropping);
      pending = [];
      pendingBytes = 0;
      dropping = false;
      start = newline + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      // An endless line is dropped as it streams by rather than buffered.
      if (pendingBytes > maxBytes) {
        dropping = true;
        pending = [];
      } else if (!dropping) {
        pending.push(Buffer.from(chunk.subarray(start)));
      }
    }
  }
  if (pendingBytes > 0) line(Buffer.concat(pending), dropping);
}

/** One newline-terminated piece of the input (a line longer than a chunk comes in several). */
interface Piece {
  bytes: Buffer;
  line: number;
  /** Whether the piece starts its line. */
  first: boolean;
}

async function* piecesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<Piece> {
  let line = 1;
  let first = true;
  for await (const chunk of chunks) {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      yield { bytes: chunk.subarray(start, newline + 1), line: line++, first };
      first = true;
      start = newline + 1;
    }
    if (start < chunk.length) {
      yield { bytes: chunk.subarray(start), line, first };
      first = false;
    }
  }
}

/**
 * The input as pieces, keeping those since the element being read began, so that after a syntax
 * error the reader can go back to the next line that starts an element. What it keeps is bounded:
 * an element larger than the limit is rejected anyway.
 */
class RewindablePieces {
  private kept: Piece[] = [];
  private keptBytes = 0;
  private replay: Piece[] = [];

  constructor(
    private readonly source: AsyncIterator<Piece>,
    private readonly maxKeptBytes: number,
  ) {}

  async next(): Promise<Piece | undefined> {
    const piece = this.replay.shift() ?? (await this.read());
    if (piece) this.keep(piece);
    return piece;
  }

  /** Pieces before `line` can no longer be returned to. */
  forgetBefore(line: number): void {
    while (this.kept.length > 0 && this.kept[0]!.line < line) this.keptBytes -= this.kept.shift()!.bytes.length;
  }

  /** How far the kept line `line` is indented, if it is still kept. */
  indentOf(line: number): number | undefined {
    const piece = this.kept.find((candidate) => candidate.line === line && candidate.first);
    return piece ? indentation(piece.bytes) : undefined;
  }

  /**
   * Moves to the first line after `line` that starts with `{` at most `maxIndent` deep (any depth
   * when unknown): where the next element most likely begins. Returns its number, or undefined
   * when the input ends first.
   */
  async rewindToElementAfter(line: number, maxIndent: number | undefined): Promise<number | undefined> {
    const pending = [...this.kept, ...this.replay];
    this.kept = [];
    this.keptBytes = 0;
    this.replay = [];
    const startsElement = (piece: Piece): boolean => piece.first && piece.line > line && startsObject(piece.bytes, maxIndent);
    const found = pending.findIndex(startsElement);
    if (found >= 0) {
      this.replay = pending.slice(found);
      return pending[found]!.line;
    }
    for (let piece = await this.read(); piece; piece = await this.read()) {
      if (startsElement(piece)) {
        this.replay = [piece];
        return piece.line;
      }
    }
    return undefined;
  }

  private async read(): Promise<Piece | undefined> {
    const next = await this.source.next();
    return next.done ? undefined : next.value;
  }

  private keep(piece: Piece): void {
    this.kept.push(piece);
    this.keptBytes += piece.bytes.length;
    while (this.keptBytes > this.maxKeptBytes && this.kept.length > 1) this.keptBytes -= this.kept.shift()!.bytes.length;
  }
}

function indentation(bytes: Buffer): number {
  let i = 0;
  while (bytes[i] === 0x20 || bytes[i] === 0x09) i++;
  return i;
}

function startsObject(bytes: Buffer, maxIndent: number | undefined): boolean {
  const indent = indentation(bytes);
  return bytes[indent] === 0x7b && (maxIndent === undefined || indent <= maxIndent);
}

const VALUE_TOKENS = new Set(['stringValue', 'numberValue', 'trueValue', 'falseValue', 'nullValue']);

/** Where a syntax error was met: the line of the element being read, how far that element was indented, and whether it sat in a top-level array. */
interface SyntaxFailure {
  line: number;
  indent: number | undefined;
  insideArray: boolean;
  message: string;
}

/**
 * Reads elements until the input ends (undefined) or a syntax error stops the tokenizer. Top-level
 * values follow one another as in `cat a.json b.json` (or jq's input): an array's elements are
 * entries, an object is one. A session resumed inside a JSON array starts with a `[` of its own,
 * so the elements that follow (each followed by a comma, the last by the array's `]`) still read
 * as one array.
 */
async function readSession(pieces: RewindablePieces, name: string, sink: LogSink, maxBytes: number, resume: { line: number; insideArray: boolean } | undefined): Promise<SyntaxFailure | undefined> {
  // Entries start one level down in a top-level array, at the top otherwise.
  let elementDepth = 0;
  let depth = 0;
  let assembler: InstanceType<typeof Assembler> | undefined;
  let elementLine = 0;
  let elementIndent: number | undefined;
  let elementBytes = 0;
  let oversize = false;
  const tokenizer = new JsonTokenizer({ jsonStreaming: true }, (token) => {
    const opens = token.name === 'startObject' || token.name === 'startArray';
    const closes = token.name === 'endObject' || token.name === 'endArray';
    if (depth === 0 && !closes) elementDepth = token.name === 'startArray' ? 1 : 0;
    if (depth === elementDepth && !closes) {
      elementLine = token.line;
      pieces.forgetBefore(token.line);
      elementIndent = pieces.indentOf(token.line);
      if (!opens && VALUE_TOKENS.has(token.name)) {
        sink.reject(`${name}:${token.line}`, `expected a JSON object, got ${token.name.replace('Value', '')}`);
        return;
      }
      assembler = new Assembler();
      elementBytes = 0;
      oversize = false;
    }
    if (opens) depth++;
    if (closes) depth--;
    if (depth < elementDepth) return;
    if (assembler && !oversize) {
      elementBytes += (token.value?.length ?? 0) + 2;
      if (elementBytes > maxBytes) oversize = true;
      else assembler.consume(token);
    }
    if (depth === elementDepth && closes && assembler) {
      if (oversize) sink.reject(`${name}:${elementLine}`, `entry is larger than ${maxBytes} bytes`);
      else deliver(assembler.current, `${name}:${elementLine}`, sink);
      assembler = undefined;
    }
  }, resume?.line);
  const failed = (step: () => void): SyntaxFailure | undefined => {
    try {
      step();
      return undefined;
    } catch (error) {
      if (!(error instanceof JsonSyntaxError)) throw error;
      // The tokenizer notices some errors a few bytes late; the element being read is the better pointer.
      return { line: depth > elementDepth ? elementLine : tokenizer.line, indent: elementIndent, insideArray: elementDepth === 1, message: error.message };
    }
  };
  if (resume?.insideArray) tokenizer.write(Buffer.from('['));
  for (let piece = await pieces.next(); piece; piece = await pieces.next()) {
    const failure = failed(() => tokenizer.write(piece.bytes));
    if (failure) return failure;
  }
  return failed(() => tokenizer.end());
}

/**
 * Streams a JSON array's elements (or a sequence of top-level values) without holding the whole
 * document. After a syntax error the element is rejected and reading resumes at the next line
 * that starts an element as deep as the broken one (gcloud writes one element per `  {`); only
 * what lies between is lost.
 */
async function readStructured(chunks: AsyncIterable<Buffer>, name: string, sink: LogSink, maxBytes: number): Promise<void> {
  const pieces = new RewindablePieces(piecesOf(chunks)[Symbol.asyncIterator](), 2 * maxBytes);
  let resume: { line: number; insideArray: boolean } | undefined;
  for (;;) {
    const failure = await readSession(pieces, name, sink, maxBytes, resume);
    if (!failure) return;
    const resumeAt = await pieces.rewindToElementAfter(failure.line, failure.indent);
    const after = resumeAt === undefined ? 'rest of the input skipped' : `reading resumed at line ${resumeAt}`;
    sink.reject(`${name}:${failure.line}`, `invalid JSON, ${after}: ${failure.message}`);
    if (resumeAt === undefined) return;
    resume = { line: resumeAt, insideArray: failure.insideArray };
  }
}

/**
 * Reads log entries from a stream in any format `kfguard analyze` accepts, delivering each entry
 * (unwrapped from Pub/Sub or CloudEvent envelopes) or a rejection with its `NAME:LINE`.
 */
export async function readLogStream(input: Readable, name: string, sink: LogSink, options: ReadOptions = {}): Promise<InputFormat | undefined> {
  const maxBytes = options.maxEntryBytes ?? MAX_ENTRY_BYTES;
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const toBuffer = (chunk: Buffer | string): Buffer => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    options.onBytes?.(buffer.length);
    return buffer;
  };
  const first = await iterator.next();
  if (first.done) return undefined;
  const firstChunk = toBuffer(first.value);
  const format = detectFormat(firstChunk);
  const chunks = (async function* () {
    yield firstChunk;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield toBuffer(next.value);
  })();
  if (format === 'ndjson') await readNdjson(chunks, name, sink, maxBytes);
  else await readStructured(chunks, name, sink, maxBytes);
  return format;
}
