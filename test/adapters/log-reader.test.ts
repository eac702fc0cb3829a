import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectFormat, readLogStream } from '../../functions/src/adapters/input/log-reader.js';
import { fixtureJson, readFixture } from '../helpers/fixtures.js';

interface Collected {
  entries: { value: any; source: string }[];
  rejected: { source: string; reason: string }[];
}

async function read(input: string | Buffer | Buffer[], options: { maxEntryBytes?: number; chunkSize?: number } = {}): Promise<Collected> {
  const collected: Collected = { entries: [], rejected: [] };
  const buffer = Array.isArray(input) ? Buffer.concat(input) : Buffer.from(input);
  const size = options.chunkSize ?? 64 * 1024;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(buffer.subarray(i, i + size));
  await readLogStream(Readable.from(chunks), 'in', {
    entry: (value, source) => collected.entries.push({ value, source }),
    reject: (source, reason) => collected.rejected.push({ source, reason }),
  }, { maxEntryBytes: options.maxEntryBytes });
  return collected;
}

const entries = fixtureJson<{ insertId: string }[]>('logs/denied-by-rule.json');
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
const pushBody = (value: unknown, id: string) => ({
  message: { data: b64(value), attributes: { 'logging.googleapis.com/timestamp': '2026-03-02T10:15:01.981234567Z' }, messageId: id, publishTime: '2026-03-02T10:15:08Z' },
  subscription: 'projects/kf-test-project/subscriptions/kfguard-log-sink',
});
const cloudEvent = (value: unknown, id: string) => ({
  specversion: '1.0',
  id,
  source: '//pubsub.googleapis.com/projects/kf-test-project/topics/kfguard-log-events',
  type: 'google.cloud.pubsub.topic.v1.messagePublished',
  datacontenttype: 'application/json',
  data: pushBody(value, id),
});

describe('input formats', () => {
  it('reads a gcloud --format=json array with the line each entry starts on', async () => {
    const text = readFixture('logs/denied-by-rule.json');
    const { entries: read1, rejected } = await read(text, { chunkSize: 997 });
    expect(rejected).toEqual([]);
    expect(read1.map((e) => e.value.insertId)).toEqual(entries.map((e) => e.insertId));
    const lines = text.split('\n');
    for (const { value, source } of read1) {
      const line = Number(source.split(':')[1]);
      expect(lines[line - 1]).toBe('  {');
      expect(lines[line]).toBe(`    "insertId": "${value.insertId}",`);
    }
  });

  it('reads NDJSON, skipping blank lines and tolerating CRLF', async () => {
    const text = entries.map((e) => JSON.stringify(e)).join('\r\n\r\n') + '\r\n';
    const { entries: read1, rejected } = await read(text, { chunkSize: 333 });
    expect(rejected).toEqual([]);
    expect(read1).toHaveLength(entries.length);
    expect(read1[1]!.source).toBe('in:3');
  });

  it('unwraps Pub/Sub push bodies and CloudEvents, one per line or as an array', async () => {
    const perLine = [pushBody(entries[0], '1'), cloudEvent(entries[1], '2')].map((e) => JSON.stringify(e)).join('\n');
    const asArray = JSON.stringify([pushBody(entries[2], '3'), cloudEvent(entries[3], '4')], null, 2);
    const a = await read(perLine);
    const b = await read(asArray);
    expect(a.entries.map((e) => e.value.insertId)).toEqual([entries[0]!.insertId, entries[1]!.insertId]);
    expect(b.entries.map((e) => e.value.insertId)).toEqual([entries[2]!.insertId, entries[3]!.insertId]);
  });

  it('reads a stream of pretty-printed objects, even when one holds an empty object', async () => {
    const withEmpty = { ...entries[0], labels: [{}] };
    const text = `${JSON.stringify(withEmpty, null, 2)}\n${JSON.stringify(entries[1], null, 2)}\n`;
    expect(detectFormat(Buffer.from(text))).toBe('json-stream');
    const { entries: read1 } = await read(text);
    expect(read1.map((e) => e.value.insertId)).toEqual([entries[0]!.insertId, entries[1]!.insertId]);
    expect(read1[1]!.source).toBe(`in:${JSON.stringify(withEmpty, null, 2).split('\n').length + 1}`);
  });
});

