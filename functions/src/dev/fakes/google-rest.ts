/**
 * A local stand-in for the read side of the Compute Engine v1 and Cloud DNS v1 REST APIs.
 *
 * kfguard calls these APIs with google-auth-library (`client.request({url})`) or a plain fetch, so the fake speaks
 * the same JSON the real APIs return: full-URL references, `kind`/`id`/`selfLink`, empty collections without
 * `items`, `nextPageToken` paging, and Google JSON error bodies. It is read-only (GET) because kfguard only reads.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenOnLoopback } from '../listen.js';

export interface ComputeState {
  firewalls?: Record<string, unknown>[];
  routes?: Record<string, unknown>[];
  routers?: Record<string, unknown>[];
  networks?: Record<string, unknown>[];
  subnetworks?: Record<string, unknown>[];
  /**
   * Firewall policies in force on the project's networks, as `firewallPolicies.get` and
   * `networkFirewallPolicies.get` return them: hierarchical ones (with `parent`, in the order of the
   * hierarchy, organization first), global network ones and regional ones (`region`), each network
   * one with `associations` naming the networks it is attached to.
   */
  firewallPolicies?: Record<string, unknown>[];
}

export interface DnsState {
  managedZones?: Record<string, unknown>[];
  /** Record sets by zone name. */
  recordSets?: Record<string, Record<string, unknown>[]>;
}

export interface RecordedGoogleRequest {
  method: string;
  /** Path and query string, as sent. */
  path: string;
  authorization?: string;
}

type Resource = Record<string, unknown>;
type ComputeCollection = Exclude<keyof ComputeState, 'firewallPolicies'>;
type ComputeStore = Record<ComputeCollection, Resource[]>;

interface DnsStore {
  zones: Resource[];
  recordSets: Map<string, Resource[]>;
}

interface CollectionSpec {
  regional: boolean;
  kind: string;
  defaults: Resource;
}

const COMPUTE_ROOT = 'https://www.googleapis.com/compute/v1/';
/** The real default and maximum for Compute `maxResults`. */
const COMPUTE_MAX_RESULTS = 500;
const DEFAULT_PAGE_SIZE = 500;
/** Fixed so fixtures and snapshots stay deterministic; the formats are the ones each API uses. */
const COMPUTE_CREATION_TIMESTAMP = '2024-01-02T03:04:05.000-08:00';
const DNS_CREATION_TIME = '2024-01-02T11:04:05.123Z';
/** Aggregated lists name every region, with a warning for the empty ones; these are real region names. */
const KNOWN_REGIONS = [
  'asia-east1', 'asia-northeast1', 'asia-south1', 'asia-southeast1', 'australia-southeast1', 'europe-north1', 'europe-west1',
  'europe-west2', 'europe-west3', 'europe-west4', 'northamerica-northeast1', 'southamerica-east1', 'us-central1', 'us-east1',
  'us-east4', 'us-west1', 'us-west2',
];

