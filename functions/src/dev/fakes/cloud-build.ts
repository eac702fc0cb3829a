/**
 * Fake Cloud Build: google.devtools.cloudbuild.v1.CloudBuild and google.longrunning.Operations on one gRPC port,
 * so the real CloudBuildClient (createBuild and its LRO, getBuild, listBuilds, cancelBuild) runs against it
 * unchanged. Steps cannot run here, so a behaviour function decides how each build ends; the build still goes
 * QUEUED → WORKING → outcome on timers, and each change is handed to `notify` as Cloud Build publishes it on
 * the cloud-builds Pub/Sub topic.
 */
import { createHash, randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { AnyDefinition, MessageTypeDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { ProtoPackage, RpcError, isRecord, protoIncludeDirs, startFakeServer } from './grpc-protos.js';
import type { FakeServer, ProtoSource, RecordedCall, UnaryHandler, WireMessage } from './grpc-protos.js';
import type { FakeStorage } from './storage.js';

export interface BuildOutcome {
  status: 'SUCCESS' | 'FAILURE' | 'TIMEOUT' | 'CANCELLED' | 'INTERNAL_ERROR';
  durationMs?: number;
  statusDetail?: string;
  /** Objects the build "uploads" to the fake storage, e.g. its artifacts; only a SUCCESS uploads them. */
  objects?: { bucket: string; name: string; content: string | Buffer }[];
}

/** Receives the Build as REST JSON (steps, tags, substitutions, options, timeout "600s"...). */
export type BuildBehaviour = (build: Record<string, unknown>) => BuildOutcome | 'never-finishes';

/** What Cloud Build publishes to the cloud-builds topic on every status change. */
export interface BuildNotification {
  /** The Build resource as JSON, as the REST API returns it. */
  data: Buffer;
  attributes: { buildId: string; status: string };
}

export interface FakeCloudBuildOptions {
  /** Without one, every build succeeds. */
  behaviour?: BuildBehaviour;
  /** Where a successful build's `objects` land. */
  storage?: FakeStorage;
  /** Called once per status change, in order; the next call waits for the previous one to settle. */
  notify?: (message: BuildNotification) => void | Promise<void>;
  port?: number;
}

type BuildJson = Record<string, unknown>;
type FinalStatus = BuildOutcome['status'];

const CLOUD_BUILD_PROTO: ProtoSource = { packageName: '@google-cloud/cloudbuild', file: 'google/devtools/cloudbuild/v1/cloudbuild.proto' };
const BUILD_TYPE = 'google.devtools.cloudbuild.v1.Build';
const BUILD_METADATA_TYPE = 'google.devtools.cloudbuild.v1.BuildOperationMetadata';
const OPERATION_TYPE = 'google.longrunning.Operation';
const typeUrl = (typeName: string): string => `type.googleapis.com/${typeName}`;

/** Long enough for a client to see QUEUED before WORKING, short enough for tests. */
const QUEUE_DELAY_MS = 10;
const DEFAULT_DURATION_MS = 50;
/** The API's defaults when the request leaves them out. */
const DEFAULT_TIMEOUT = '600s';
const DEFAULT_QUEUE_TTL = '3600s';
const DEFAULT_PAGE_SIZE = 50;
/** stop() waits this long at most for notifications already handed to `notify`. */
const NOTIFY_DRAIN_MS = 2_000;
/** setTimeout fires at once for anything above this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const BUILD_STATUSES = ['STATUS_UNKNOWN', 'PENDING', 'QUEUED', 'WORKING', 'SUCCESS', 'FAILURE', 'INTERNAL_ERROR', 'TIMEOUT', 'CANCELLED', 'EXPIRED'];
const FINAL_STATUSES: ReadonlySet<unknown> = new Set(['SUCCESS', 'FAILURE', 'INTERNAL_ERROR', 'TIMEOUT', 'CANCELLED', 'EXPIRED']);

/** The request may echo a Build it got earlier; the server owns these fields. */
const OUTPUT_ONLY_FIELDS = new Set([
  'name', 'id', 'projectId', 'status', 'statusDetail', 'results', 'createTime', 'startTime', 'finishTime', 'sourceProvenance',
  'buildTriggerId', 'logUrl', 'timing', 'approval', 'warnings', 'failureInfo',
]);

/**
 * How a finished, unsuccessful build's operation fails, which is what `operation.promise()` rejects with. The
 * FAILURE message is the one gcloud and the client libraries surface; the others are plausible stand-ins.
 */
const OPERATION_ERRORS: Readonly<Record<Exclude<FinalStatus, 'SUCCESS'>, { code: status; message: string }>> = {
  FAILURE: { code: status.UNKNOWN, message: 'Build failed; check build logs for details' },
  TIMEOUT: { code: status.DEADLINE_EXCEEDED, message: 'Build timed out' },
  CANCELLED: { code: status.CANCELLED, message: 'Build was cancelled' },
  INTERNAL_ERROR: { code: status.INTERNAL, message: 'Build failed due to an internal error' },
};

// ---------------------------------------------------------------------------------------------------------------
// Wire → proto3 JSON

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}

interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options: { mapEntry?: boolean } | null;
}

