/**
 * Shared plumbing for the fake Google gRPC servers of the dev stack: find the .proto files that the
 * client packages ship, load them with @grpc/proto-loader, turn the REST/JSON shapes that fixtures are
 * written in into what proto-loader serializes, and serve unary RPCs on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { AnyDefinition, MessageTypeDefinition, MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { bindGrpcOnLoopback } from '../listen.js';

const requireHere = createRequire(import.meta.url);

/**
 * Root directory of an installed package, found by walking up from its entry point: google-gax does not
 * export `./package.json`, so `require.resolve('google-gax/package.json')` throws ERR_PACKAGE_PATH_NOT_EXPORTED.
 * With `via`, the package is resolved the way that other package sees it, so transitive dependencies
 * (@google-cloud/logging-api, google-gax) are found even where npm did not hoist them.
 */
export function packageRoot(name: string, via?: string): string {
  const resolver = via === undefined ? requireHere : createRequire(path.join(packageRoot(via), 'package.json'));
  let dir = path.dirname(resolver.resolve(name));
  while (!isRootOf(dir, name)) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json named ${name} above ${resolver.resolve(name)}`);
    dir = parent;
  }
  return dir;
}

function isRootOf(dir: string, name: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  return isRecord(parsed) && parsed['name'] === name;
}

/** Where a proto file ships: `<package>/build/protos/<file>`. */
export interface ProtoSource {
  readonly packageName: string;
  /** Resolve packageName through this package (see packageRoot). */
  readonly via?: string;
  readonly file: string;
}

/**
 * Include dirs for a shipped proto: the package's own tree, then google-gax's, which holds the common
 * imports (google/api, google/rpc, google/type, google/longrunning, google/protobuf).
 */
export function protoIncludeDirs(source: ProtoSource): string[] {
  const owner = packageRoot(source.packageName, source.via);
  const gax = packageRoot('google-gax', source.via ?? source.packageName);
  return [path.join(owner, 'build', 'protos'), path.join(gax, 'build', 'protos')];
}

/** An object in the shape proto-loader serializes: camelCase keys, enum names, int64 as strings. */
export type WireMessage = Record<string, unknown>;

/** An `Any` whose type is not in the loaded protos: its bytes cannot be produced. */
export class UnknownAnyTypeError extends Error {
  constructor(readonly typeUrl: string, at: string) {
    super(`${at}: cannot encode google.protobuf.Any of ${typeUrl}: its proto is not loaded`);
    this.name = 'UnknownAnyTypeError';
  }
}

/** A fixture value that does not fit its proto field. */
export class ProtoJsonError extends Error {
  constructor(at: string, problem: string) {
    super(`${at}: ${problem}`);
    this.name = 'ProtoJsonError';
  }
}

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

/** How one field's JSON value becomes its wire value. */
type ValuePlan = { kind: 'plain' } | { kind: 'message'; typeName: string };
type FieldPlan = { shape: 'single' | 'repeated' | 'map'; value: ValuePlan };

const MESSAGE_FORMAT = 'Protocol Buffer 3 DescriptorProto';

/**
 * Server-side options: camelCase fields as the client libraries use them; unset fields stay absent so
 * `calls` shows exactly what the client sent.
 */
const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true };

function isMessageDefinition(definition: AnyDefinition | undefined): definition is MessageTypeDefinition<object, object> {
  return definition !== undefined && 'format' in definition && definition.format === MESSAGE_FORMAT;
}

/** proto-loader lists top-level messages only; nested ones live in their parent's descriptor. */
function indexMessages(definition: PackageDefinition): Map<string, MessageDescriptor> {
  const index = new Map<string, MessageDescriptor>();
  const add = (fullName: string, descriptor: MessageDescriptor): void => {
    index.set(fullName, descriptor);
    for (const nested of descriptor.nestedType) add(`${fullName}.${nested.name}`, nested);
  };
  for (const [fullName, entry] of Object.entries(definition)) {
    if (isMessageDefinition(entry)) add(fullName, entry.type as MessageDescriptor);
  }
  return index;
}

export class ProtoPackage {
  private readonly plans = new Map<string, Map<string, FieldPlan>>();
  private readonly messages: Map<string, MessageDescriptor>;

  private constructor(private readonly definition: PackageDefinition) {
    this.messages = indexMessages(definition);
  }

  static load(source: ProtoSource): ProtoPackage {
    return new ProtoPackage(protoLoader.loadSync(source.file, { ...LOADER_OPTIONS, includeDirs: protoIncludeDirs(source) }));
  }

  service(fullName: string): ServiceDefinition {
    const found = this.definition[fullName];
    if (found === undefined || 'format' in found) throw new Error(`${fullName} is not a service in the loaded protos`);
    return found as ServiceDefinition;
  }

  /**
   * Converts proto3 JSON (what the REST API returns and gcloud prints) into the wire shape. Needed because
   * protobufjs' fromObject knows nothing of JSON mappings: an RFC 3339 Timestamp, a "3.5s" Duration, a
   * plain object for Struct or a bare boolean for BoolValue would otherwise fail or vanish. Unknown keys
   * are dropped, as the real server drops fields newer than the proto.
   */
  toWire(typeName: string, json: unknown, at: string = typeName): WireMessage {
    const converted = this.messageToWire(typeName, json, at);
    if (!isRecord(converted)) throw new ProtoJsonError(at, `${typeName} must be a JSON object`);
    return converted;
  }

  private messageToWire(typeName: string, json: unknown, at: string): unknown {
    const wellKnown = WELL_KNOWN_TYPES[typeName];
    if (wellKnown !== undefined) return wellKnown(json, at);
    if (typeName === 'google.protobuf.Any') return this.anyToWire(json, at);
    if (!isRecord(json)) throw new ProtoJsonError(at, `expected a JSON object for ${typeName}`);
    const plans = this.fieldPlans(typeName);
    const wire: WireMessage = {};
    for (const [key, value] of Object.entries(json)) {
      const plan = plans.get(key);
      if (plan === undefined || value === null || value === undefined) continue;
      wire[key] = this.fieldToWire(plan, value, `${at}.${key}`);
    }
    return wire;
  }

  private fieldToWire(plan: FieldPlan, value: unknown, at: string): unknown {
    if (plan.shape === 'single') return this.valueToWire(plan.value, value, at);
    if (plan.shape === 'repeated') {
      if (!Array.isArray(value)) throw new ProtoJsonError(at, 'expected an array');
      return value.map((item, index) => this.valueToWire(plan.value, item, `${at}[${index}]`));
    }
    if (!isRecord(value)) throw new ProtoJsonError(at, 'expected an object for a map field');
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.valueToWire(plan.value, item, `${at}.${key}`)]));
  }

  private valueToWire(plan: ValuePlan, value: unknown, at: string): unknown {
    return plan.kind === 'plain' ? value : this.messageToWire(plan.typeName, value, at);
  }

  /** Any in proto-loader's server shape: protobufjs' Any wrapper only reads the snake_case `type_url`. */
  private anyToWire(json: unknown, at: string): WireMessage {
    if (!isRecord(json) || typeof json['@type'] !== 'string') throw new ProtoJsonError(at, 'google.protobuf.Any needs an "@type"');
    const typeUrl = json['@type'];
    const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const packed = this.definition[typeName];
    if (!isMessageDefinition(packed)) throw new UnknownAnyTypeError(typeUrl, at);
    const { '@type': _type, ...fields } = json;
    // Well-known types keep their JSON form under "value" inside an Any (proto3 JSON mapping).
    const content = typeName in WELL_KNOWN_TYPES ? fields['value'] : fields;
    return { type_url: typeUrl, value: packed.serialize(this.messageToWire(typeName, content, at) as object) };
  }

  private fieldPlans(typeName: string): Map<string, FieldPlan> {
    let plans = this.plans.get(typeName);
    if (plans === undefined) {
      const descriptor = this.messageDescriptor(typeName);
      plans = new Map(descriptor.field.map((field) => [field.name, this.planField(typeName, descriptor, field)]));
      this.plans.set(typeName, plans);
    }
    return plans;
  }

  private planField(scope: string, message: MessageDescriptor, field: FieldDescriptor): FieldPlan {
    const repeated = field.label === 'LABEL_REPEATED';
    if (field.type !== 'TYPE_MESSAGE') return { shape: repeated ? 'repeated' : 'single', value: { kind: 'plain' } };
    // proto-loader describes a map as a repeated synthetic "<Field>" entry nested in the message.
    const mapEntry = message.nestedType.find((nested) => nested.name === field.typeName && nested.options?.mapEntry === true);
    if (repeated && mapEntry !== undefined) {
      const valueField = mapEntry.field.find((entryField) => entryField.name === 'value');
      const isMessage = valueField?.type === 'TYPE_MESSAGE';
      return { shape: 'map', value: isMessage ? { kind: 'message', typeName: this.resolveType(scope, valueField.typeName) } : { kind: 'plain' } };
    }
    return { shape: repeated ? 'repeated' : 'single', value: { kind: 'message', typeName: this.resolveType(scope, field.typeName) } };
  }

  /**
   * proto-loader's descriptors name types relative to the referring scope ("protobuf.Any" inside
   * google.logging.v2), so search outwards from the scope like protoc does.
   */
  private resolveType(scope: string, relativeName: string): string {
    if (relativeName.startsWith('.')) return relativeName.slice(1);
    const parts = scope.split('.');
    for (let depth = parts.length; depth >= 0; depth--) {
      const candidate = [...parts.slice(0, depth), relativeName].join('.');
      if (this.messages.has(candidate)) return candidate;
    }
    throw new Error(`cannot resolve type ${relativeName} from ${scope}`);
  }

  private messageDescriptor(typeName: string): MessageDescriptor {
    const found = this.messages.get(typeName);
    if (found === undefined) throw new Error(`${typeName} is not a message in the loaded protos`);
    return found;
  }
}

type WellKnownConverter = (json: unknown, at: string) => unknown;

const wrapperToWire: WellKnownConverter = (json) => ({ value: json });

const WELL_KNOWN_TYPES: Readonly<Record<string, WellKnownConverter>> = {
  'google.protobuf.Timestamp': timestampToWire,
  'google.protobuf.Duration': durationToWire,
  'google.protobuf.Struct': structToWire,
  'google.protobuf.Value': jsonValueToWire,
  'google.protobuf.ListValue': listValueToWire,
  'google.protobuf.DoubleValue': wrapperToWire,
  'google.protobuf.FloatValue': wrapperToWire,
  'google.protobuf.Int64Value': wrapperToWire,
  'google.protobuf.UInt64Value': wrapperToWire,
  'google.protobuf.Int32Value': wrapperToWire,
  'google.protobuf.UInt32Value': wrapperToWire,
  'google.protobuf.BoolValue': wrapperToWire,
  'google.protobuf.StringValue': wrapperToWire,
  'google.protobuf.BytesValue': wrapperToWire,
};

/** A point in time with the nanosecond precision RFC 3339 strings carry (Date keeps milliseconds only). */
export interface Instant {
  seconds: number;
  nanos: number;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(text: string): Instant | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [, date, time, fraction = '', offset] = match;
  const millis = Date.parse(`${date}T${time}${offset === 'z' ? 'Z' : offset}`);
  if (Number.isNaN(millis)) return undefined;
  return { seconds: millis / 1000, nanos: Number(fraction.padEnd(9, '0')) };
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.seconds - b.seconds || a.nanos - b.nanos;
}

function timestampToWire(json: unknown, at: string): unknown {
  const text = json instanceof Date ? json.toISOString() : json;
  if (isRecord(text)) return text;
  const instant = typeof text === 'string' ? parseRfc3339(text) : undefined;
  if (instant === undefined) throw new ProtoJsonError(at, `expected an RFC 3339 timestamp, got ${JSON.stringify(json)}`);
  return { seconds: String(instant.seconds), nanos: instant.nanos };
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

function durationToWire(json: unknown, at: string): unknown {
  if (isRecord(json)) return json;
  const match = typeof json === 'string' ? DURATION.exec(json) : null;
  if (match === null) throw new ProtoJsonError(at, `expected a duration like "3.5s", got ${JSON.stringify(json)}`);
  const [, minus, seconds = '0', fraction = ''] = match;
  const sign = minus === undefined ? 1 : -1;
  return { seconds: String(sign * Number(seconds)), nanos: sign * Number(fraction.padEnd(9, '0')) };
}

function structToWire(json: unknown, at: string): WireMessage {
  if (!isRecord(json)) throw new ProtoJsonError(at, 'expected a JSON object for google.protobuf.Struct');
  return { fields: Object.fromEntries(Object.entries(json).map(([key, value]) => [key, jsonValueToWire(value, `${at}.${key}`)])) };
}

function listValueToWire(json: unknown, at: string): WireMessage {
  if (!Array.isArray(json)) throw new ProtoJsonError(at, 'expected an array for google.protobuf.ListValue');
  return { values: json.map((value, index) => jsonValueToWire(value, `${at}[${index}]`)) };
}

function jsonValueToWire(json: unknown, at: string): WireMessage {
  if (json === null || json === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: listValueToWire(json, at) };
  return { structValue: structToWire(json, at) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A failure to report to the client as a gRPC status. */
export class RpcError extends Error {
  constructor(readonly code: grpc.status, message: string) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RecordedCall {
  method: string;
  request: unknown;
}

/** Answers one unary RPC with a wire message; throws RpcError to fail it. */
export type UnaryHandler = (request: WireMessage) => WireMessage;

export interface FakeServerOptions {
  /** Shown in UNIMPLEMENTED messages, e.g. "fake GKE". */
  readonly label: string;
  readonly service: ServiceDefinition;
  readonly handlers: Readonly<Record<string, UnaryHandler>>;
  /** Receives every unary request, answered or not, for tests to inspect. */
  readonly calls: RecordedCall[];
  /** Loopback port; 0 or absent: any free port. */
  readonly port?: number;
}

export interface FakeServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** Calls still running after this long are cut off so that stop() always settles. */
const SHUTDOWN_GRACE_MS = 2_000;

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const server = new grpc.Server();
  server.addService(options.service, implementation(options));
  const port = await bindGrpcOnLoopback(server, grpc.ServerCredentials.createInsecure(), options.port, options.label);
  let stopped: Promise<void> | undefined;
  return {
    port,
    stop: () => (stopped ??= shutDown(server)),
  };
}

function implementation(options: FakeServerOptions): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [method, definition] of Object.entries(options.service)) {
    // Streaming methods are left out: grpc-js answers them UNIMPLEMENTED by itself.
    if (isUnary(definition)) handlers[method] = unaryCall(method, options);
  }
  return handlers;
}

function isUnary(definition: MethodDefinition<object, object>): boolean {
  return !definition.requestStream && !definition.responseStream;
}

function unaryCall(method: string, options: FakeServerOptions): grpc.handleUnaryCall<WireMessage, WireMessage> {
  return (call, callback) => {
    options.calls.push({ method, request: call.request });
    const handler = options.handlers[method];
    if (handler === undefined) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: `${options.label} does not implement ${method}` });
      return;
    }
    try {
      callback(null, handler(call.request));
    } catch (error) {
      if (error instanceof RpcError) callback({ code: error.code, details: error.message });
      else callback({ code: grpc.status.INTERNAL, details: `${options.label}: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
}

function shutDown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
