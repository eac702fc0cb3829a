import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type AssemblerType from 'stream-json/Assembler.js';
import type ParserType from 'stream-json/Parser.js';
import { unwrapEnvelope } from '../../core/logs/envelope.js';

const require = createRequire(import.meta.url);
const Parser = require('stream-json/Parser.js') as typeof ParserType;
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

/**
 * Decides from the first chunk: `[` is a JSON array (gcloud --format=json); `{` whose first line is
 * a whole JSON value is NDJSON; `{` that spans lines is a stream of pretty-printed objects.
 */
export function detectFormat(firstChunk: Buffer): InputFormat {
  const start = firstNonSpace(firstChunk);
  if (firstChunk[start] === 0x5b) return 'json-array';
  if (firstChunk[start] !== 0x7b) return 'ndjson';
  const newline = firstChunk.indexOf(10, start);
  if (newline < 0) return 'ndjson';
  try {
    JSON.parse(firstChunk.subarray(start, newline).toString('utf8'));
    return 'ndjson';
  } catch {
    return 'json-stream';
  }
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

interface Token {
  name: string;
  value?: string;
  line: number;
}

/** stream-json's tokenizer, tagging each token with the line it ends on; input is fed in newline-terminated pieces so the tag is exact. */
class LineTaggingParser extends Parser {
  line = 1;

  override push(token: unknown, encoding?: BufferEncoding): boolean {
    if (token && typeof token === 'object') (token as Token).line = this.line;
    return super.push(token, encoding);
  }

  _transformBuffer(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const base = Parser.prototype as unknown as { _transformBuffer: (this: unknown, c: Buffer, e: BufferEncoding, cb: (error?: Error | null) => void) => void };
    base._transformBuffer.call(this, chunk, encoding, (error) => {
      if (!error && chunk[chunk.length - 1] === 10) this.line++;
      callback(error);
    });
  }
}

async function* newlinePieces(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      yield chunk.subarray(start, newline + 1);
      start = newline + 1;
    }
    if (start < chunk.length) yield chunk.subarray(start);
  }
}

const VALUE_TOKENS = new Set(['stringValue', 'numberValue', 'trueValue', 'falseValue', 'nullValue']);

/** Streams a JSON array's elements (or a sequence of top-level values) without holding the whole document. */
async function readStructured(chunks: AsyncIterable<Buffer>, name: string, format: InputFormat, sink: LogSink, maxBytes: number): Promise<void> {
  const parser = new LineTaggingParser({ jsonStreaming: format === 'json-stream', streamValues: false });
  const elementDepth = format === 'json-array' ? 1 : 0;
  let depth = 0;
  let assembler: InstanceType<typeof Assembler> | undefined;
  let elementLine = 0;
  let elementBytes = 0;
  let oversize = false;
  const feeder = Readable.from(newlinePieces(chunks), { objectMode: false });
  feeder.on('error', (error) => parser.destroy(error));
  feeder.pipe(parser);
  try {
    for await (const token of parser as AsyncIterable<Token>) {
      const opens = token.name === 'startObject' || token.name === 'startArray';
      const closes = token.name === 'endObject' || token.name === 'endArray';
      if (depth === elementDepth && !closes) {
        elementLine = token.line;
        if (!opens && VALUE_TOKENS.has(token.name)) {
          sink.reject(`${name}:${token.line}`, `expected a JSON object, got ${token.name.replace('Value', '')}`);
          continue;
        }
        assembler = new Assembler();
        elementBytes = 0;
        oversize = false;
      }
      if (opens) depth++;
      if (closes) depth--;
      if (depth < elementDepth) continue;
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
    }
  } catch (error) {
    // The tokenizer notices some errors a few bytes late; the element being read is the better pointer.
    const line = depth > elementDepth ? elementLine : parser.line;
    sink.reject(`${name}:${line}`, `invalid JSON, rest of the input skipped: ${(error as Error).message}`);
  } finally {
    feeder.destroy();
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
  else await readStructured(chunks, name, format, sink, maxBytes);
  return format;
}