const MESSAGE_FORMAT = 'Protocol Buffer 3 DescriptorProto';

function isMessageDefinition(definition: AnyDefinition): definition is MessageTypeDefinition<object, object> {
  return 'format' in definition && definition.format === MESSAGE_FORMAT;
}

/** proto3 JSON writes 0, 3, 6 or 9 fractional digits. */
function fractionDigits(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  return `.${nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1_000 === 0 ? digits.slice(0, 6) : digits}`;
}

function timestampToJson(wire: unknown): unknown {
  if (!isRecord(wire)) return wire;
  const seconds = Number(wire['seconds'] ?? 0);
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fractionDigits(Number(wire['nanos'] ?? 0))}Z`;
}

function durationToJson(wire: unknown): unknown {
  if (!isRecord(wire)) return wire;
  const seconds = Number(wire['seconds'] ?? 0);
  const nanos = Number(wire['nanos'] ?? 0);
  const sign = seconds < 0 || nanos < 0 ? '-' : '';
  return `${sign}${Math.abs(seconds)}${fractionDigits(Math.abs(nanos))}s`;
}

const WELL_KNOWN_TO_JSON: Readonly<Record<string, (wire: unknown) => unknown>> = {
  'google.protobuf.Timestamp': timestampToJson,
  'google.protobuf.Duration': durationToJson,
};

/**
 * The reverse of ProtoPackage.toWire, which the shared helper lacks: turns what proto-loader decoded from a
 * request into proto3 JSON (RFC 3339 timestamps, "600s" durations, base64 bytes). Builds are kept in that
 * form because it is what the REST API returns, what the Pub/Sub notification carries and what behaviours
 * are written against. Oneof discriminators and proto3-optional markers are not fields, so they drop out.
 */
class WireToJson {
  private readonly messages = new Map<string, MessageDescriptor>();

  constructor(definition: PackageDefinition) {
    for (const [fullName, entry] of Object.entries(definition)) {
      if (isMessageDefinition(entry)) this.index(fullName, entry.type as MessageDescriptor);
    }
  }

  message(typeName: string, wire: unknown): unknown {
    const wellKnown = WELL_KNOWN_TO_JSON[typeName];
    if (wellKnown !== undefined) return wellKnown(wire);
    const descriptor = this.messages.get(typeName);
    if (descriptor === undefined) throw new Error(`${typeName} is not a message in the loaded protos`);
    if (!isRecord(wire)) return wire;
    const json: Record<string, unknown> = {};
    for (const field of descriptor.field) {
      const value = wire[field.name];
      if (value !== undefined && value !== null) json[field.name] = this.field(typeName, descriptor, field, value);
    }
    return json;
  }

  private index(fullName: string, descriptor: MessageDescriptor): void {
    this.messages.set(fullName, descriptor);
    for (const nested of descriptor.nestedType) this.index(`${fullName}.${nested.name}`, nested);
  }

  private field(scope: string, message: MessageDescriptor, field: FieldDescriptor, value: unknown): unknown {
    // proto-loader describes a map as a repeated synthetic "<Field>Entry" nested in the message.
    const mapEntry = message.nestedType.find((nested) => nested.name === field.typeName && nested.options?.mapEntry === true);
    const mapValue = mapEntry?.field.find((entryField) => entryField.name === 'value');
    if (mapEntry !== undefined && mapValue !== undefined && isRecord(value)) {
      const entryScope = `${scope}.${mapEntry.name}`;
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.value(entryScope, mapValue, item)]));
    }
    if (field.label === 'LABEL_REPEATED' && Array.isArray(value)) return value.map((item) => this.value(scope, field, item));
    return this.value(scope, field, value);
  }

  private value(scope: string, field: FieldDescriptor, value: unknown): unknown {
    if (field.type === 'TYPE_BYTES') return Buffer.isBuffer(value) ? value.toString('base64') : value;
    if (field.type === 'TYPE_MESSAGE') return this.message(this.resolveType(scope, field.typeName), value);
    return value;
  }

  /** Descriptors name types relative to the referring scope ("protobuf.Timestamp"), so search outwards like protoc. */
  private resolveType(scope: string, relativeName: string): string {
    if (relativeName.startsWith('.')) return relativeName.slice(1);
    const parts = scope.split('.');
    for (let depth = parts.length; depth >= 0; depth--) {
      const candidate = [...parts.slice(0, depth), relativeName].join('.');
      if (this.messages.has(candidate) || candidate in WELL_KNOWN_TO_JSON) return candidate;
    }
    throw new Error(`cannot resolve type ${relativeName} from ${scope}`);
  }
}

interface CloudBuildProtos {
  wire: ProtoPackage;
  json: WireToJson;
  service: ServiceDefinition;
}

let cloudBuildProtos: CloudBuildProtos | undefined;

/**
 * Parsing cloudbuild.proto takes a while; every instance shares the result. It is parsed twice because
 * ProtoPackage keeps its descriptors private and the JSON direction needs them.
 */
function loadCloudBuildProtos(): CloudBuildProtos {
  if (cloudBuildProtos !== undefined) return cloudBuildProtos;
  const wire = ProtoPackage.load(CLOUD_BUILD_PROTO);
  const definition = protoLoader.loadSync(CLOUD_BUILD_PROTO.file, { keepCase: false, includeDirs: protoIncludeDirs(CLOUD_BUILD_PROTO) });
  // grpc-js routes each method by its own path (/google.longrunning.Operations/GetOperation), so one merged
  // definition serves both services on one port, where the client polls the LRO.
  const service = { ...wire.service('google.devtools.cloudbuild.v1.CloudBuild'), ...wire.service('google.longrunning.Operations') };
  return (cloudBuildProtos = { wire, json: new WireToJson(definition), service });
}

// ---------------------------------------------------------------------------------------------------------------
// Build resources

interface TrackedBuild {
  readonly id: string;
  readonly project: string;
  readonly location: string;
  readonly operationName: string;
  /** Creation order; breaks createTime ties when listing newest first. */
  readonly sequence: number;
  /** REST JSON, updated in place as the status changes. */
  readonly json: BuildJson;
  timer?: NodeJS.Timeout;
}

interface Scope {
  project: string;
  location: string;
}

const nowRfc3339 = (): string => new Date().toISOString();

function durationMs(json: unknown): number | undefined {
  const match = typeof json === 'string' ? /^(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (match === null) return undefined;
  const [, seconds = '0', fraction = ''] = match;
  return Number(seconds) * 1000 + Number(fraction.padEnd(9, '0')) / 1e6;
}

function logUrl({ project, location }: Scope, id: string): string {
  const region = location === 'global' ? '' : `;region=${location}`;
  return `https://console.cloud.google.com/cloud-build/builds${region}/${id}?project=${project}`;
}