const DEFAULT_NETWORK = 'global/networks/default';
const COMPUTE_COLLECTIONS: Record<ComputeCollection, CollectionSpec> = {
  firewalls: { regional: false, kind: 'firewall', defaults: { network: DEFAULT_NETWORK, direction: 'INGRESS', priority: 1000, disabled: false, logConfig: { enable: false } } },
  routes: { regional: false, kind: 'route', defaults: { network: DEFAULT_NETWORK, priority: 1000 } },
  networks: { regional: false, kind: 'network', defaults: { routingConfig: { routingMode: 'REGIONAL' }, networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL' } },
  routers: { regional: true, kind: 'router', defaults: { network: DEFAULT_NETWORK } },
  subnetworks: { regional: true, kind: 'subnetwork', defaults: { network: DEFAULT_NETWORK, privateIpGoogleAccess: false, purpose: 'PRIVATE', stackType: 'IPV4_ONLY' } },
};
const COLLECTION_NAMES = Object.keys(COMPUTE_COLLECTIONS) as ComputeCollection[];

/** The API returns references as full URLs whatever form they were created with, so fixtures may use short forms. */
const REFERENCE_COLLECTIONS: Record<string, string> = {
  network: 'global/networks',
  nextHopNetwork: 'global/networks',
  nextHopGateway: 'global/gateways',
  region: 'regions',
};

/** Parameters every Google API accepts on any method. */
const SYSTEM_PARAMETERS = ['$.xgafv', '$alt', 'access_token', 'alt', 'callback', 'fields', 'key', 'prettyPrint', 'quotaUser', 'upload_protocol', 'uploadType', 'userIp'];
const COMPUTE_LIST_PARAMETERS = ['filter', 'maxResults', 'orderBy', 'pageToken', 'returnPartialSuccess'];
const COMPUTE_AGGREGATED_PARAMETERS = [...COMPUTE_LIST_PARAMETERS, 'includeAllScopes', 'serviceProjectNumber'];

const ERROR_STATUS: Record<number, { status: string; reason: string }> = {
  400: { status: 'INVALID_ARGUMENT', reason: 'invalid' },
  401: { status: 'UNAUTHENTICATED', reason: 'authError' },
  403: { status: 'PERMISSION_DENIED', reason: 'forbidden' },
  404: { status: 'NOT_FOUND', reason: 'notFound' },
  405: { status: 'UNIMPLEMENTED', reason: 'httpMethodNotAllowed' },
  409: { status: 'ALREADY_EXISTS', reason: 'alreadyExists' },
  412: { status: 'FAILED_PRECONDITION', reason: 'conditionNotMet' },
  429: { status: 'RESOURCE_EXHAUSTED', reason: 'rateLimitExceeded' },
  500: { status: 'INTERNAL', reason: 'backendError' },
  502: { status: 'UNAVAILABLE', reason: 'backendError' },
  503: { status: 'UNAVAILABLE', reason: 'backendError' },
  504: { status: 'DEADLINE_EXCEEDED', reason: 'backendError' },
};

class GoogleApiError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const notFound = (message: string): GoogleApiError => new GoogleApiError(404, message);
const invalidValue = (field: string, value: string, detail: string): GoogleApiError =>
  new GoogleApiError(400, `Invalid value for field '${field}': '${value}'. ${detail}`);

function errorBody(error: GoogleApiError): Resource {
  const { status, reason } = ERROR_STATUS[error.code] ?? { status: 'UNKNOWN', reason: 'unknown' };
  return { error: { code: error.code, message: error.message, errors: [{ message: error.message, domain: 'global', reason }], status } };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const lastSegment = (value: string): string => value.slice(value.lastIndexOf('/') + 1);

/** Stable uint64-looking ids, so the same fixture gets the same id on every run (the API returns them as strings). */
function numericId(seed: string): string {
  return BigInt(`0x${createHash('sha256').update(seed).digest('hex').slice(0, 16)}`).toString();
}

function requireString(resource: Resource, field: string, what: string): string {
  const value = resource[field];
  if (typeof value !== 'string' || value === '') throw new Error(`FakeGoogleRest: ${what} needs a string '${field}': ${JSON.stringify(resource)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Compute state

function expandReference(value: unknown, project: string, collectionPath: string): unknown {
  if (typeof value !== 'string' || /^https?:\/\//.test(value)) return value;
  if (value.startsWith('projects/')) return COMPUTE_ROOT + value;
  if (value.startsWith('global/') || value.startsWith('regions/')) return `${COMPUTE_ROOT}projects/${project}/${value}`;
  return `${COMPUTE_ROOT}projects/${project}/${collectionPath}/${value}`;
}

function normalizeComputeResource(project: string, collection: ComputeCollection, raw: Resource): Resource {
  const spec = COMPUTE_COLLECTIONS[collection];
  const name = requireString(raw, 'name', collection);
  const scopePath = spec.regional ? `regions/${lastSegment(requireString(raw, 'region', `regional ${collection}`))}` : 'global';
  const selfLink = `${COMPUTE_ROOT}projects/${project}/${scopePath}/${collection}/${name}`;
  const resource: Resource = structuredClone({
    kind: `compute#${spec.kind}`,
    id: numericId(selfLink),
    creationTimestamp: COMPUTE_CREATION_TIMESTAMP,
    ...spec.defaults,
    ...raw,
    selfLink,
  });
  for (const [field, collectionPath] of Object.entries(REFERENCE_COLLECTIONS)) {
    if (field in resource) resource[field] = expandReference(resource[field], project, collectionPath);
  }
  return resource;
}

const scopeKey = (resource: Resource): string => (typeof resource.region === 'string' ? `${lastSegment(resource.region)}/` : '');

function assertUniqueNames(collection: ComputeCollection, resources: readonly Resource[]): void {
  const seen = new Set<string>();
  for (const resource of resources) {
    const key = `${scopeKey(resource)}${String(resource.name)}`;
    if (seen.has(key)) throw new Error(`FakeGoogleRest: duplicate ${collection} '${key}'`);
    seen.add(key);
  }
}

/** Real networks list their subnetworks, so derive the list unless the fixture gives one. */
function linkSubnetworks(store: ComputeStore): void {
  for (const network of store.networks) {
    if ('subnetworks' in network) continue;
    const links = store.subnetworks.filter((subnet) => subnet.network === network.selfLink).map((subnet) => subnet.selfLink);
    if (links.length > 0) network.subnetworks = links;
  }
}

function regionsOf(store: ComputeStore): Set<string> {
  const regions = new Set(KNOWN_REGIONS);
  for (const collection of COLLECTION_NAMES) {
    for (const resource of store[collection]) if (typeof resource.region === 'string') regions.add(lastSegment(resource.region));
  }
  return regions;
}

// ---------------------------------------------------------------------------------------------------------------
// DNS state

function normalizeZone(project: string, raw: Resource): Resource {
  const name = requireString(raw, 'name', 'managed zone');
  const dnsName = requireString(raw, 'dnsName', 'managed zone');
  if (!dnsName.endsWith('.')) throw new Error(`FakeGoogleRest: dnsName '${dnsName}' must end with '.'`);
  const visibility = raw.visibility ?? 'public';
  const nameServers = visibility === 'private'
    ? ['ns-gcp-private.googledomains.com.']
    : ['a', 'b', 'c', 'd'].map((letter) => `ns-cloud-${letter}1.googledomains.com.`);
  return structuredClone({
    kind: 'dns#managedZone',
    id: numericId(`dns/${project}/${name}`),
    name,
    dnsName,
    description: '',
    nameServers,
    creationTime: DNS_CREATION_TIME,
    visibility,
    cloudLoggingConfig: { kind: 'dns#managedZoneCloudLoggingConfig' },
    ...raw,
  });
}

function normalizeRecordSet(zone: Resource, raw: Resource): Resource {
  const name = requireString(raw, 'name', 'record set');
  requireString(raw, 'type', 'record set');
  const zoneName = String(zone.dnsName);
  if (!name.endsWith('.')) throw new Error(`FakeGoogleRest: record set name '${name}' must be fully qualified (end with '.')`);
  if (name !== zoneName && !name.endsWith(`.${zoneName}`)) throw new Error(`FakeGoogleRest: record set '${name}' is outside zone '${zoneName}'`);
  return structuredClone({ kind: 'dns#resourceRecordSet', ttl: 300, rrdatas: [], ...raw });
}

/** Every real zone has NS and SOA records at its apex; code that reads record sets has to cope with them. */
function apexRecordSets(zone: Resource, given: readonly Resource[]): Resource[] {
  const dnsName = String(zone.dnsName);
  const nameServers = Array.isArray(zone.nameServers) ? zone.nameServers.map(String) : [];
  const has = (type: string): boolean => given.some((set) => set.name === dnsName && set.type === type);
  const apex: Resource[] = [];
  if (!has('NS')) apex.push({ kind: 'dns#resourceRecordSet', name: dnsName, type: 'NS', ttl: 21600, rrdatas: nameServers });
  if (!has('SOA')) {
    const soa = `${nameServers[0] ?? 'ns-gcp-private.googledomains.com.'} cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300`;
    apex.push({ kind: 'dns#resourceRecordSet', name: dnsName, type: 'SOA', ttl: 21600, rrdatas: [soa] });
  }
  return apex;
}

const byNameThenType = (a: Resource, b: Resource): number =>
  compareStrings(String(a.name), String(b.name)) || compareStrings(String(a.type), String(b.type));

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Query parameters: filter, ordering, paging

interface FilterTerm {
  field: string[];
  operator: '=' | '!=' | 'eq' | 'ne';
  value: string;
  /** Compiled once for `eq`/`ne`. */
  pattern?: RegExp;
}

interface FilterToken {
  type: 'open' | 'close' | 'operator' | 'quoted' | 'word';
  text: string;
}

const FILTER_TOKEN = /\s*(?:(\()|(\))|(!=|=)|"((?:[^"\\]|\\.)*)"|([^\s()"=!]+))/y;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function invalidFilter(filter: string): GoogleApiError {
  return invalidValue('filter', filter, 'Invalid list filter expression. (FakeGoogleRest supports conjunctions of `field = "v"`, `field != "v"`, `field eq regex` and `field ne regex`.)');
}

