/**
 * A local stand-in for the Kubernetes API server, enough for @kubernetes/client-node 1.4 and raw discovery:
 * discovery documents, list/get (with label and field selectors, limit/continue), create, and JSON Patch /
 * JSON Merge Patch, over an in-memory store. Resource types come from a built-in table, from CRD objects in the store,
 * and, for objects of unknown types, from the objects themselves, so fixtures need not ship every CRD.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenOnLoopback } from '../listen.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface RecordedKubeRequest {
  method: string;
  /** Path and query string, as sent. */
  path: string;
  contentType?: string;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body?: unknown;
}

interface ResourceType {
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** With a status subresource, writes to the main resource ignore `status` and it does not count for generation. */
  statusSubresource: boolean;
  /** Declared types (built-in, CRD) serve only their versions; types inferred from objects serve whatever the objects use. */
  origin: 'builtin' | 'crd' | 'inferred';
}

type Json = Record<string, unknown>;

interface Reply {
  status: number;
  body: unknown;
}

interface IncomingBody {
  contentType: string | undefined;
  text: string;
}

const CRD_GROUP = 'apiextensions.k8s.io';
const CRD_KIND = 'CustomResourceDefinition';
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Fixed so fixtures and snapshots stay deterministic; objects created over the API get the real time. */
const FIXTURE_TIMESTAMP = '2024-01-02T03:04:05Z';
const FIRST_RESOURCE_VERSION = 1000;
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const VERSION_INFO = {
  major: '1', minor: '30', gitVersion: 'v1.30.5-gke.1014001', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
  buildDate: '2024-09-01T00:00:00Z', goVersion: 'go1.22.6', compiler: 'gc', platform: 'linux/amd64',
};

/** Kinds whose plural does not follow the English rules below (the API server stores these names verbatim). */
const PLURAL_EXCEPTIONS: Record<string, string> = { endpoints: 'endpoints', podmetrics: 'podmetrics', nodemetrics: 'nodemetrics' };