/** The shapes real operation names take: global builds encode the build id, regional ones are opaque. */
function operationName({ project, location }: Scope, id: string): string {
  if (location === 'global') return `operations/build/${project}/${Buffer.from(id).toString('base64url')}`;
  return `projects/${project}/locations/${location}/operations/${randomUUID()}`;
}

function invalidArgument(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, message);
}

function assertBuildable(build: BuildJson): void {
  const steps = build['steps'];
  if (!Array.isArray(steps) || steps.length === 0) throw invalidArgument('invalid build: a build needs at least one step');
  steps.forEach((step, index) => {
    if (!isRecord(step) || typeof step['name'] !== 'string' || step['name'] === '') throw invalidArgument(`invalid build: step ${index} has no name`);
  });
}

function newBuildJson(requested: BuildJson, scope: Scope, id: string): BuildJson {
  const given = Object.fromEntries(Object.entries(requested).filter(([key]) => !OUTPUT_ONLY_FIELDS.has(key)));
  return {
    name: `projects/${scope.project}/locations/${scope.location}/builds/${id}`,
    id,
    projectId: scope.project,
    status: 'QUEUED',
    ...given,
    createTime: nowRfc3339(),
    timeout: given['timeout'] ?? DEFAULT_TIMEOUT,
    queueTtl: given['queueTtl'] ?? DEFAULT_QUEUE_TTL,
    logUrl: logUrl(scope, id),
  };
}