function tokenizeFilter(filter: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  FILTER_TOKEN.lastIndex = 0;
  while (FILTER_TOKEN.lastIndex < filter.length && filter.slice(FILTER_TOKEN.lastIndex).trim() !== '') {
    const match = FILTER_TOKEN.exec(filter);
    if (!match) throw invalidFilter(filter);
    if (match[1]) tokens.push({ type: 'open', text: '(' });
    else if (match[2]) tokens.push({ type: 'close', text: ')' });
    else if (match[3]) tokens.push({ type: 'operator', text: match[3] });
    else if (match[4] !== undefined) tokens.push({ type: 'quoted', text: match[4].replace(/\\(.)/g, '$1') });
    else tokens.push({ type: 'word', text: match[5] ?? '' });
  }
  return tokens;
}

function readTerm(tokens: readonly FilterToken[], start: number, filter: string): FilterTerm {
  const [field, operator, value] = [tokens[start], tokens[start + 1], tokens[start + 2]];
  if (field?.type !== 'word' || !FIELD_PATH.test(field.text)) throw invalidFilter(filter);
  const operatorText = operator?.type === 'operator' || (operator?.type === 'word' && /^(eq|ne)$/.test(operator.text)) ? operator.text : undefined;
  if (operatorText === undefined || (value?.type !== 'quoted' && value?.type !== 'word')) throw invalidFilter(filter);
  const term: FilterTerm = { field: field.text.split('.'), operator: operatorText as FilterTerm['operator'], value: value.text };
  if (term.operator === 'eq' || term.operator === 'ne') term.pattern = fullMatchPattern(term.value, filter);
  return term;
}

