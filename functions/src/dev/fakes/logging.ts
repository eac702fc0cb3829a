/**
 * Fake Cloud Logging read API: google.logging.v2.LoggingServiceV2/ListLogEntries over gRPC, so the real
 * @google-cloud/logging client (Logging#getEntries) runs against it unchanged. The filter is evaluated
 * against the entries: a fake that ignored it would let wrong queries pass every test.
 *
 * Limitation: entries whose protoPayload type has no proto in the installed packages are not served.
 * That includes every audit log (type.googleapis.com/google.cloud.audit.AuditLog): google/cloud/audit/
 * audit_log.proto ships in none of the client packages, so the bytes of its google.protobuf.Any cannot be
 * produced. Such entries are stored, count for nothing and are left out of every response (a process
 * warning says so once per instance). Even the real service would not help here: the client hands
 * protoPayload back undecoded ({type_url, value: Buffer}), so reading audit logs through this client
 * needs the AuditLog proto on the reader's side as well.
 */
import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ProtoPackage, RpcError, UnknownAnyTypeError, compareInstants, isRecord, parseRfc3339, startFakeServer } from './grpc-protos.js';
import type { FakeServer, Instant, RecordedCall, UnaryHandler, WireMessage } from './grpc-protos.js';

const LOGGING_SERVICE = 'google.logging.v2.LoggingServiceV2';
const LOG_ENTRY = 'google.logging.v2.LogEntry';
/** From logging.proto: "Default is 50. If the value is negative or exceeds 1000, the request is rejected." */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

let loggingProtos: ProtoPackage | undefined;

function loadLoggingProtos(): ProtoPackage {
  // The protos ship in @google-cloud/logging-api, a dependency of @google-cloud/logging, not in the latter.
  return (loggingProtos ??= ProtoPackage.load({ packageName: '@google-cloud/logging-api', via: '@google-cloud/logging', file: 'google/logging/v2/logging.proto' }));
}

type LogEntryJson = Readonly<Record<string, unknown>>;
export type EntryPredicate = (entry: LogEntryJson) => boolean;

// ---------------------------------------------------------------------------------------------------
// Filter: the subset of the Logging query language that kfguard writes.
// ---------------------------------------------------------------------------------------------------

/** A filter outside the supported subset or not well formed; answered as INVALID_ARGUMENT. */
export class LogFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogFilterError';
  }
}

type ComparisonOp = '=' | ':' | '>' | '>=' | '<' | '<=';

interface WordToken {
  kind: 'word';
  text: string;
  at: number;
}

type Token =
  | { kind: 'open' | 'close'; at: number }
  | { kind: 'string'; text: string; at: number }
  | WordToken
  | { kind: 'op'; op: ComparisonOp; at: number };

const SUPPORTED_SUBSET =
  'supported: field = "value", field:"text", >, >=, <, <= on timestamp and receiveTimestamp, AND, OR, NOT, parentheses, bare "text"';

function unsupported(what: string, at: number): LogFilterError {
  return new LogFilterError(`Unsupported filter: ${what} at position ${at + 1} is not supported by the fake Cloud Logging (${SUPPORTED_SUBSET}).`);
}

function malformed(problem: string, at: number): LogFilterError {
  return new LogFilterError(`Invalid filter: ${problem} at position ${at + 1}.`);
}

/** Like the real language, only upper-case AND, OR and NOT are operators; "and" is a search term. */
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);
const WORD_CHAR = /[\p{L}\p{N}_./%@$+*-]/u;
const TIME_FIELDS = new Set(['timestamp', 'receiveTimestamp']);

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < filter.length) {
    const char = filter.charAt(at);
    if (/\s/.test(char)) {
      at += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close', at });
      at += 1;
    } else if (char === '"') {
      const { text, end } = readString(filter, at);
      tokens.push({ kind: 'string', text, at });
      at = end;
    } else if ('=:<>!'.includes(char)) {
      const op = readOperator(filter, at);
      tokens.push({ kind: 'op', op, at });
      at += op.length;
    } else if (char === '-') {
      throw unsupported('the "-" negation prefix (write NOT)', at);
    } else if (WORD_CHAR.test(char)) {
      const word = readWord(filter, at);
      tokens.push(word);
      at += word.text.length;
    } else {
      throw unsupported(`the character "${char}"`, at);
    }
  }
  return tokens;
}