function stepsOf(build: BuildJson): BuildJson[] {
  const steps = build['steps'];
  return Array.isArray(steps) ? steps.filter(isRecord) : [];
}

/** The wording Cloud Build uses when a step exits non-zero. */
function stepFailureDetail(steps: readonly BuildJson[]): string {
  const index = Math.max(steps.length - 1, 0);
  return `Build step failure: build step ${index} "${String(steps[index]?.['name'] ?? '')}" failed: step exited with non-zero status: 1`;
}

/**
 * Steps share the run time evenly. The build's status is pinned on the last step (the one that failed, was
 * cancelled or timed out); the ones before it succeeded.
 */
function finishedSteps(steps: readonly BuildJson[], finalStatus: FinalStatus, startTime: string, finishTime: string): BuildJson[] {
  const start = Date.parse(startTime);
  const slice = (Date.parse(finishTime) - start) / Math.max(steps.length, 1);
  const at = (offset: number): string => new Date(start + Math.round(offset * slice)).toISOString();
  return steps.map((step, index) => {
    const stepStatus = index === steps.length - 1 ? finalStatus : 'SUCCESS';
    return {
      ...step,
      timing: { startTime: at(index), endTime: at(index + 1) },
      status: stepStatus,
      ...(stepStatus === 'FAILURE' ? { exitCode: 1 } : {}),
    };
  });
}

function successResults(steps: readonly BuildJson[], uploaded: number): BuildJson {
  return {
    buildStepImages: steps.map((step) => `sha256:${createHash('sha256').update(String(step['name'])).digest('hex')}`),
    buildStepOutputs: steps.map(() => ''),
    ...(uploaded > 0 ? { numArtifacts: String(uploaded) } : {}),
  };
}

/** Fields that change when a build ends. A build cancelled while QUEUED never started, so it has no timings. */
function finishedFields(build: BuildJson, outcome: BuildOutcome, uploaded: number): BuildJson {
  const finishTime = nowRfc3339();
  const startTime = build['startTime'];
  const steps = stepsOf(build);
  const statusDetail = outcome.statusDetail ?? (outcome.status === 'FAILURE' ? stepFailureDetail(steps) : undefined);
  return {
    status: outcome.status,
    finishTime,
    ...(statusDetail !== undefined ? { statusDetail } : {}),
    ...(typeof startTime === 'string'
      ? { steps: finishedSteps(steps, outcome.status, startTime, finishTime), timing: { BUILD: { startTime, endTime: finishTime } } }
      : {}),
    ...(outcome.status === 'SUCCESS' ? { results: successResults(steps, uploaded) } : {}),
    ...(outcome.status === 'FAILURE' ? { failureInfo: { type: 'USER_BUILD_STEP', detail: statusDetail } } : {}),
  };
}

function operationJson(build: TrackedBuild): Record<string, unknown> {
  const buildStatus = build.json['status'];
  const done = FINAL_STATUSES.has(buildStatus);
  const operation = { name: build.operationName, metadata: { '@type': typeUrl(BUILD_METADATA_TYPE), build: build.json }, done };
  if (!done) return operation;
  if (buildStatus === 'SUCCESS') return { ...operation, response: { '@type': typeUrl(BUILD_TYPE), ...build.json } };
  const error = OPERATION_ERRORS[buildStatus as Exclude<FinalStatus, 'SUCCESS'>] ?? OPERATION_ERRORS.INTERNAL_ERROR;
  return { ...operation, error: { code: error.code, message: error.message } };
}

const succeedAlways: BuildBehaviour = () => ({ status: 'SUCCESS' });

/** The builds and their lifecycle: timers move them along, and each status change is published. */
class BuildLedger {
  private readonly tracked = new Map<string, TrackedBuild>();
  private readonly byOperation = new Map<string, TrackedBuild>();
  private delivery: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Set to play a service that ignores list filter terms: kfguard must not trust a filter it cannot confirm. */
  listFiltersIgnored = false;