/** Compute filters: a conjunction of comparisons, each optionally parenthesized, optionally joined by AND. */
function parseFilter(filter: string): FilterTerm[] {
  const tokens = tokenizeFilter(filter);
  const terms: FilterTerm[] = [];
  let index = 0;
  while (index < tokens.length) {
    if (terms.length > 0 && tokens[index]?.type === 'word' && tokens[index]?.text === 'AND') {
      index += 1;
      if (index === tokens.length) throw invalidFilter(filter);
    }
    const parenthesized = tokens[index]?.type === 'open';
    if (parenthesized) index += 1;
    terms.push(readTerm(tokens, index, filter));
    index += 3;
    if (parenthesized) {
      if (tokens[index]?.type !== 'close') throw invalidFilter(filter);
      index += 1;
    }
  }
  if (terms.length === 0) throw invalidFilter(filter);
  return terms;
}

/** `eq`/`ne` take an RE2 pattern that must match the whole field value. */
function fullMatchPattern(pattern: string, filter: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    throw invalidFilter(filter);
  }
}

/** Scalars at a dotted path; repeated fields contribute each element, so a term matches if any element does. */
function fieldValues(value: unknown, path: readonly string[]): string[] {
  if (Array.isArray(value)) return value.flatMap((element) => fieldValues(element, path));
  const [head, ...tail] = path;
  if (head === undefined) return value === undefined || value === null || typeof value === 'object' ? [] : [String(value)];
  return isRecord(value) ? fieldValues(value[head], tail) : [];
}

function matchesTerm(resource: Resource, term: FilterTerm): boolean {
  const values = fieldValues(resource, term.field);
  switch (term.operator) {
    case '=':
      return values.includes(term.value);
    case '!=':
      return !values.includes(term.value);
    case 'eq':
      return values.some((value) => term.pattern?.test(value) === true);
    case 'ne':
      return !values.some((value) => term.pattern?.test(value) === true);
  }
}

function applyFilter(resources: readonly Resource[], filter: string | null): Resource[] {
  if (filter === null || filter.trim() === '') return [...resources];
  const terms = parseFilter(filter);
  return resources.filter((resource) => terms.every((term) => matchesTerm(resource, term)));
}