describe('bad input is rejected with its location, and nothing valid is lost', () => {
  it('NDJSON: malformed lines, bad base64, non-objects, invalid UTF-8', async () => {
    const good = JSON.stringify(entries[0]);
    const input = Buffer.concat([
      Buffer.from(`${good}\n{"truncated": \n`),
      Buffer.from(`${JSON.stringify({ message: { data: '!!notbase64!!' } })}\n`),
      Buffer.from(`${JSON.stringify({ message: { data: Buffer.from('not json').toString('base64') } })}\n`),
      Buffer.from('[1,2,3]\n"a string"\n'),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
      Buffer.from(`${good}\n`),
    ]);
    const { entries: read1, rejected } = await read(input);
    expect(read1.map((e) => e.source)).toEqual(['in:1', 'in:8']);
    expect(rejected).toEqual([
      { source: 'in:2', reason: expect.stringMatching(/^invalid JSON/) },
      { source: 'in:3', reason: 'message.data is not valid base64' },
      { source: 'in:4', reason: expect.stringMatching(/^message.data is not JSON/) },
      { source: 'in:5', reason: 'expected a JSON object, got an array' },
      { source: 'in:6', reason: 'expected a JSON object, got string' },
      { source: 'in:7', reason: 'not valid UTF-8' },
    ]);
  });

  it('NDJSON whose first line is malformed but starts with { is still NDJSON: every valid line is kept', async () => {
    const text = `{"insertId": "cut-off", "jsonPayload": {\n${entries.slice(0, 3).map((e) => JSON.stringify(e)).join('\n')}\n`;
    expect(detectFormat(Buffer.from(text))).toBe('ndjson');
    const { entries: read1, rejected } = await read(text);
    expect(read1.map((e) => [e.source, e.value.insertId])).toEqual(entries.slice(0, 3).map((e, i) => [`in:${i + 2}`, e.insertId]));
    expect(rejected).toEqual([{ source: 'in:1', reason: expect.stringMatching(/^invalid JSON/) }]);
  });

  it('pretty-printed objects: a broken one is rejected and reading resumes at the next object', async () => {
    const pretty = (value: unknown) => JSON.stringify(value, null, 2);
    const broken = pretty(entries[1]).replace(/,\n {2}"jsonPayload"/, '\n  "jsonPayload"');
    const text = [pretty(entries[0]), broken, pretty(entries[2]), pretty(entries[3])].join('\n') + '\n';
    const { entries: read1, rejected } = await read(text, { chunkSize: 700 });
    expect(read1.map((e) => e.value.insertId)).toEqual([entries[0]!.insertId, entries[2]!.insertId, entries[3]!.insertId]);
    const brokenLine = pretty(entries[0]).split('\n').length + 1;
    const resumedLine = brokenLine + broken.split('\n').length;
    expect(rejected).toEqual([{ source: `in:${brokenLine}`, reason: expect.stringMatching(new RegExp(`^invalid JSON, reading resumed at line ${resumedLine}: `)) }]);
    expect(read1[1]!.source).toBe(`in:${resumedLine}`);
  });

  it('drops an oversized line as it streams by, keeping the lines around it', async () => {
    const good = JSON.stringify(entries[0]);
    const huge = `{"x":"${'a'.repeat(300_000)}"}`;
    const { entries: read1, rejected } = await read(`${good}\n${huge}\n${good}\n${huge}`, { maxEntryBytes: 100_000, chunkSize: 16 * 1024 });
    expect(read1.map((e) => e.source)).toEqual(['in:1', 'in:3']);
    expect(rejected).toEqual([
      { source: 'in:2', reason: 'entry is larger than 100000 bytes' },
      { source: 'in:4', reason: 'entry is larger than 100000 bytes' },
    ]);
  });

  it('JSON array: a broken element is rejected and the elements after it are still read, with their lines', async () => {
    const text = JSON.stringify(entries.slice(0, 5), null, 2).split('\n');
    const third = text.findIndex((line) => line === `    "insertId": "${entries[2]!.insertId}",`);
    text[third] = `    "insertId": "${entries[2]!.insertId}"`;
    const { entries: read1, rejected } = await read(text.join('\n'), { chunkSize: 512 });
    expect(read1.map((e) => e.value.insertId)).toEqual([0, 1, 3, 4].map((i) => entries[i]!.insertId));
    const lineOf = (i: number) => text.findIndex((line) => line.includes(`"insertId": "${entries[i]!.insertId}"`));
    expect(read1.map((e) => e.source)).toEqual([0, 1, 3, 4].map((i) => `in:${lineOf(i)}`));
    expect(rejected).toEqual([{ source: `in:${lineOf(2)}`, reason: expect.stringMatching(new RegExp(`^invalid JSON, reading resumed at line ${lineOf(3)}: `)) }]);
  });

  it('JSON array: keeps the elements before a syntax error and says where it stopped', async () => {
    const text = `[\n${JSON.stringify(entries[0])},\n${JSON.stringify(entries[1])},\n{"broken": }\n]`;
    const { entries: read1, rejected } = await read(text);
    expect(read1).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.source).toBe('in:4');
    expect(rejected[0]!.reason).toMatch(/^invalid JSON, rest of the input skipped/);
  });

  it('JSON array: rejects primitives and oversized elements individually', async () => {
    const text = JSON.stringify([entries[0], 42, { big: 'b'.repeat(5000) }, entries[1]], null, 1);
    const { entries: read1, rejected } = await read(text, { maxEntryBytes: 2000 });
    expect(read1.map((e) => e.value.insertId)).toEqual([entries[0]!.insertId, entries[1]!.insertId]);
    expect(rejected.map((r) => r.reason)).toEqual(['expected a JSON object, got number', 'entry is larger than 2000 bytes']);
  });

  it('survives deeply nested JSON without overflowing the stack', async () => {
    const depth = 100_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const { entries: read1, rejected } = await read(`${JSON.stringify(entries[0])}\n${nested}\n`, { maxEntryBytes: 10 * 1024 * 1024 });
    expect(read1).toHaveLength(1);
    expect(rejected).toHaveLength(1);
  });

  it('an empty input yields nothing', async () => {
    expect(await read('')).toEqual({ entries: [], rejected: [] });
  });
});