  constructor(
    private behaviour: BuildBehaviour,
    private readonly storage: FakeStorage | undefined,
    private readonly notify: FakeCloudBuildOptions['notify'],
  ) {}

  setBehaviour(behaviour: BuildBehaviour): void {
    this.behaviour = behaviour;
  }

  create(scope: Scope, requested: BuildJson): TrackedBuild {
    const id = randomUUID();
    const build: TrackedBuild = { id, ...scope, operationName: operationName(scope, id), sequence: this.tracked.size, json: newBuildJson(requested, scope, id) };
    this.tracked.set(id, build);
    this.byOperation.set(build.operationName, build);
    this.publish(build);
    this.schedule(build, QUEUE_DELAY_MS, () => this.start(build));
    return build;
  }

  find(scope: Scope, id: string): TrackedBuild {
    const build = this.tracked.get(id);
    if (build !== undefined && build.project === scope.project && build.location === scope.location) return build;
    // A regional build asked for without its location is the usual mistake; say so rather than only "not found".
    const hint = build !== undefined && build.project === scope.project ? ` (fake Cloud Build: it is in location ${build.location}; pass name ${String(build.json['name'])})` : '';
    throw new RpcError(status.NOT_FOUND, `Requested entity was not found.${hint}`);
  }

  findOperation(name: string): TrackedBuild {
    const build = this.byOperation.get(name);
    if (build === undefined) throw new RpcError(status.NOT_FOUND, `Operation ${name} not found.`);
    return build;
  }

  /** Newest first, as the API lists them. */
  list(scope: Scope): TrackedBuild[] {
    return [...this.tracked.values()].filter((build) => build.project === scope.project && build.location === scope.location).sort((a, b) => b.sequence - a.sequence);
  }

  all(): BuildJson[] {
    return [...this.tracked.values()].map((build) => structuredClone(build.json));
  }