function readString(filter: string, start: number): { text: string; end: number } {
  let text = '';
  for (let at = start + 1; at < filter.length; at += 1) {
    const char = filter.charAt(at);
    if (char === '"') return { text, end: at + 1 };
    if (char === '\\' && at + 1 < filter.length) {
      at += 1;
      text += filter.charAt(at);
    } else {
      text += char;
    }
  }
  throw malformed('unterminated string', start);
}

function readOperator(filter: string, at: number): ComparisonOp {
  const pair = filter.slice(at, at + 2);
  if (pair === '!=' || pair === '=~' || pair === '!~') throw unsupported(`the operator "${pair}"`, at);
  if (pair === '>=' || pair === '<=') return pair;
  const char = filter.charAt(at);
  if (char === '=' || char === ':' || char === '>' || char === '<') return char;
  throw unsupported(`"${char}"`, at);
}

function readWord(filter: string, start: number): WordToken {
  let end = start;
  while (end < filter.length && WORD_CHAR.test(filter.charAt(end))) end += 1;
  const text = filter.slice(start, end);
  if (filter.charAt(end) === '(') throw unsupported(`the function ${text}()`, start);
  if (filter.charAt(end) === '"' && text.endsWith('.')) throw unsupported(`the quoted field path segment after "${text}"`, end);
  if (text.includes('*')) throw unsupported(`the wildcard in "${text}"`, start);
  return { kind: 'word', text, at: start };
}

/**
 * Recursive descent over the grammar of the real language, where OR binds tighter than AND
 * ("a OR b AND c" is "(a OR b) AND c"). That matters here: getEntries appends
 * ` AND timestamp >= "<24h ago>"` to filters that lack "timestamp", and the appended clause must
 * restrict the whole filter.
 *   filter      = conjunction
 *   conjunction = disjunction { ["AND"] disjunction }     (adjacent terms are ANDed)
 *   disjunction = negation { "OR" negation }
 *   negation    = "NOT" negation | primary
 *   primary     = "(" conjunction ")" | field op value | text
 */
class FilterParser {
  private position = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly length: number,
  ) {}

  parse(): EntryPredicate {
    if (this.tokens.length === 0) return () => true;
    const predicate = this.conjunction();
    const extra = this.peek();
    if (extra !== undefined) throw malformed(`unexpected ${describe(extra)}`, extra.at);
    return predicate;
  }

  private conjunction(): EntryPredicate {
    const terms = [this.disjunction()];
    for (let next = this.peek(); next !== undefined && next.kind !== 'close'; next = this.peek()) {
      if (isKeyword(next, 'AND')) this.position += 1;
      terms.push(this.disjunction());
    }
    return terms.length === 1 ? terms[0]! : (entry) => terms.every((term) => term(entry));
  }

  private disjunction(): EntryPredicate {
    const terms = [this.negation()];
    while (isKeyword(this.peek(), 'OR')) {
      this.position += 1;
      terms.push(this.negation());
    }
    return terms.length === 1 ? terms[0]! : (entry) => terms.some((term) => term(entry));
  }

  private negation(): EntryPredicate {
    if (!isKeyword(this.peek(), 'NOT')) return this.primary();
    this.position += 1;
    const negated = this.negation();
    return (entry) => !negated(entry);
  }

  private primary(): EntryPredicate {
    const token = this.next();
    switch (token.kind) {
      case 'open': {
        const inner = this.conjunction();
        if (this.peek()?.kind !== 'close') throw malformed('missing ")" for this "("', token.at);
        this.position += 1;
        return inner;
      }
      case 'string':
        if (this.peek()?.kind === 'op') throw malformed('a comparison needs a field name on its left, not a string', token.at);
        return textSearch(token.text);
      case 'word':
        if (KEYWORDS.has(token.text)) throw malformed(`unexpected ${token.text}`, token.at);
        return this.peek()?.kind === 'op' ? this.comparison(token) : textSearch(token.text);
      default:
        throw malformed(`unexpected ${describe(token)}`, token.at);
    }
  }

  private comparison(field: WordToken): EntryPredicate {
    const op = this.next();
    const value = this.next();
    if (op.kind !== 'op') throw malformed(`expected an operator after ${field.text}`, op.at);
    if (value.kind === 'open') throw unsupported(`a parenthesized list of values after "${field.text} ${op.op}"`, value.at);
    if (value.kind !== 'string' && value.kind !== 'word') throw malformed(`expected a value after "${field.text} ${op.op}"`, value.at);
    return compileComparison(field, op.op, value.text, value.at);
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position];
    if (token === undefined) throw malformed('unexpected end of filter', this.length);
    this.position += 1;
    return token;
  }
}