/** Compute sorts by name unless asked for newest first; those are the only two orders the API accepts. */
function applyOrder(resources: Resource[], orderBy: string | null): Resource[] {
  const byName = resources.sort((a, b) => compareStrings(String(a.name), String(b.name)));
  if (orderBy === null || orderBy.trim() === '' || orderBy.trim() === 'name') return byName;
  if (orderBy.trim() === 'creationTimestamp desc') return byName.sort((a, b) => compareStrings(String(b.creationTimestamp), String(a.creationTimestamp)));
  throw invalidValue('orderBy', orderBy, "Only 'name' and 'creationTimestamp desc' are supported.");
}

function assertKnownParameters(query: URLSearchParams, allowed: readonly string[]): void {
  for (const name of query.keys()) {
    if (allowed.includes(name) || SYSTEM_PARAMETERS.includes(name)) continue;
    throw new GoogleApiError(400, `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`);
  }
}

interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** A page token is only valid for the same query, as with the real API; it encodes the offset and the query. */
function pageQueryKey(path: string, query: URLSearchParams): string {
  return [path, ...[...query.entries()].filter(([name]) => name !== 'pageToken' && name !== 'maxResults').map(([name, value]) => `${name}=${value}`).sort()].join('&');
}

function readPageToken(token: string, queryKey: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(decoded) && decoded.query === queryKey && Number.isInteger(decoded.offset)) return Number(decoded.offset);
  } catch {
    // An undecodable token is reported below like any other invalid one.
  }
  throw invalidValue('pageToken', token, 'Invalid page token.');
}

function readMaxResults(value: string | null, limit: number | undefined): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw invalidValue('maxResults', value, 'Must be a non-negative integer.');
  const maxResults = Number(value);
  if (limit !== undefined && maxResults > limit) throw invalidValue('maxResults', value, `Must be less than or equal to ${limit}`);
  return maxResults === 0 ? undefined : maxResults;
}

function paginate<T>(items: readonly T[], query: URLSearchParams, path: string, serverPageSize: number, maxResultsLimit?: number): Page<T> {
  const size = Math.min(readMaxResults(query.get('maxResults'), maxResultsLimit) ?? serverPageSize, serverPageSize);
  const queryKey = pageQueryKey(path, query);
  const token = query.get('pageToken');
  const offset = token ? readPageToken(token, queryKey) : 0;
  const end = offset + size;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) page.nextPageToken = Buffer.from(JSON.stringify({ offset: end, query: queryKey })).toString('base64url');
  return page;
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

type ComputeRoute =
  | { action: 'list'; collection: ComputeCollection; region?: string }
  | { action: 'get'; collection: ComputeCollection; region?: string; name: string }
  | { action: 'aggregated'; collection: ComputeCollection };

function isCollection(value: string | undefined, regional: boolean): value is ComputeCollection {
  return value !== undefined && Object.hasOwn(COMPUTE_COLLECTIONS, value) && COMPUTE_COLLECTIONS[value as ComputeCollection].regional === regional;
}

interface EffectiveRoute {
  network: string;
  region?: string;
}

/** `global/networks/N/getEffectiveFirewalls`, or `regions/R/firewallPolicies/getEffectiveFirewalls?network=URL`. */
function matchEffectiveFirewalls(rest: readonly string[], query: URLSearchParams): EffectiveRoute | undefined {
  const [scope, first, second, third, ...extra] = rest;
  if (extra.length > 0) return undefined;
  if (scope === 'global' && first === 'networks' && second !== undefined && third === 'getEffectiveFirewalls') return { network: second };
  if (scope === 'regions' && first !== undefined && second === 'firewallPolicies' && third === 'getEffectiveFirewalls') {
    const network = query.get('network');
    if (!network) throw invalidValue('network', '', 'Required.');
    return { network: lastSegment(network), region: first };
  }
  return undefined;
}

function matchComputeRoute(rest: readonly string[]): ComputeRoute | undefined {
  const [scope, first, second, third, ...extra] = rest;
  if (extra.length > 0) return undefined;
  if (scope === 'global' && isCollection(first, false) && third === undefined) {
    return second === undefined ? { action: 'list', collection: first } : { action: 'get', collection: first, name: second };
  }
  if (scope === 'regions' && first !== undefined && isCollection(second, true)) {
    return third === undefined ? { action: 'list', collection: second, region: first } : { action: 'get', collection: second, region: first, name: third };
  }
  if (scope === 'aggregated' && isCollection(first, true) && second === undefined) return { action: 'aggregated', collection: first };
  return undefined;
}

