/**
 * A local stand-in for the read side of the Cloud Storage JSON API: object listings, object metadata and media
 * downloads. kfguard reads build artifacts with google-auth-library (`client.request({url})`) or fetch, so the
 * fake answers in the API's own JSON: `storage#object` resources with string sizes and generations, base64
 * md5Hash/crc32c, `prefixes` for delimiter listings, `nextPageToken` paging and Google JSON error bodies.
 * Buckets are implicit: one exists as soon as an object is put into it.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenOnLoopback } from '../listen.js';

export interface RecordedStorageRequest {
  method: string;
  /** Path and query string, as sent. */
  path: string;
}

interface StoredObject {
  bucket: string;
  name: string;
  content: Buffer;
  contentType: string;
  generation: string;
  updated: string;
  md5Hash: string;
  crc32c: string;
}

type ListEntry = { prefix: string } | { object: StoredObject };

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** The API's default and its ceiling for `maxResults`; larger values are capped, not rejected. */
const MAX_RESULTS = 1000;
/** Listing parameters that change the result and that this fake does not implement: better a 400 than a silently wrong answer. */
const UNSUPPORTED_LIST_PARAMETERS = ['matchGlob', 'includeTrailingDelimiter', 'includeFoldersAsPrefixes', 'softDeleted'];

class StorageApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const noSuchBucket = (): StorageApiError => new StorageApiError(404, 'The specified bucket does not exist.', 'notFound');
const noSuchObject = (bucket: string, name: string): StorageApiError => new StorageApiError(404, `No such object: ${bucket}/${name}`, 'notFound');
const invalidArgument = (message: string): StorageApiError => new StorageApiError(400, message, 'invalid');

/** GCS error bodies carry `errors[]` in the old JSON API style and no `status` field. */
function errorBody(error: StorageApiError): Record<string, unknown> {
  return { error: { code: error.code, message: error.message, errors: [{ message: error.message, domain: 'global', reason: error.reason }] } };
}

const CRC32C_TABLE = buildCrc32cTable();

/** Castagnoli polynomial, reflected; Node 20 has no built-in CRC32C. */
function buildCrc32cTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
}

/** As the API reports it: the big-endian 4-byte checksum, base64-encoded. */
function crc32cBase64(content: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of content) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  const digest = Buffer.alloc(4);
  digest.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return digest.toString('base64');
}

/** GCS orders names by their UTF-8 bytes, which differs from UTF-16 string order outside the BMP. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const entryKey = (entry: ListEntry): string => ('prefix' in entry ? entry.prefix : entry.object.name);

/**
 * Objects in name order, with those whose name continues past `prefix` through `delimiter` rolled up into one
 * prefix entry. Members of a prefix are contiguous in name order and sort after it, so entry keys stay
 * strictly increasing and the last key returned is a sound page token.
 */
function listEntries(objects: readonly StoredObject[], prefix: string, delimiter: string): ListEntry[] {
  const entries: ListEntry[] = [];
  for (const object of objects) {
    if (!object.name.startsWith(prefix)) continue;
    const cut = delimiter === '' ? -1 : object.name.indexOf(delimiter, prefix.length);
    if (cut === -1) {
      entries.push({ object });
      continue;
    }
    const rolledUp = object.name.slice(0, cut + delimiter.length);
    const last = entries.at(-1);
    if (last === undefined || entryKey(last) !== rolledUp) entries.push({ prefix: rolledUp });
  }
  return entries;
}

function readMaxResults(value: string | null): number {
  if (value === null || value === '') return MAX_RESULTS;
  if (!/^\d+$/.test(value) || Number(value) === 0) throw invalidArgument(`Invalid value for maxResults: ${value}`);
  return Math.min(Number(value), MAX_RESULTS);
}

/** Tokens hold the last key of the previous page, so a listing resumes correctly even if objects were added meanwhile. */
function readPageToken(token: string | null): string | undefined {
  if (token === null || token === '') return undefined;
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith('k:')) throw invalidArgument(`Invalid pageToken: ${token}`);
  return decoded.slice(2);
}

const pageToken = (lastKey: string): string => Buffer.from(`k:${lastKey}`, 'utf8').toString('base64url');

function assertSupportedListQuery(query: URLSearchParams): void {
  for (const name of UNSUPPORTED_LIST_PARAMETERS) {
    if (query.has(name)) throw invalidArgument(`FakeStorage does not implement the list parameter '${name}'`);
  }
  if (query.get('versions') === 'true') throw invalidArgument("FakeStorage keeps one generation per object and does not implement 'versions=true'");
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidArgument(`Malformed percent-encoding in '${segment}'`);
  }
}

type Route = { action: 'list'; bucket: string } | { action: 'object'; bucket: string; name: string };

/**
 * Object names arrive percent-encoded ("a%2Fb.json"), so the path is split before decoding; a raw "/" after
 * `/o/` is kept as part of the name.
 */
function matchRoute(pathname: string): Route | undefined {
  const match = /^(?:\/download)?\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(pathname);
  if (match === null) return undefined;
  const [, bucket = '', name] = match;
  if (name === undefined) return pathname.startsWith('/download/') ? undefined : { action: 'list', bucket: decodeSegment(bucket) };
  return { action: 'object', bucket: decodeSegment(bucket), name: decodeSegment(name) };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  response.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': payload.length });
  response.end(payload);
}