  cancel(build: TrackedBuild): void {
    const current = build.json['status'];
    if (FINAL_STATUSES.has(current)) {
      throw new RpcError(status.FAILED_PRECONDITION, `Build ${build.id} already finished with status ${String(current)}; only QUEUED or WORKING builds can be cancelled.`);
    }
    this.finish(build, { status: 'CANCELLED' });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const build of this.tracked.values()) clearTimeout(build.timer);
    let drainTimer: NodeJS.Timeout | undefined;
    const drained = new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, NOTIFY_DRAIN_MS);
      drainTimer.unref();
    });
    await Promise.race([this.delivery, drained]);
    clearTimeout(drainTimer);
  }

  private start(build: TrackedBuild): void {
    build.json['status'] = 'WORKING';
    build.json['startTime'] = nowRfc3339();
    this.publish(build);
    const plan = this.decide(build);
    const timeoutMs = durationMs(build.json['timeout']) ?? MAX_TIMER_MS;
    // A build that would outlive its timeout is stopped by Cloud Build at the timeout.
    if (plan === 'never-finishes' || (plan.durationMs ?? DEFAULT_DURATION_MS) > timeoutMs) {
      this.schedule(build, timeoutMs, () => this.finish(build, { status: 'TIMEOUT' }));
    } else {
      this.schedule(build, plan.durationMs ?? DEFAULT_DURATION_MS, () => this.finish(build, plan));
    }
  }

  /** A throwing behaviour must not crash the timer that runs it; the build ends the way broken infrastructure ends it. */
  private decide(build: TrackedBuild): BuildOutcome | 'never-finishes' {
    try {
      return this.behaviour(structuredClone(build.json));
    } catch (error) {
      return { status: 'INTERNAL_ERROR', durationMs: 0, statusDetail: `fake Cloud Build: the behaviour threw: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private finish(build: TrackedBuild, outcome: BuildOutcome): void {
    clearTimeout(build.timer);
    build.timer = undefined;
    const uploadError = outcome.status === 'SUCCESS' ? this.upload(outcome.objects ?? []) : undefined;
    const final: BuildOutcome = uploadError === undefined ? outcome : { status: 'INTERNAL_ERROR', statusDetail: `fake Cloud Build: uploading artifacts failed: ${uploadError}` };
    const uploaded = final.status === 'SUCCESS' ? (outcome.objects?.length ?? 0) : 0;
    Object.assign(build.json, finishedFields(build.json, final, uploaded));
    this.publish(build);
  }

  /** Real builds upload artifacts before they report SUCCESS, so a notified subscriber can already read them. */
  private upload(objects: NonNullable<BuildOutcome['objects']>): string | undefined {
    if (objects.length === 0) return undefined;
    if (this.storage === undefined) return 'the outcome has objects but FakeCloudBuild was started without storage';
    try {
      for (const object of objects) this.storage.putObject(object.bucket, object.name, object.content);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private schedule(build: TrackedBuild, delayMs: number, action: () => void): void {
    clearTimeout(build.timer);
    if (this.stopped) return;
    build.timer = setTimeout(action, Math.min(Math.max(delayMs, 0), MAX_TIMER_MS));
    build.timer.unref();
  }

  /** The payload is taken now: the build keeps changing while earlier notifications are still being delivered. */
  private publish(build: TrackedBuild): void {
    const notify = this.notify;
    if (notify === undefined || this.stopped) return;
    const message: BuildNotification = { data: Buffer.from(JSON.stringify(build.json)), attributes: { buildId: build.id, status: String(build.json['status']) } };
    this.delivery = this.delivery
      .then(() => notify(message))
      .catch((error: unknown) => console.error(`fake Cloud Build: notify failed for build ${build.id} (${message.attributes.status}):`, error));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RPCs

function stringField(request: WireMessage, field: string): string {
  const value = request[field];
  return typeof value === 'string' ? value : '';
}

/** `parent` (projects/P/locations/L) wins; `projectId` alone means the global location. */
function requestedScope(request: WireMessage): Scope {
  const parent = stringField(request, 'parent');
  if (parent !== '') {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (match === null) throw invalidArgument(`Invalid parent "${parent}": expected projects/*/locations/*.`);
    const [, project = '', location = ''] = match;
    return { project, location };
  }
  const project = stringField(request, 'projectId');
  if (project === '') throw invalidArgument('Either parent (projects/*/locations/*) or projectId must be set.');
  return { project, location: 'global' };
}

/** `name` (projects/P/locations/L/builds/ID), or projectId and id for a global build. */
function requestedBuild(request: WireMessage): { scope: Scope; id: string } {
  const name = stringField(request, 'name');
  if (name !== '') {
    const match = /^projects\/([^/]+)\/(?:locations\/([^/]+)\/)?builds\/([^/]+)$/.exec(name);
    if (match === null) throw invalidArgument(`Invalid build name "${name}": expected projects/*/locations/*/builds/*.`);
    const [, project = '', location = 'global', id = ''] = match;
    return { scope: { project, location }, id };
  }
  const project = stringField(request, 'projectId');
  const id = stringField(request, 'id');
  if (project === '' || id === '') throw invalidArgument('Either name (projects/*/locations/*/builds/*) or projectId and id must be set.');
  return { scope: { project, location: 'global' }, id };
}

type BuildPredicate = (build: BuildJson) => boolean;

const FILTER_TERM = /^(tags|status)\s*=\s*(?:"([^"]*)"|([\w.-]+))$/;

function unsupportedFilter(filter: string): RpcError {
  return invalidArgument(`Invalid filter "${filter}": fake Cloud Build supports only tags="x" and status="y" equality terms joined by AND.`);
}

function parseFilterTerm(term: string, filter: string): BuildPredicate {
  const match = FILTER_TERM.exec(term.trim());
  if (match === null) throw unsupportedFilter(filter);
  const [, field, quoted, bare] = match;
  const value = quoted ?? bare ?? '';
  if (field === 'tags') return (build) => Array.isArray(build['tags']) && build['tags'].includes(value);
  if (!BUILD_STATUSES.includes(value)) throw invalidArgument(`Invalid filter "${filter}": unknown build status "${value}".`);
  return (build) => build['status'] === value;
}

function parseBuildFilter(filter: string): BuildPredicate[] {
  if (filter.trim() === '') return [];
  return filter.trim().split(/\s+AND\s+/).map((term) => parseFilterTerm(term, filter));
}

/** A token is valid only for the listing that issued it, like the real API's. */
function listingKey(scope: Scope, filter: string): string {
  return `${scope.project}/${scope.location}?${filter}`;
}

function readPageToken(token: string, key: string): number {
  if (token === '') return 0;
  const [offset, tokenKey] = Buffer.from(token, 'base64url').toString('utf8').split('\n');
  if (tokenKey !== key || offset === undefined || !/^\d+$/.test(offset)) throw invalidArgument(`Invalid page token "${token}".`);
  return Number(offset);
}

const pageToken = (offset: number, key: string): string => Buffer.from(`${offset}\n${key}`, 'utf8').toString('base64url');

function listBuildsPage(ledger: BuildLedger, request: WireMessage): { builds: TrackedBuild[]; nextPageToken?: string } {
  const scope = requestedScope(request);
  const filter = stringField(request, 'filter');
  const predicates = ledger.listFiltersIgnored ? [] : parseBuildFilter(filter);
  const matching = ledger.list(scope).filter((build) => predicates.every((predicate) => predicate(build.json)));
  const key = listingKey(scope, filter);
  const offset = readPageToken(stringField(request, 'pageToken'), key);
  const requestedSize = Number(request['pageSize'] ?? 0);
  const end = offset + (requestedSize > 0 ? requestedSize : DEFAULT_PAGE_SIZE);
  return { builds: matching.slice(offset, end), ...(end < matching.length ? { nextPageToken: pageToken(end, key) } : {}) };
}

function rpcHandlers(ledger: BuildLedger, protos: CloudBuildProtos): Record<string, UnaryHandler> {
  const buildWire = (build: TrackedBuild): WireMessage => protos.wire.toWire(BUILD_TYPE, build.json);
  const operationWire = (build: TrackedBuild): WireMessage => protos.wire.toWire(OPERATION_TYPE, operationJson(build));
  return {
    CreateBuild: (request) => {
      const scope = requestedScope(request);
      const requested = protos.json.message(BUILD_TYPE, request['build']);
      if (!isRecord(requested)) throw invalidArgument('build is required.');
      assertBuildable(requested);
      return operationWire(ledger.create(scope, requested));
    },
    GetBuild: (request) => {
      const { scope, id } = requestedBuild(request);
      return buildWire(ledger.find(scope, id));
    },
    ListBuilds: (request) => {
      const page = listBuildsPage(ledger, request);
      return { builds: page.builds.map(buildWire), ...(page.nextPageToken !== undefined ? { nextPageToken: page.nextPageToken } : {}) };
    },
    CancelBuild: (request) => {
      const { scope, id } = requestedBuild(request);
      const build = ledger.find(scope, id);
      ledger.cancel(build);
      return buildWire(build);
    },
    GetOperation: (request) => operationWire(ledger.findOperation(stringField(request, 'name'))),
    CancelOperation: (request) => {
      ledger.cancel(ledger.findOperation(stringField(request, 'name')));
      return {};
    },
  };
}

export class FakeCloudBuild {
  readonly port: number;
  readonly calls: RecordedCall[];

  private constructor(
    private readonly ledger: BuildLedger,
    private readonly server: FakeServer,
    calls: RecordedCall[],
  ) {
    this.port = server.port;
    this.calls = calls;
  }

  static async start(options: FakeCloudBuildOptions = {}): Promise<FakeCloudBuild> {
    const protos = loadCloudBuildProtos();
    const ledger = new BuildLedger(options.behaviour ?? succeedAlways, options.storage, options.notify);
    const calls: RecordedCall[] = [];
    const server = await startFakeServer({ label: 'fake Cloud Build', port: options.port, service: protos.service, calls, handlers: rpcHandlers(ledger, protos) });
    return new FakeCloudBuild(ledger, server, calls);
  }

  /** Applies to builds that start WORKING from now on. */
  setBehaviour(behaviour: BuildBehaviour): void {
    this.ledger.setBehaviour(behaviour);
  }

  /** From now on ListBuilds answers every build, whatever its filter says. */
  ignoreListFilters(ignored: boolean): void {
    this.ledger.listFiltersIgnored = ignored;
  }

  /** Every build created, oldest first, as REST JSON with its current status. */
  builds(): Record<string, unknown>[] {
    return this.ledger.all();
  }

  /** Builds stay in whatever status they have; pending timers are cleared. */
  async stop(): Promise<void> {
    await this.ledger.stop();
    await this.server.stop();
  }
}