interface RequestContext {
  path: string;
  query: URLSearchParams;
}

export class FakeGoogleRest {
  readonly requests: RecordedGoogleRequest[] = [];
  private readonly computeProjects = new Map<string, ComputeStore>();
  private readonly policies = new Map<string, Resource[]>();
  private readonly dnsProjects = new Map<string, DnsStore>();
  private readonly failures: { pathPart: string; status: number; remaining: number }[] = [];

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly pageSize: number,
  ) {
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.handle(request, response));
  }

  static async start(options: { pageSize?: number; port?: number } = {}): Promise<FakeGoogleRest> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error(`FakeGoogleRest: pageSize must be a positive integer, got ${pageSize}`);
    const server = createServer();
    const port = await listenOnLoopback(server, options.port, 'fake Compute and DNS APIs');
    return new FakeGoogleRest(server, `http://127.0.0.1:${port}`, pageSize);
  }

  /** Replaces the project's Compute resources; short references ('kf-net', 'projects/p/...') become full URLs. */
  setCompute(project: string, state: ComputeState): void {
    const store = {} as ComputeStore;
    for (const collection of COLLECTION_NAMES) {
      store[collection] = (state[collection] ?? []).map((raw) => normalizeComputeResource(project, collection, raw));
      assertUniqueNames(collection, store[collection]);
    }
    linkSubnetworks(store);
    this.computeProjects.set(project, store);
    this.policies.set(project, structuredClone(state.firewallPolicies ?? []));
  }

  /** Replaces the project's DNS zones and record sets; zones get NS and SOA apex records unless given. */
  setDns(project: string, state: DnsState): void {
    const zones = (state.managedZones ?? []).map((raw) => normalizeZone(project, raw));
    const recordSets = new Map<string, Resource[]>();
    for (const zone of zones) {
      const name = String(zone.name);
      if (recordSets.has(name)) throw new Error(`FakeGoogleRest: duplicate managed zone '${name}'`);
      const given = (state.recordSets?.[name] ?? []).map((raw) => normalizeRecordSet(zone, raw));
      recordSets.set(name, [...apexRecordSets(zone, given), ...given].sort(byNameThenType));
    }
    for (const zoneName of Object.keys(state.recordSets ?? {})) {
      if (!recordSets.has(zoneName)) throw new Error(`FakeGoogleRest: record sets for unknown zone '${zoneName}'`);
    }
    this.dnsProjects.set(project, { zones, recordSets });
  }

  /** Makes the next N requests whose path contains `pathPart` fail with an HTTP status (for fault tests). */
  failNext(pathPart: string, status: number, count = 1): void {
    if (status < 400 || status > 599) throw new Error(`FakeGoogleRest: failNext needs an error status, got ${status}`);
    this.failures.push({ pathPart, status, remaining: count });
  }

  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets from the client's agent would otherwise hold the process open.
      this.server.closeAllConnections();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const path = `${url.pathname}${url.search}`;
    const recorded: RecordedGoogleRequest = { method: request.method ?? 'GET', path };
    if (request.headers.authorization !== undefined) recorded.authorization = request.headers.authorization;
    this.requests.push(recorded);
    try {
      this.throwInjectedFailure(path);
      if (recorded.method !== 'GET') throw new GoogleApiError(405, `FakeGoogleRest serves only GET, not ${recorded.method} ${url.pathname}`);
      sendJson(response, 200, this.route(url));
    } catch (error) {
      const apiError = error instanceof GoogleApiError ? error : new GoogleApiError(500, `FakeGoogleRest: ${String(error)}`);
      sendJson(response, apiError.code, errorBody(apiError));
    }
  }

  private throwInjectedFailure(path: string): void {
    const failure = this.failures.find((candidate) => candidate.remaining > 0 && path.includes(candidate.pathPart));
    if (!failure) return;
    failure.remaining -= 1;
    const status = ERROR_STATUS[failure.status]?.status ?? 'UNKNOWN';
    throw new GoogleApiError(failure.status, `${status} (injected by FakeGoogleRest.failNext('${failure.pathPart}'))`);
  }

  private route(url: URL): Resource {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [api, version, projects, project, ...rest] = segments;
    const context: RequestContext = { path: url.pathname, query: url.searchParams };
    if (version === 'v1' && projects === 'projects' && project !== undefined) {
      if (api === 'compute') return this.serveCompute(project, rest, context);
      if (api === 'dns') return this.serveDns(project, rest, context);
    }
    throw notFound(`FakeGoogleRest does not serve GET ${url.pathname}`);
  }

  private serveCompute(project: string, rest: readonly string[], context: RequestContext): Resource {
    const store = this.computeProjects.get(project);
    if (!store) throw notFound(`The resource 'projects/${project}' was not found`);
    const effective = matchEffectiveFirewalls(rest, context.query);
    if (effective) return this.effectiveFirewalls(project, store, effective, context);
    const route = matchComputeRoute(rest);
    if (!route) throw notFound(`FakeGoogleRest does not serve GET ${context.path}`);
    if (route.action === 'aggregated') return this.aggregatedList(project, store, route.collection, context);
    if (route.region !== undefined && !regionsOf(store).has(route.region)) throw notFound(`The resource 'projects/${project}/regions/${route.region}' was not found`);
    const scopePath = route.region === undefined ? 'global' : `regions/${route.region}`;
    const inScope = store[route.collection].filter((resource) => route.region === undefined || scopeKey(resource) === `${route.region}/`);
    if (route.action === 'get') {
      assertKnownParameters(context.query, []);
      const found = inScope.find((resource) => resource.name === route.name);
      if (!found) throw notFound(`The resource 'projects/${project}/${scopePath}/${route.collection}/${route.name}' was not found`);
      return structuredClone(found);
    }
    assertKnownParameters(context.query, COMPUTE_LIST_PARAMETERS);
    const matching = applyOrder(applyFilter(inScope, context.query.get('filter')), context.query.get('orderBy'));
    const page = paginate(matching, context.query, context.path, this.pageSize, COMPUTE_MAX_RESULTS);
    const collectionPath = `projects/${project}/${scopePath}/${route.collection}`;
    return {
      kind: `compute#${COMPUTE_COLLECTIONS[route.collection].kind}List`,
      id: collectionPath,
      ...(page.items.length > 0 ? { items: structuredClone(page.items) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: COMPUTE_ROOT + collectionPath,
    };
  }

  /**
   * `networks.getEffectiveFirewalls` and `regionNetworkFirewallPolicies.getEffectiveFirewalls`:
   * the network's VPC rules and the policies in force on it, hierarchical first, as
   * `{firewalls, firewallPolicys}` (the API's spelling).
   */
  private effectiveFirewalls(project: string, store: ComputeStore, route: EffectiveRoute, context: RequestContext): Resource {
    assertKnownParameters(context.query, route.region ? ['network'] : []);
    const networkUrl = `${COMPUTE_ROOT}projects/${project}/global/networks/${route.network}`;
    if (!store.networks.some((network) => network.selfLink === networkUrl)) throw notFound(`The resource 'projects/${project}/global/networks/${route.network}' was not found`);
    const policies = this.policies.get(project) ?? [];
    const attached = (policy: Resource): boolean => Array.isArray(policy.associations) && policy.associations.some((association) => isRecord(association) && typeof association.attachmentTarget === 'string' && lastSegment(association.attachmentTarget) === route.network);
    const inForce = policies.filter((policy) => {
      if (typeof policy.parent === 'string') return true;
      if (typeof policy.region === 'string') return route.region !== undefined && lastSegment(policy.region) === route.region && attached(policy);
      return attached(policy);
    });
    const type = (policy: Resource): string => (typeof policy.parent === 'string' ? 'HIERARCHY' : typeof policy.region === 'string' ? 'NETWORK_REGIONAL' : 'NETWORK');
    const order = (policy: Resource): number => ['HIERARCHY', 'NETWORK', 'NETWORK_REGIONAL'].indexOf(type(policy));
    return {
      firewalls: structuredClone(store.firewalls.filter((rule) => rule.network === networkUrl)),
      firewallPolicys: [...inForce]
        .sort((a, b) => order(a) - order(b))
        .map((policy) => ({ name: policy.name, type: type(policy), ...(policy.shortName ? { shortName: policy.shortName, displayName: policy.shortName } : {}), rules: structuredClone(policy.rules ?? []) })),
    };
  }

  /** Pages over all regions' items together, then groups the page by region; regions without items get a warning. */
  private aggregatedList(project: string, store: ComputeStore, collection: ComputeCollection, context: RequestContext): Resource {
    assertKnownParameters(context.query, COMPUTE_AGGREGATED_PARAMETERS);
    const regions = [...regionsOf(store)].sort(compareStrings);
    const filtered = applyFilter(store[collection], context.query.get('filter'));
    const ordered = regions.flatMap((region) => applyOrder(filtered.filter((resource) => scopeKey(resource) === `${region}/`), context.query.get('orderBy')));
    const page = paginate(ordered, context.query, context.path, this.pageSize, COMPUTE_MAX_RESULTS);
    const items: Record<string, Resource> = {};
    for (const region of regions) {
      const scope = `regions/${region}`;
      const inRegion = page.items.filter((resource) => scopeKey(resource) === `${region}/`);
      items[scope] = inRegion.length > 0
        ? { [collection]: structuredClone(inRegion) }
        : { warning: { code: 'NO_RESULTS_ON_PAGE', message: `There are no results for scope '${scope}' on this page.`, data: [{ key: 'scope', value: scope }] } };
    }
    return {
      kind: `compute#${COMPUTE_COLLECTIONS[collection].kind}AggregatedList`,
      id: `projects/${project}/aggregated/${collection}`,
      items,
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: `${COMPUTE_ROOT}projects/${project}/aggregated/${collection}`,
    };
  }

  private serveDns(project: string, rest: readonly string[], context: RequestContext): Resource {
    const store = this.dnsProjects.get(project);
    if (!store) throw notFound(`The 'parameters.project' resource named '${project}' does not exist.`);
    const [collection, zoneName, subCollection, recordName, recordType, ...extra] = rest;
    if (collection !== 'managedZones' || extra.length > 0) throw notFound(`FakeGoogleRest does not serve GET ${context.path}`);
    if (zoneName === undefined) return this.listZones(store, context);
    const zone = store.zones.find((candidate) => candidate.name === zoneName || candidate.id === zoneName);
    if (!zone) throw notFound(`The 'parameters.managedZone' resource named '${zoneName}' does not exist.`);
    if (subCollection === undefined) {
      assertKnownParameters(context.query, ['clientOperationId']);
      return structuredClone(zone);
    }
    if (subCollection !== 'rrsets') throw notFound(`FakeGoogleRest does not serve GET ${context.path}`);
    const recordSets = store.recordSets.get(String(zone.name)) ?? [];
    if (recordName === undefined) return this.listRecordSets(recordSets, context);
    if (recordType === undefined) throw notFound(`FakeGoogleRest does not serve GET ${context.path}`);
    const found = recordSets.find((set) => set.name === recordName && set.type === recordType);
    if (!found) throw notFound(`The 'parameters.name' resource named '${recordName}' does not exist.`);
    assertKnownParameters(context.query, ['clientOperationId']);
    return structuredClone(found);
  }

  private listZones(store: DnsStore, context: RequestContext): Resource {
    assertKnownParameters(context.query, ['dnsName', 'maxResults', 'pageToken']);
    const dnsName = context.query.get('dnsName');
    const zones = store.zones.filter((zone) => !dnsName || zone.dnsName === dnsName);
    const page = paginate(zones, context.query, context.path, this.pageSize);
    return {
      kind: 'dns#managedZonesListResponse',
      ...(page.items.length > 0 ? { managedZones: structuredClone(page.items) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  private listRecordSets(recordSets: readonly Resource[], context: RequestContext): Resource {
    assertKnownParameters(context.query, ['name', 'type', 'maxResults', 'pageToken']);
    const name = context.query.get('name');
    const type = context.query.get('type');
    if (type && !name) throw new GoogleApiError(400, "Invalid value for 'parameters.name': '' (required when 'type' is set)");
    const matching = recordSets.filter((set) => (!name || set.name === name) && (!type || set.type === type));
    const page = paginate(matching, context.query, context.path, this.pageSize);
    return {
      kind: 'dns#resourceRecordSetsListResponse',
      ...(page.items.length > 0 ? { rrsets: structuredClone(page.items) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