function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.kind === 'word' && token.text === keyword;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'open':
      return '"("';
    case 'close':
      return '")"';
    case 'op':
      return `operator "${token.op}"`;
    default:
      return `"${token.text}"`;
  }
}

const ORDER_TESTS: Readonly<Record<Exclude<ComparisonOp, ':'>, (difference: number) => boolean>> = {
  '=': (difference) => difference === 0,
  '>': (difference) => difference > 0,
  '>=': (difference) => difference >= 0,
  '<': (difference) => difference < 0,
  '<=': (difference) => difference <= 0,
};

function compileComparison(field: WordToken, op: ComparisonOp, value: string, valueAt: number): EntryPredicate {
  const path = field.text.split('.');
  if (path.includes('')) throw malformed(`"${field.text}" is not a field path`, field.at);
  const isTimeField = TIME_FIELDS.has(field.text);
  if (op === ':') return (entry) => valuesAt(entry, path).some((found) => hasText(found, value));
  if (isTimeField) return timeComparison(field.text, op, filterInstant(value, valueAt));
  if (op !== '=') throw unsupported(`"${op}" on ${field.text} (only timestamp and receiveTimestamp can be ordered)`, field.at);
  return (entry) => valuesAt(entry, path).some((found) => equalsIgnoringCase(found, value));
}

function filterInstant(value: string, at: number): Instant {
  const instant = parseRfc3339(value);
  if (instant === undefined) throw malformed(`"${value}" is not an RFC 3339 timestamp`, at);
  return instant;
}

function timeComparison(field: string, op: Exclude<ComparisonOp, ':'>, bound: Instant): EntryPredicate {
  const test = ORDER_TESTS[op];
  return (entry) => {
    const instant = entryInstant(entry[field]);
    return instant !== undefined && test(compareInstants(instant, bound));
  };
}

function entryInstant(value: unknown): Instant | undefined {
  return typeof value === 'string' ? parseRfc3339(value) : undefined;
}

/** Values at a dotted path; repeated fields fan out, as in the real language. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item: unknown) => valuesAt(item, path));
  if (value === undefined) return [];
  const [head, ...rest] = path;
  if (head === undefined) return [value];
  return isRecord(value) ? valuesAt(value[head], rest) : [];
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

// String comparisons in the Logging query language are not case sensitive.
function equalsIgnoringCase(found: unknown, expected: string): boolean {
  return isScalar(found) && String(found).toLowerCase() === expected.toLowerCase();
}

/** The has operator: a substring of the value, or of any value nested under it. */
function hasText(found: unknown, needle: string): boolean {
  const lowered = needle.toLowerCase();
  return scalarsUnder(found).some((scalar) => String(scalar).toLowerCase().includes(lowered));
}