export class FakeStorage {
  readonly requests: RecordedStorageRequest[] = [];
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private lastGeneration = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.handle(request, response));
  }

  static async start(options: { port?: number } = {}): Promise<FakeStorage> {
    const server = createServer();
    const port = await listenOnLoopback(server, options.port, 'fake Cloud Storage');
    return new FakeStorage(server, `http://127.0.0.1:${port}`);
  }

  /** Creates or overwrites the object (with a new generation); creates the bucket if needed. */
  putObject(bucket: string, name: string, content: string | Buffer, contentType: string = DEFAULT_CONTENT_TYPE): void {
    if (bucket === '' || name === '') throw new Error(`FakeStorage: bucket and object name must be non-empty, got '${bucket}' / '${name}'`);
    const bytes = Buffer.from(content);
    const objects = this.buckets.get(bucket) ?? new Map<string, StoredObject>();
    this.buckets.set(bucket, objects);
    objects.set(name, {
      bucket,
      name,
      content: bytes,
      contentType,
      generation: this.nextGeneration(),
      updated: new Date().toISOString(),
      md5Hash: createHash('md5').update(bytes).digest('base64'),
      crc32c: crc32cBase64(bytes),
    });
  }

  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets from the client's agent would otherwise hold the process open.
      this.server.closeAllConnections();
    });
  }

  /** Real generations are microsecond timestamps; they must also grow strictly, even within one millisecond. */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now() * 1000);
    return String(this.lastGeneration);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: `${url.pathname}${url.search}` });
    try {
      if (method !== 'GET' && method !== 'HEAD') throw new StorageApiError(405, `FakeStorage serves only reads, not ${method} ${url.pathname}`, 'httpMethodNotAllowed');
      const route = matchRoute(url.pathname);
      if (route === undefined) throw new StorageApiError(404, `FakeStorage does not serve ${method} ${url.pathname}`, 'notFound');
      if (route.action === 'list') {
        sendJson(response, 200, this.list(route.bucket, url.searchParams));
        return;
      }
      const object = this.find(route.bucket, route.name, url.searchParams.get('generation'));
      if (url.searchParams.get('alt') === 'media') this.sendMedia(response, object);
      else sendJson(response, 200, this.resource(object));
    } catch (error) {
      const apiError = error instanceof StorageApiError ? error : new StorageApiError(500, `FakeStorage: ${String(error)}`, 'backendError');
      sendJson(response, apiError.code, errorBody(apiError));
    }
  }

  private objectsIn(bucket: string): Map<string, StoredObject> {
    const objects = this.buckets.get(bucket);
    if (objects === undefined) throw noSuchBucket();
    return objects;
  }

  private find(bucket: string, name: string, generation: string | null): StoredObject {
    const object = this.objectsIn(bucket).get(name);
    if (object === undefined || (generation !== null && generation !== object.generation)) throw noSuchObject(bucket, name);
    return object;
  }

  private list(bucket: string, query: URLSearchParams): Record<string, unknown> {
    assertSupportedListQuery(query);
    const startOffset = query.get('startOffset') ?? '';
    const endOffset = query.get('endOffset') ?? '';
    const inRange = [...this.objectsIn(bucket).values()]
      .filter((object) => compareNames(object.name, startOffset) >= 0 && (endOffset === '' || compareNames(object.name, endOffset) < 0))
      .sort((a, b) => compareNames(a.name, b.name));
    const after = readPageToken(query.get('pageToken'));
    const remaining = listEntries(inRange, query.get('prefix') ?? '', query.get('delimiter') ?? '').filter(
      (entry) => after === undefined || compareNames(entryKey(entry), after) > 0,
    );
    const maxResults = readMaxResults(query.get('maxResults'));
    const page = remaining.slice(0, maxResults);
    const last = page.at(-1);
    const prefixes = page.flatMap((entry) => ('prefix' in entry ? [entry.prefix] : []));
    const items = page.flatMap((entry) => ('object' in entry ? [this.resource(entry.object)] : []));
    // The API leaves out empty collections rather than sending [].
    return {
      kind: 'storage#objects',
      ...(remaining.length > maxResults && last !== undefined ? { nextPageToken: pageToken(entryKey(last)) } : {}),
      ...(prefixes.length > 0 ? { prefixes } : {}),
      ...(items.length > 0 ? { items } : {}),
    };
  }

  private resource(object: StoredObject): Record<string, unknown> {
    const path = `b/${encodeURIComponent(object.bucket)}/o/${encodeURIComponent(object.name)}`;
    return {
      kind: 'storage#object',
      id: `${object.bucket}/${object.name}/${object.generation}`,
      selfLink: `${this.baseUrl}/storage/v1/${path}`,
      mediaLink: `${this.baseUrl}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
      name: object.name,
      bucket: object.bucket,
      generation: object.generation,
      metageneration: '1',
      contentType: object.contentType,
      storageClass: 'STANDARD',
      size: String(object.content.length),
      md5Hash: object.md5Hash,
      crc32c: object.crc32c,
      etag: this.etag(object),
      timeCreated: object.updated,
      updated: object.updated,
      timeStorageClassUpdated: object.updated,
    };
  }

  private etag(object: StoredObject): string {
    return createHash('sha1').update(`${object.bucket}/${object.name}#${object.generation}`).digest('base64').slice(0, 16);
  }

  private sendMedia(response: ServerResponse, object: StoredObject): void {
    response.writeHead(200, {
      'Content-Type': object.contentType,
      'Content-Length': object.content.length,
      ETag: this.etag(object),
      'X-Goog-Generation': object.generation,
      'X-Goog-Metageneration': '1',
      'X-Goog-Hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'X-Goog-Stored-Content-Length': String(object.content.length),
      'X-Goog-Storage-Class': 'STANDARD',
    });
    response.end(object.content);
  }
}