export function pluralize(kind: string): string {
  const singular = kind.toLowerCase();
  const exception = PLURAL_EXCEPTIONS[singular];
  if (exception !== undefined) return exception;
  if (/[^aeiou]y$/.test(singular)) return `${singular.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(singular)) return `${singular}es`;
  return `${singular}s`;
}

/** Config Connector CRDs all carry this category; `kubectl get gcp` relies on it. */
const isConfigConnectorGroup = (group: string): boolean => group.endsWith('.cnrm.cloud.google.com');

function withCategories(group: string, categories: readonly string[]): string[] {
  return isConfigConnectorGroup(group) && !categories.includes('gcp') ? [...categories, 'gcp'] : [...categories];
}

interface BuiltinOptions {
  clusterScoped?: boolean;
  shortNames?: string[];
  /** Member of the `all` category, as `kubectl get all` shows. */
  all?: boolean;
  status?: boolean;
}

function builtin(apiVersion: string, kind: string, options: BuiltinOptions = {}): ResourceType {
  const { group, version } = splitApiVersion(apiVersion);
  return {
    group,
    versions: [version],
    kind,
    plural: pluralize(kind),
    singular: kind.toLowerCase(),
    namespaced: !options.clusterScoped,
    shortNames: options.shortNames ?? [],
    categories: options.all ? ['all'] : [],
    statusSubresource: options.status ?? false,
    origin: 'builtin',
  };
}

const BUILTIN_TYPES: readonly ResourceType[] = [
  builtin('v1', 'Namespace', { clusterScoped: true, shortNames: ['ns'], status: true }),
  builtin('v1', 'Node', { clusterScoped: true, shortNames: ['no'], status: true }),
  builtin('v1', 'Pod', { shortNames: ['po'], all: true, status: true }),
  builtin('v1', 'Service', { shortNames: ['svc'], all: true, status: true }),
  builtin('v1', 'Endpoints', { shortNames: ['ep'] }),
  builtin('v1', 'ConfigMap', { shortNames: ['cm'] }),
  builtin('v1', 'Secret'),
  builtin('v1', 'ServiceAccount', { shortNames: ['sa'] }),
  builtin('v1', 'Event', { shortNames: ['ev'] }),
  builtin('v1', 'PersistentVolumeClaim', { shortNames: ['pvc'], status: true }),
  builtin('v1', 'PersistentVolume', { clusterScoped: true, shortNames: ['pv'], status: true }),
  builtin('v1', 'ResourceQuota', { shortNames: ['quota'], status: true }),
  builtin('apps/v1', 'Deployment', { shortNames: ['deploy'], all: true, status: true }),
  builtin('apps/v1', 'StatefulSet', { shortNames: ['sts'], all: true, status: true }),
  builtin('apps/v1', 'DaemonSet', { shortNames: ['ds'], all: true, status: true }),
  builtin('apps/v1', 'ReplicaSet', { shortNames: ['rs'], all: true, status: true }),
  builtin('batch/v1', 'Job', { all: true, status: true }),
  builtin('batch/v1', 'CronJob', { shortNames: ['cj'], all: true, status: true }),
  builtin('autoscaling/v2', 'HorizontalPodAutoscaler', { shortNames: ['hpa'], all: true, status: true }),
  builtin('policy/v1', 'PodDisruptionBudget', { shortNames: ['pdb'], status: true }),
  builtin('networking.k8s.io/v1', 'NetworkPolicy', { shortNames: ['netpol'] }),
  builtin('networking.k8s.io/v1', 'Ingress', { shortNames: ['ing'], status: true }),
  builtin('rbac.authorization.k8s.io/v1', 'Role'),
  builtin('rbac.authorization.k8s.io/v1', 'RoleBinding'),
  builtin('rbac.authorization.k8s.io/v1', 'ClusterRole', { clusterScoped: true }),
  builtin('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', { clusterScoped: true }),
  builtin('coordination.k8s.io/v1', 'Lease'),
  builtin('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', { clusterScoped: true }),
  builtin('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', { clusterScoped: true }),
  builtin(`${CRD_GROUP}/v1`, CRD_KIND, { clusterScoped: true, shortNames: ['crd', 'crds'], status: true }),
];
const BUILTIN_GROUPS = [...new Set(BUILTIN_TYPES.map((type) => type.group).filter((group) => group !== ''))];

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

const groupVersion = (group: string, version: string): string => (group === '' ? version : `${group}/${version}`);
const objectKey = (group: string, kind: string, namespace: string | undefined, name: string): string => `${group}|${kind}|${namespace ?? ''}|${name}`;
const qualifiedResource = (type: ResourceType): string => (type.group === '' ? type.plural : `${type.plural}.${type.group}`);
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const nowTimestamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function stableHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

function stableUid(seed: string): string {
  const hex = stableHash(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Defines rather than assigns, so a key such as `__proto__` from a client body stays an ordinary property. */
function setOwn(record: Json, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((value, index) => deepEqual(value, b[index]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}

/** Kubernetes version order: GA before beta before alpha, higher numbers first; other names sort last, by name. */
function compareVersions(a: string, b: string): number {
  const rank = (version: string): number[] | undefined => {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
    if (!match) return undefined;
    const stability = match[2] === undefined ? 2 : match[2] === 'beta' ? 1 : 0;
    return [stability, Number(match[1]), Number(match[3] ?? 0)];
  };
  const [rankA, rankB] = [rank(a), rank(b)];
  if (!rankA || !rankB) return rankA ? -1 : rankB ? 1 : compareStrings(a, b);
  for (let index = 0; index < rankA.length; index += 1) {
    const difference = (rankB[index] ?? 0) - (rankA[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors as Kubernetes Status objects

class KubeError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details: Json = {}) {
    super(message);
  }
}

const statusBody = (error: KubeError): Json => ({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason: error.reason, details: error.details, code: error.code,
});
const badRequest = (message: string): KubeError => new KubeError(400, 'BadRequest', message);
const invalid = (message: string): KubeError => new KubeError(422, 'Invalid', message);
const resourceNotFound = (): KubeError => new KubeError(404, 'NotFound', 'the server could not find the requested resource');
const methodNotAllowed = (message = 'the server does not allow this method on the requested resource'): KubeError => new KubeError(405, 'MethodNotAllowed', message);

function objectDetails(type: ResourceType, name: string): Json {
  return { name, ...(type.group === '' ? {} : { group: type.group }), kind: type.plural };
}

const objectNotFound = (type: ResourceType, name: string): KubeError =>
  new KubeError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, objectDetails(type, name));

// ---------------------------------------------------------------------------------------------------------------
// JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386)

const PATCH_OPERATIONS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

interface PatchOperation {
  op: (typeof PATCH_OPERATIONS)[number];
  path: string;
  from?: string;
  value?: unknown;
}

class JsonPatchError extends Error {}

function parseJsonPatch(body: unknown): PatchOperation[] {
  if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch (a JSON patch is an array of operations)');
  return body.map((raw, index): PatchOperation => {
    const op = isRecord(raw) ? PATCH_OPERATIONS.find((name) => name === raw.op) : undefined;
    if (!isRecord(raw) || op === undefined || typeof raw.path !== 'string') throw badRequest(`invalid JSON patch operation ${index}: ${JSON.stringify(raw)}`);
    if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string') throw badRequest(`JSON patch operation ${index} (${op}) needs "from"`);
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) throw badRequest(`JSON patch operation ${index} (${op}) needs "value"`);
    return { op, path: raw.path, ...(typeof raw.from === 'string' ? { from: raw.from } : {}), ...(Object.hasOwn(raw, 'value') ? { value: raw.value } : {}) };
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, maximum: number, pointer: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) > maximum) throw new JsonPatchError(`array index out of bounds or invalid at "${pointer}"`);
  return Number(token);
}

function child(container: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(token, container.length - 1, pointer)];
  if (isRecord(container) && Object.hasOwn(container, token)) return container[token];
  throw new JsonPatchError(`path "${pointer}" does not exist`);
}

function valueAt(document: unknown, pointer: string): unknown {
  return parsePointer(pointer).reduce((node, token) => child(node, token, pointer), document);
}

/** The container the last token of `pointer` addresses, which must exist. */
function parentOf(document: unknown, pointer: string): { parent: unknown; last: string | undefined } {
  const tokens = parsePointer(pointer);
  const last = tokens.pop();
  return { parent: tokens.reduce((node, token) => child(node, token, pointer), document), last };
}

function addValue(document: unknown, pointer: string, value: unknown): unknown {
  const { parent, last } = parentOf(document, pointer);
  if (last === undefined) return value;
  if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : arrayIndex(last, parent.length, pointer), 0, value);
  else if (isRecord(parent)) setOwn(parent, last, value);
  else throw new JsonPatchError(`cannot add at "${pointer}": parent is not an object or array`);
  return document;
}

function removeValue(document: unknown, pointer: string): unknown {
  const { parent, last } = parentOf(document, pointer);
  if (last === undefined) throw new JsonPatchError('cannot remove the whole document');
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length - 1, pointer), 1);
  else if (isRecord(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new JsonPatchError(`path "${pointer}" does not exist`);
  return document;
}

function replaceValue(document: unknown, pointer: string, value: unknown): unknown {
  valueAt(document, pointer);
  const { parent, last } = parentOf(document, pointer);
  if (last === undefined) return value;
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (isRecord(parent)) setOwn(parent, last, value);
  return document;
}

function applyOperation(document: unknown, operation: PatchOperation): unknown {
  const from = operation.from ?? '';
  switch (operation.op) {
    case 'add':
      return addValue(document, operation.path, structuredClone(operation.value));
    case 'remove':
      return removeValue(document, operation.path);
    case 'replace':
      return replaceValue(document, operation.path, structuredClone(operation.value));
    case 'move': {
      if (operation.path === from) return document;
      if (operation.path.startsWith(`${from}/`)) throw new JsonPatchError(`cannot move "${from}" into its own child "${operation.path}"`);
      const value = valueAt(document, from);
      return addValue(removeValue(document, from), operation.path, value);
    }
    case 'copy':
      return addValue(document, operation.path, structuredClone(valueAt(document, from)));
    case 'test':
      if (!deepEqual(valueAt(document, operation.path), operation.value)) throw new JsonPatchError(`testing value ${operation.path} failed`);
      return document;
  }
}

/** All or nothing: the operations work on a copy, so a failing one leaves the original untouched. */
function applyJsonPatch(document: unknown, operations: readonly PatchOperation[]): unknown {
  return operations.reduce(applyOperation, structuredClone(document));
}

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Json = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, applyMergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Label and field selectors

interface LabelRequirement {
  key: string;
  operator: 'in' | 'notin' | 'exists' | 'doesnotexist';
  values: string[];
}

const LABEL_KEY = '[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?';
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const EQUALITY_REQUIREMENT = new RegExp(`^(${LABEL_KEY})\\s*(==|=|!=)\\s*(\\S*)$`);
const SET_REQUIREMENT = new RegExp(`^(${LABEL_KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EXISTS_REQUIREMENT = new RegExp(`^(!)?\\s*(${LABEL_KEY})$`);

/** Commas inside `in (a,b)` belong to the set, not to the list of requirements. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < selector.length; index += 1) {
    const character = selector[index];
    if (character === '(') depth += 1;
    else if (character === ')') depth -= 1;
    else if (character === ',' && depth === 0) {
      parts.push(selector.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((part) => part.trim());
}

function labelValues(values: readonly string[], requirement: string): string[] {
  if (values.length === 0 || values.some((value) => !LABEL_VALUE.test(value))) throw badRequest(`unable to parse requirement: ${requirement}`);
  return [...values];
}

function parseRequirement(text: string): LabelRequirement {
  const equality = EQUALITY_REQUIREMENT.exec(text);
  if (equality) return { key: equality[1] ?? '', operator: equality[2] === '!=' ? 'notin' : 'in', values: labelValues([equality[3] ?? ''], text) };
  const set = SET_REQUIREMENT.exec(text);
  if (set && (set[3] ?? '').trim() === '') throw badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty: ${text}`);
  if (set) return { key: set[1] ?? '', operator: set[2] === 'in' ? 'in' : 'notin', values: labelValues((set[3] ?? '').split(',').map((value) => value.trim()), text) };
  const exists = EXISTS_REQUIREMENT.exec(text);
  if (exists) return { key: exists[2] ?? '', operator: exists[1] ? 'doesnotexist' : 'exists', values: [] };
  throw badRequest(`unable to parse requirement: ${text}`);
}

function parseLabelSelector(selector: string | null): LabelRequirement[] {
  if (selector === null || selector.trim() === '') return [];
  return splitRequirements(selector).map(parseRequirement);
}

function matchesLabels(object: KubeObject, requirements: readonly LabelRequirement[]): boolean {
  const labels = isRecord(object.metadata.labels) ? object.metadata.labels : {};
  return requirements.every(({ key, operator, values }) => {
    const value = Object.hasOwn(labels, key) ? String(labels[key]) : undefined;
    if (operator === 'exists') return value !== undefined;
    if (operator === 'doesnotexist') return value === undefined;
    if (operator === 'in') return value !== undefined && values.includes(value);
    return value === undefined || !values.includes(value);
  });
}

interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  equals: boolean;
  value: string;
}

/** Only the two fields every resource supports; the API server rejects other fields on most types the same way. */
function parseFieldSelector(selector: string | null): FieldRequirement[] {
  if (selector === null || selector.trim() === '') return [];
  return selector.split(',').map((part): FieldRequirement => {
    const match = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) throw badRequest(`invalid field selector: ${part}`);
    const field = match[1];
    if (field !== 'metadata.name' && field !== 'metadata.namespace') throw badRequest(`field label not supported: ${field ?? ''}`);
    return { field, equals: match[2] !== '!=', value: match[3] ?? '' };
  });
}

function matchesFields(object: KubeObject, requirements: readonly FieldRequirement[]): boolean {
  return requirements.every(({ field, equals, value }) => {
    const actual = field === 'metadata.name' ? object.metadata.name : (object.metadata.namespace ?? '');
    return (actual === value) === equals;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Resource types

function typeFromCrd(crd: KubeObject): ResourceType {
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  const { group, kind, plural } = { group: spec.group, kind: names.kind, plural: names.plural };
  if (typeof group !== 'string' || typeof kind !== 'string' || typeof plural !== 'string') {
    throw new Error(`FakeKubernetes: CRD ${crd.metadata.name} needs spec.group, spec.names.kind and spec.names.plural`);
  }
  if (crd.metadata.name !== `${plural}.${group}`) throw new Error(`FakeKubernetes: CRD name must be '${plural}.${group}', got '${crd.metadata.name}'`);
  const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter(isRecord).filter((version) => version.served !== false);
  const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return {
    group,
    versions: versions.map((version) => String(version.name)).sort(compareVersions),
    kind,
    plural,
    singular: typeof names.singular === 'string' ? names.singular : kind.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: stringList(names.shortNames),
    categories: withCategories(group, stringList(names.categories)),
    statusSubresource: versions.some((version) => isRecord(version.subresources) && isRecord(version.subresources.status)),
    origin: 'crd',
  };
}

/** Objects of a kind nobody declared still need a resource; it is shaped the way a CRD would typically declare it. */
function typeFromObject(object: KubeObject): ResourceType {
  const { group, version } = splitApiVersion(object.apiVersion);
  return {
    group,
    versions: [version],
    kind: object.kind,
    plural: pluralize(object.kind),
    singular: object.kind.toLowerCase(),
    namespaced: object.metadata.namespace !== undefined,
    shortNames: [],
    categories: withCategories(group, []),
    statusSubresource: true,
    origin: 'inferred',
  };
}

const isCrd = (object: KubeObject): boolean => splitApiVersion(object.apiVersion).group === CRD_GROUP && object.kind === CRD_KIND;

function buildTypes(objects: readonly KubeObject[]): ResourceType[] {
  const types = [...BUILTIN_TYPES, ...objects.filter(isCrd).map(typeFromCrd)];
  for (const object of objects) {
    const { group, version } = splitApiVersion(object.apiVersion);
    const known = types.find((type) => type.group === group && type.kind === object.kind);
    if (!known) types.push(typeFromObject(object));
    else if (known.origin === 'inferred' && !known.versions.includes(version)) known.versions = [...known.versions, version].sort(compareVersions);
  }
  return types;
}

function discoveryEntries(type: ResourceType): Json[] {
  const main: Json = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: VERBS,
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
    storageVersionHash: Buffer.from(stableHash(`${type.group}/${type.kind}`), 'hex').subarray(0, 8).toString('base64'),
  };
  if (!type.statusSubresource) return [main];
  return [main, { name: `${type.plural}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: ['get', 'patch', 'update'] }];
}

function apiGroup(name: string, versions: readonly string[]): Json {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

/** The object with the apiVersion it was requested in: with conversion strategy None, versions differ only in that. */
function present(object: KubeObject, apiVersion: string): KubeObject {
  const { apiVersion: _stored, kind, metadata, ...rest } = structuredClone(object);
  return { apiVersion, kind, metadata, ...rest };
}

function generationRelevant(object: KubeObject, ignoreStatus: boolean): Json {
  const { metadata: _metadata, ...content } = object;
  if (ignoreStatus) delete content.status;
  return content;
}

interface ResourcePath {
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
}

function parseResourcePath(rest: readonly string[]): ResourcePath | undefined {
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [plural, name, subresource, ...extra] = namespaced ? rest.slice(2) : rest;
  if (plural === undefined || extra.length > 0) return undefined;
  return {
    plural,
    ...(namespaced ? { namespace: rest[1] } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

interface Continuation {
  offset: number;
  query: string;
}

function readContinue(token: string, query: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(decoded) && decoded.query === query && Number.isInteger(decoded.offset)) return Number(decoded.offset);
  } catch {
    // Reported below like any other unusable token.
  }
  throw badRequest('continue key is not valid');
}

function readLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`invalid limit: ${value}`);
  return Number(value) === 0 ? undefined : Number(value);
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function parseBody(body: IncomingBody): unknown {
  try {
    return JSON.parse(body.text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => (size > MAX_BODY_BYTES ? reject(new KubeError(413, 'RequestEntityTooLarge', 'the request body is too large')) : resolve(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

interface ApiRequest {
  type: ResourceType;
  apiVersion: string;
  namespace: string | undefined;
  query: URLSearchParams;
}

/** A CRD the API server accepted reports itself established; readers such as kubectl wait for that condition. */
function withCrdStatus(crd: KubeObject, type: ResourceType): void {
  if (crd.status !== undefined) return;
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord) : [];
  const storage = versions.find((version) => version.storage === true)?.name ?? type.versions[0];
  const condition = (conditionType: string, reason: string, message: string): Json => ({ type: conditionType, status: 'True', lastTransitionTime: FIXTURE_TIMESTAMP, reason, message });
  crd.status = {
    acceptedNames: structuredClone(spec.names),
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: storage === undefined ? [] : [storage],
  };
}

function crdTypeOrReject(crd: KubeObject): ResourceType {
  try {
    return typeFromCrd(crd);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
}

// ---------------------------------------------------------------------------------------------------------------

export class FakeKubernetes {
  readonly requests: RecordedKubeRequest[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private revision = FIRST_RESOURCE_VERSION;
  private typeCache: ResourceType[] | undefined;
  private outage: string | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response));
  }

  static async start(options: { port?: number } = {}): Promise<FakeKubernetes> {
    const server = createServer();
    const port = await listenOnLoopback(server, options.port, 'fake Kubernetes API');
    return new FakeKubernetes(server, `http://127.0.0.1:${port}`);
  }

  /** Replaces the whole store. CRDs go first so the objects they define are checked against them. */
  setObjects(objects: readonly KubeObject[]): void {
    this.objects.clear();
    this.typeCache = undefined;
    for (const object of [...objects.filter(isCrd), ...objects.filter((object) => !isCrd(object))]) this.upsert(object);
  }

  /** Stores an object as given; server-managed metadata is filled in where missing and resourceVersion is bumped. */
  upsert(object: KubeObject): void {
    const next = structuredClone(object);
    const type = this.checkedType(next);
    if (isCrd(next)) withCrdStatus(next, typeFromCrd(next));
    const key = objectKey(type.group, next.kind, next.metadata.namespace, next.metadata.name);
    const previous = this.objects.get(key);
    // A generation that differs from the stored one was set on purpose (e.g. to fake a lagging observedGeneration);
    // an unchanged one is just carried over from a get() and must not stop the bump.
    const given = next.metadata.generation;
    const deliberate = typeof given === 'number' && given !== previous?.metadata.generation;
    next.metadata = {
      uid: previous?.metadata.uid ?? stableUid(key),
      creationTimestamp: previous?.metadata.creationTimestamp ?? FIXTURE_TIMESTAMP,
      ...next.metadata,
      generation: deliberate ? given : this.nextGeneration(type, previous, next),
    };
    this.commit(key, next);
  }

  /** While set, every request is answered 503 with this message, as an API server that is down or overloaded answers. */
  setUnavailable(message: string | undefined): void {
    this.outage = message;
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const object = this.objects.get(objectKey(splitApiVersion(apiVersion).group, kind, namespace, name));
    return object ? present(object, apiVersion) : undefined;
  }

  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets from the client's agent would otherwise hold the process open.
      this.server.closeAllConnections();
    });
  }

  private types(): ResourceType[] {
    this.typeCache ??= buildTypes([...this.objects.values()]);
    return this.typeCache;
  }

  /** The object's resource type, after checking that the object fits it (served version, scope). */
  private checkedType(object: KubeObject): ResourceType {
    if (typeof object.metadata?.name !== 'string' || object.metadata.name === '') throw new Error(`FakeKubernetes: object needs metadata.name: ${JSON.stringify(object)}`);
    const { group, version } = splitApiVersion(object.apiVersion);
    const type = this.types().find((candidate) => candidate.group === group && candidate.kind === object.kind);
    const description = `${object.apiVersion} ${object.kind} ${object.metadata.name}`;
    if (!type) return typeFromObject(object);
    if (type.origin !== 'inferred' && !type.versions.includes(version)) {
      throw new Error(`FakeKubernetes: ${description}: version ${version} is not served (served: ${type.versions.join(', ')})`);
    }
    if (type.namespaced && object.metadata.namespace === undefined) throw new Error(`FakeKubernetes: ${description} is namespaced but has no metadata.namespace`);
    if (!type.namespaced && object.metadata.namespace !== undefined) throw new Error(`FakeKubernetes: ${description} is cluster-scoped but has metadata.namespace`);
    return type;
  }

  private nextGeneration(type: ResourceType, previous: KubeObject | undefined, next: KubeObject): number {
    if (!previous) return 1;
    const generation = typeof previous.metadata.generation === 'number' ? previous.metadata.generation : 1;
    const changed = !deepEqual(generationRelevant(previous, type.statusSubresource), generationRelevant(next, type.statusSubresource));
    return changed ? generation + 1 : generation;
  }

  private commit(key: string, object: KubeObject): void {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    this.objects.set(key, object);
    this.typeCache = undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const method = request.method ?? 'GET';
    try {
      const body: IncomingBody = { contentType: request.headers['content-type'], text: await readBody(request) };
      this.record(method, url, body);
      if (this.outage !== undefined) throw new KubeError(503, 'ServiceUnavailable', this.outage);
      const reply = this.route(method, url, body);
      sendJson(response, reply.status, reply.body);
    } catch (error) {
      const kubeError = error instanceof KubeError ? error : new KubeError(500, 'InternalError', `FakeKubernetes: ${String(error)}`);
      sendJson(response, kubeError.code, statusBody(kubeError));
    }
  }

  private record(method: string, url: URL, body: IncomingBody): void {
    const recorded: RecordedKubeRequest = { method, path: `${url.pathname}${url.search}` };
    if (body.contentType !== undefined) recorded.contentType = body.contentType;
    if (body.text !== '') {
      try {
        recorded.body = JSON.parse(body.text);
      } catch {
        recorded.body = body.text;
      }
    }
    this.requests.push(recorded);
  }

  private route(method: string, url: URL, body: IncomingBody): Reply {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [root, ...rest] = segments;
    if (root === 'api' || root === 'apis') {
      if (rest.length <= (root === 'api' ? 0 : 1)) return this.serveGroups(method, root, rest[0]);
      const target = root === 'api'
        ? { group: '', version: rest[0] ?? '', rest: rest.slice(1) }
        : { group: rest[0] ?? '', version: rest[1] ?? '', rest: rest.slice(2) };
      return this.serveGroupVersion(method, url, body, target);
    }
    if (method !== 'GET') throw methodNotAllowed();
    if (url.pathname === '/version') return { status: 200, body: VERSION_INFO };
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) return { status: 200, body: 'ok' };
    throw resourceNotFound();
  }

  private serveGroups(method: string, root: string, group: string | undefined): Reply {
    if (method !== 'GET') throw methodNotAllowed();
    if (root === 'api') {
      return { status: 200, body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(this.url).host }] } };
    }
    const groups = this.groups();
    if (group === undefined) {
      return { status: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([name, versions]) => apiGroup(name, versions)) } };
    }
    const versions = groups.get(group);
    if (!versions) throw resourceNotFound();
    return { status: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } };
  }

  /** Built-in groups in their usual order, then the others by name; each group's versions preferred first. */
  private groups(): Map<string, string[]> {
    const versionsByGroup = new Map<string, Set<string>>();
    for (const type of this.types()) {
      if (type.group === '') continue;
      const versions = versionsByGroup.get(type.group) ?? new Set<string>();
      for (const version of type.versions) versions.add(version);
      versionsByGroup.set(type.group, versions);
    }
    const others = [...versionsByGroup.keys()].filter((group) => !BUILTIN_GROUPS.includes(group)).sort(compareStrings);
    return new Map([...BUILTIN_GROUPS, ...others].filter((group) => versionsByGroup.has(group)).map((group) => [group, [...(versionsByGroup.get(group) ?? [])].sort(compareVersions)]));
  }

  private serveGroupVersion(method: string, url: URL, body: IncomingBody, target: { group: string; version: string; rest: string[] }): Reply {
    const types = this.types().filter((type) => type.group === target.group && type.versions.includes(target.version));
    if (target.rest.length === 0) {
      if (method !== 'GET') throw methodNotAllowed();
      if (types.length === 0) throw resourceNotFound();
      const resources = types.flatMap(discoveryEntries);
      return { status: 200, body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(target.group, target.version), resources } };
    }
    const path = parseResourcePath(target.rest);
    const type = path && types.find((candidate) => candidate.plural === path.plural);
    if (!path || !type) throw resourceNotFound();
    if (path.subresource !== undefined) throw new KubeError(404, 'NotFound', `FakeKubernetes does not serve the ${path.subresource} subresource`);
    if (!type.namespaced && path.namespace !== undefined) throw resourceNotFound();
    if (type.namespaced && path.namespace === undefined && (path.name !== undefined || method !== 'GET')) throw resourceNotFound();
    const request = { type, apiVersion: groupVersion(target.group, target.version), namespace: path.namespace, query: url.searchParams };
    if (method === 'GET' && path.name === undefined) return this.list(request, url.pathname);
    if (method === 'GET' && path.name !== undefined) return { status: 200, body: this.read(request, path.name) };
    if (method === 'POST' && path.name === undefined) return this.create(request, body);
    if (method === 'PATCH' && path.name !== undefined) return this.patch(request, path.name, body);
    throw methodNotAllowed();
  }

  private read(request: ApiRequest, name: string): KubeObject {
    const object = this.objects.get(objectKey(request.type.group, request.type.kind, request.namespace, name));
    if (!object) throw objectNotFound(request.type, name);
    return present(object, request.apiVersion);
  }

  private list(request: ApiRequest, path: string): Reply {
    const { type, query } = request;
    if (query.get('watch') === 'true' || query.get('watch') === '1') throw methodNotAllowed('FakeKubernetes does not serve watches');
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const matching = [...this.objects.values()]
      .filter((object) => splitApiVersion(object.apiVersion).group === type.group && object.kind === type.kind)
      .filter((object) => request.namespace === undefined || object.metadata.namespace === request.namespace)
      .filter((object) => matchesLabels(object, labels) && matchesFields(object, fields))
      .sort((a, b) => compareStrings(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compareStrings(a.metadata.name, b.metadata.name));
    const continuation: Continuation = { offset: 0, query: [path, query.get('labelSelector') ?? '', query.get('fieldSelector') ?? ''].join('|') };
    const token = query.get('continue');
    if (token) continuation.offset = readContinue(token, continuation.query);
    const limit = readLimit(query.get('limit'));
    const end = limit === undefined ? matching.length : continuation.offset + limit;
    const metadata: Json = { resourceVersion: String(this.revision) };
    if (end < matching.length) {
      metadata.continue = Buffer.from(JSON.stringify({ ...continuation, offset: end })).toString('base64url');
      metadata.remainingItemCount = matching.length - end;
    }
    const items = matching.slice(continuation.offset, end).map((object) => present(object, request.apiVersion));
    return { status: 200, body: { apiVersion: request.apiVersion, kind: `${type.kind}List`, metadata, items } };
  }

  private create(request: ApiRequest, body: IncomingBody): Reply {
    const { type, apiVersion, namespace } = request;
    const data = parseBody(body);
    if (!isRecord(data)) throw badRequest('the request body must be a JSON object');
    if (data.apiVersion !== apiVersion) throw badRequest(`the API version in the data (${String(data.apiVersion)}) does not match the expected API version (${apiVersion})`);
    if (data.kind !== type.kind) throw badRequest(`the kind in the data (${String(data.kind)}) does not match the expected kind (${type.kind})`);
    const metadata: Json = isRecord(data.metadata) ? { ...data.metadata } : {};
    if (namespace !== undefined && metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const name = typeof metadata.name === 'string' && metadata.name !== ''
      ? metadata.name
      : typeof metadata.generateName === 'string' ? `${metadata.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}` : undefined;
    if (name === undefined) throw invalid('metadata.name: Required value: name or generateName is required');
    const key = objectKey(type.group, type.kind, namespace, name);
    if (this.objects.has(key)) throw new KubeError(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, objectDetails(type, name));
    delete metadata.resourceVersion;
    const object: KubeObject = {
      ...data,
      apiVersion,
      kind: type.kind,
      metadata: { ...metadata, name, ...(namespace !== undefined ? { namespace } : {}), uid: randomUUID(), creationTimestamp: nowTimestamp(), generation: 1 },
    };
    if (isCrd(object)) withCrdStatus(object, crdTypeOrReject(object));
    if (!isDryRun(request.query)) this.commit(key, object);
    return { status: 201, body: present(object, apiVersion) };
  }

  private patch(request: ApiRequest, name: string, body: IncomingBody): Reply {
    const { type, apiVersion, namespace } = request;
    const patchType = mediaType(body.contentType);
    if (patchType !== 'application/json-patch+json' && patchType !== 'application/merge-patch+json') {
      throw new KubeError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (FakeKubernetes got ${patchType || 'none'})`);
    }
    const patch = parseBody(body);
    const key = objectKey(type.group, type.kind, namespace, name);
    const previous = this.objects.get(key);
    if (!previous) throw objectNotFound(type, name);
    const patched = patchType === 'application/json-patch+json' ? applyJsonPatchOrReject(previous, parseJsonPatch(patch)) : applyMergePatchOrReject(previous, patch);
    const next = this.acceptPatched(type, previous, patched);
    if (isCrd(next)) crdTypeOrReject(next);
    if (deepEqual(next, previous)) return { status: 200, body: present(previous, apiVersion) };
    next.metadata.generation = this.nextGeneration(type, previous, next);
    if (!isDryRun(request.query)) this.commit(key, next);
    return { status: 200, body: present(next, apiVersion) };
  }

  /** What the API server keeps of a patched object: identity, server-managed metadata and (with the subresource) status. */
  private acceptPatched(type: ResourceType, previous: KubeObject, patched: unknown): KubeObject {
    if (!isRecord(patched) || !isRecord(patched.metadata)) throw invalid('the patched object must be a JSON object with metadata');
    const metadata = patched.metadata;
    const { name, namespace } = previous.metadata;
    if (metadata.name !== name) throw badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`);
    if (metadata.namespace !== namespace) throw badRequest(`the namespace of the object (${String(metadata.namespace)}) does not match the namespace on the URL (${String(namespace)})`);
    if (patched.kind !== previous.kind) throw badRequest(`the kind of the object (${String(patched.kind)}) does not match ${previous.kind}`);
    if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== previous.metadata.resourceVersion) {
      throw new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, objectDetails(type, name));
    }
    const next: KubeObject = { ...patched, apiVersion: previous.apiVersion, kind: previous.kind, metadata: { ...metadata, name, ...(namespace !== undefined ? { namespace } : {}) } };
    for (const field of SERVER_MANAGED_METADATA) {
      if (previous.metadata[field] === undefined) delete next.metadata[field];
      else setOwn(next.metadata, field, previous.metadata[field]);
    }
    if (type.statusSubresource) {
      if (previous.status === undefined) delete next.status;
      else next.status = structuredClone(previous.status);
    }
    return next;
  }
}

const SERVER_MANAGED_METADATA = ['uid', 'creationTimestamp', 'generation', 'resourceVersion'];

const isDryRun = (query: URLSearchParams): boolean => query.getAll('dryRun').includes('All');

/** Patch failures (a failed `test`, a missing path) are 422, as the API server reports them. */
function applyJsonPatchOrReject(document: KubeObject, operations: readonly PatchOperation[]): unknown {
  try {
    return applyJsonPatch(document, operations);
  } catch (error) {
    if (error instanceof JsonPatchError) throw invalid(`the server rejected our request due to an error in our request: ${error.message}`);
    throw error;
  }
}

function applyMergePatchOrReject(document: KubeObject, patch: unknown): unknown {
  if (!isRecord(patch)) throw badRequest('a merge patch must be a JSON object');
  return applyMergePatch(document, patch);
}