function scalarsUnder(value: unknown): (string | number | boolean)[] {
  if (isScalar(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(scalarsUnder);
  return isRecord(value) ? Object.values(value).flatMap(scalarsUnder) : [];
}

/** A bare term is a global restriction: some string field of the entry contains it. */
function textSearch(text: string): EntryPredicate {
  const lowered = text.toLowerCase();
  return (entry) => scalarsUnder(entry).some((scalar) => typeof scalar === 'string' && scalar.toLowerCase().includes(lowered));
}

/** Compiles a Cloud Logging filter of the supported subset into a predicate over LogEntry JSON. */
export function compileLogFilter(filter: string): EntryPredicate {
  return new FilterParser(tokenize(filter), filter.length).parse();
}

// ---------------------------------------------------------------------------------------------------
// Entries and ListLogEntries
// ---------------------------------------------------------------------------------------------------

interface StoredEntry {
  json: LogEntryJson;
  /** Absent when the entry cannot be encoded (protoPayload of a type without a proto). */
  wire: WireMessage | undefined;
  time: Instant | undefined;
  insertId: string;
  logName: string;
}

class LogEntryStore {
  private entries: StoredEntry[] = [];
  private warned = false;

  constructor(private readonly protos: ProtoPackage) {}

  replaceAll(entries: readonly Record<string, unknown>[]): void {
    this.entries = this.storeAll(entries);
  }

  add(entries: readonly Record<string, unknown>[]): void {
    this.entries.push(...this.storeAll(entries));
  }

  servable(): readonly StoredEntry[] {
    return this.entries.filter((entry) => entry.wire !== undefined);
  }

  private storeAll(entries: readonly Record<string, unknown>[]): StoredEntry[] {
    const stored = entries.map((entry, index) => this.store(entry, index));
    this.warnAboutUnservable(stored);
    return stored;
  }

  /** Encoding up front makes a bad fixture fail in setEntries() rather than in a later RPC. */
  private store(json: Record<string, unknown>, index: number): StoredEntry {
    const logName = json['logName'];
    if (typeof logName !== 'string') throw new Error(`fake Cloud Logging: entry ${index} has no logName, so no resourceNames query could find it`);
    const time = entryInstant(json['timestamp']) ?? entryInstant(json['receiveTimestamp']);
    const insertId = typeof json['insertId'] === 'string' ? json['insertId'] : '';
    return { json: structuredClone(json), wire: this.encode(json, index), time, insertId, logName };
  }

  private encode(json: Record<string, unknown>, index: number): WireMessage | undefined {
    try {
      return this.protos.toWire(LOG_ENTRY, json, `entries[${index}]`);
    } catch (error) {
      if (error instanceof UnknownAnyTypeError) return undefined;
      throw error;
    }
  }

  private warnAboutUnservable(stored: readonly StoredEntry[]): void {
    const unservable = stored.filter((entry) => entry.wire === undefined);
    if (this.warned || unservable.length === 0) return;
    this.warned = true;
    const types = [...new Set(unservable.map((entry) => protoPayloadType(entry.json)))].join(', ');
    process.emitWarning(
      `fake Cloud Logging leaves out ${unservable.length} entries with protoPayload of ${types}: that proto ships in none of the installed packages`,
      { code: 'KFGUARD_FAKE_LOGGING_PROTO_PAYLOAD' },
    );
  }
}

function protoPayloadType(entry: LogEntryJson): string {
  const payload = entry['protoPayload'];
  return isRecord(payload) && typeof payload['@type'] === 'string' ? payload['@type'] : 'an unknown type';
}

interface EntryQuery {
  resourceNames: string[];
  filter: string;
  descending: boolean;
  pageSize: number;
  pageToken: string;
}

function invalidArgument(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, message);
}

const RESOURCE_NAME = /^(?:projects|organizations|folders|billingAccounts)\/[^/]+$/;

function readQuery(request: WireMessage): EntryQuery {
  const resourceNames = Array.isArray(request['resourceNames']) ? request['resourceNames'].filter((name): name is string => typeof name === 'string') : [];
  if (resourceNames.length === 0) throw invalidArgument('resourceNames must name at least one resource, e.g. "projects/my-project".');
  const unsupportedName = resourceNames.find((name) => !RESOURCE_NAME.test(name));
  if (unsupportedName !== undefined) throw invalidArgument(`resourceNames "${unsupportedName}" is not supported by the fake Cloud Logging: use projects/P, organizations/O, folders/F or billingAccounts/B.`);
  return {
    resourceNames,
    filter: typeof request['filter'] === 'string' ? request['filter'] : '',
    descending: isDescending(typeof request['orderBy'] === 'string' ? request['orderBy'] : ''),
    pageSize: pageSize(request['pageSize']),
    pageToken: typeof request['pageToken'] === 'string' ? request['pageToken'] : '',
  };
}

function isDescending(orderBy: string): boolean {
  const match = /^\s*(?:timestamp(?:\s+(asc|desc))?)?\s*$/i.exec(orderBy);
  if (match === null) throw invalidArgument(`orderBy "${orderBy}" is not supported: use "timestamp asc" or "timestamp desc".`);
  return match[1]?.toLowerCase() === 'desc';
}

function pageSize(requested: unknown): number {
  const size = typeof requested === 'number' ? requested : 0;
  if (size < 0 || size > MAX_PAGE_SIZE) throw invalidArgument(`pageSize must be between 0 and ${MAX_PAGE_SIZE}, got ${size}.`);
  return size === 0 ? DEFAULT_PAGE_SIZE : size;
}

function compileQueryFilter(filter: string): EntryPredicate {
  try {
    return compileLogFilter(filter);
  } catch (error) {
    if (error instanceof LogFilterError) throw invalidArgument(error.message);
    throw error;
  }
}

/** Ties are broken by insertId, as the API documents. */
function byTime(descending: boolean): (a: StoredEntry, b: StoredEntry) => number {
  const direction = descending ? -1 : 1;
  const NEVER: Instant = { seconds: -Infinity, nanos: 0 };
  return (a, b) => direction * compareInstants(a.time ?? NEVER, b.time ?? NEVER) || a.insertId.localeCompare(b.insertId);
}

/** A page token only fits the query it came from; pageSize may change between pages. */
function queryFingerprint(query: EntryQuery): string {
  return createHash('sha256')
    .update(JSON.stringify([query.resourceNames, query.filter, query.descending]))
    .digest('base64url')
    .slice(0, 16);
}

function encodePageToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ offset, fingerprint })).toString('base64url');
}

function decodePageToken(token: string, fingerprint: string): number {
  if (token === '') return 0;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument(`Invalid page token "${token}".`);
  }
  if (!isRecord(decoded) || typeof decoded['offset'] !== 'number') throw invalidArgument(`Invalid page token "${token}".`);
  if (decoded['fingerprint'] !== fingerprint) throw invalidArgument('The page token belongs to another query: resourceNames, filter and orderBy must not change between pages.');
  return decoded['offset'];
}

function inResources(entry: StoredEntry, resourceNames: readonly string[]): boolean {
  return resourceNames.some((name) => entry.logName.startsWith(`${name}/logs/`));
}

function listLogEntries(store: LogEntryStore, faults: status[]): UnaryHandler {
  return (request) => {
    const fault = faults.shift();
    if (fault !== undefined) throw new RpcError(fault, 'fake Cloud Logging: injected failure');
    const query = readQuery(request);
    const matches = compileQueryFilter(query.filter);
    const fingerprint = queryFingerprint(query);
    const offset = decodePageToken(query.pageToken, fingerprint);
    const selected = store
      .servable()
      .filter((entry) => inResources(entry, query.resourceNames) && matches(entry.json))
      .sort(byTime(query.descending));
    const page = selected.slice(offset, offset + query.pageSize);
    const end = offset + page.length;
    return {
      entries: page.map((entry) => entry.wire),
      nextPageToken: end < selected.length ? encodePageToken(end, fingerprint) : '',
    };
  };
}

export class FakeLogging {
  readonly port: number;
  readonly calls: RecordedCall[];

  private constructor(
    private readonly store: LogEntryStore,
    private readonly faults: status[],
    private readonly server: FakeServer,
    calls: RecordedCall[],
  ) {
    this.port = server.port;
    this.calls = calls;
  }

  static async start(options: { port?: number } = {}): Promise<FakeLogging> {
    const protos = loadLoggingProtos();
    const store = new LogEntryStore(protos);
    const calls: RecordedCall[] = [];
    const faults: status[] = [];
    const server = await startFakeServer({
      label: 'fake Cloud Logging',
      port: options.port,
      service: protos.service(LOGGING_SERVICE),
      calls,
      handlers: { ListLogEntries: listLogEntries(store, faults) },
    });
    return new FakeLogging(store, faults, server, calls);
  }

  /**
   * LogEntry JSON objects as Cloud Logging exports them (jsonPayload, protoPayload as JSON, textPayload,
   * resource, timestamp...). Entries with a protoPayload whose proto is not installed (AuditLog) are not
   * served; see the module comment.
   */
  setEntries(entries: readonly Record<string, unknown>[]): void {
    this.store.replaceAll(entries);
  }

  addEntries(entries: readonly Record<string, unknown>[]): void {
    this.store.add(entries);
  }

  /**
   * Fails the next ListLogEntries calls with these gRPC statuses, one each, in order (for fault
   * tests). The client retries UNAVAILABLE, DEADLINE_EXCEEDED and INTERNAL by itself; a quota
   * error (RESOURCE_EXHAUSTED) reaches the caller at once.
   */
  failNext(...codes: status[]): void {
    this.faults.push(...codes);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
