/**
 * Fake GKE control plane: google.container.v1.ClusterManager over gRPC, so the real
 * @google-cloud/container ClusterManagerClient can run against it unchanged.
 */
import { status } from '@grpc/grpc-js';
import { ProtoPackage, RpcError, startFakeServer } from './grpc-protos.js';
import type { FakeServer, RecordedCall, UnaryHandler, WireMessage } from './grpc-protos.js';

const CLUSTER_MANAGER = 'google.container.v1.ClusterManager';

let containerProtos: ProtoPackage | undefined;

/** Parsing cluster_service.proto takes a while; every instance can share the result. */
function loadContainerProtos(): ProtoPackage {
  return (containerProtos ??= ProtoPackage.load({ packageName: '@google-cloud/container', file: 'google/container/v1/cluster_service.proto' }));
}

type Collection = 'clusters' | 'operations';

interface Placement {
  project: string;
  location: string;
  name: string;
}

interface PlacedResource extends Placement {
  wire: WireMessage;
}

const MESSAGE_TYPE: Readonly<Record<Collection, string>> = {
  clusters: 'google.container.v1.Cluster',
  operations: 'google.container.v1.Operation',
};

/** Regional and newer resources say /locations/, older zonal ones /zones/; both are one location here. */
function selfLinkPattern(collection: Collection): RegExp {
  return new RegExp(`/projects/([^/]+)/(?:locations|zones)/([^/]+)/${collection}/([^/]+)$`);
}

function placementFromSelfLink(resource: Record<string, unknown>, collection: Collection): Placement {
  const selfLink = resource['selfLink'];
  const match = typeof selfLink === 'string' ? selfLinkPattern(collection).exec(selfLink) : null;
  if (match === null) {
    throw new Error(
      `fake GKE: ${collection} need a selfLink like https://container.googleapis.com/v1/projects/P/locations/L/${collection}/NAME, got ${JSON.stringify(selfLink)}`,
    );
  }
  const [, project = '', location = '', name = ''] = match;
  return { project, location, name };
}

function samePlacement(a: Placement, b: Placement): boolean {
  return a.project === b.project && a.location === b.location && a.name === b.name;
}

/** Clusters or operations, keyed by what their selfLink says (a project id or a project number, as given). */
class PlacedResources {
  private items: PlacedResource[] = [];

  constructor(
    private readonly collection: Collection,
    private readonly protos: ProtoPackage,
  ) {}

  replaceAll(resources: readonly Record<string, unknown>[]): void {
    this.items = resources.map((resource) => this.place(resource));
  }

  upsert(resource: Record<string, unknown>): void {
    const placed = this.place(resource);
    const index = this.items.findIndex((item) => samePlacement(item, placed));
    if (index === -1) this.items.push(placed);
    else this.items[index] = placed;
  }

  find(placement: Placement): WireMessage | undefined {
    return this.items.find((item) => samePlacement(item, placement))?.wire;
  }

  /** location "-" means every location of the project. */
  list(project: string, location: string): WireMessage[] {
    return this.items.filter((item) => item.project === project && (location === '-' || item.location === location)).map((item) => item.wire);
  }

  /** Converting up front makes a bad fixture fail in setClusters() rather than in a later RPC. */
  private place(resource: Record<string, unknown>): PlacedResource {
    const placement = placementFromSelfLink(resource, this.collection);
    const wire = this.protos.toWire(MESSAGE_TYPE[this.collection], resource, `${this.collection}[${placement.name}]`);
    return { ...placement, wire };
  }
}

function stringField(request: WireMessage, field: string): string {
  const value = request[field];
  return typeof value === 'string' ? value : '';
}

function invalidArgument(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, message);
}

interface RequestedResource {
  placement: Placement;
  /** The name as the request spelled it, for error messages. */
  shownAs: string;
}

/** `name`, or the deprecated projectId/zone/<id> triple that older callers still send. */
function requestedResource(request: WireMessage, collection: Collection, deprecatedIdField: string): RequestedResource {
  const name = stringField(request, 'name');
  if (name !== '') {
    const match = new RegExp(`^projects/([^/]+)/locations/([^/]+)/${collection}/([^/]+)$`).exec(name);
    if (match === null) throw invalidArgument(`Invalid resource name "${name}": expected projects/*/locations/*/${collection}/*.`);
    const [, project = '', location = '', id = ''] = match;
    return { placement: { project, location, name: id }, shownAs: name };
  }
  const project = stringField(request, 'projectId');
  const zone = stringField(request, 'zone');
  const id = stringField(request, deprecatedIdField);
  if (project === '' || zone === '' || id === '') {
    throw invalidArgument(`Either name (projects/*/locations/*/${collection}/*) or projectId, zone and ${deprecatedIdField} must be set.`);
  }
  return { placement: { project, location: zone, name: id }, shownAs: `projects/${project}/zones/${zone}/${collection}/${id}` };
}

function requestedScope(request: WireMessage): { project: string; location: string } {
  const parent = stringField(request, 'parent');
  if (parent !== '') {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (match === null) throw invalidArgument(`Invalid parent "${parent}": expected projects/*/locations/* (location "-" for all).`);
    const [, project = '', location = ''] = match;
    return { project, location };
  }
  const project = stringField(request, 'projectId');
  const zone = stringField(request, 'zone');
  if (project === '' || zone === '') throw invalidArgument('Either parent (projects/*/locations/*) or projectId and zone must be set.');
  return { project, location: zone };
}

function getHandler(resources: PlacedResources, collection: Collection, deprecatedIdField: string): UnaryHandler {
  return (request) => {
    const { placement, shownAs } = requestedResource(request, collection, deprecatedIdField);
    const found = resources.find(placement);
    // The wording of the real API's 404, e.g. "Not found: projects/p/locations/l/clusters/c."
    if (found === undefined) throw new RpcError(status.NOT_FOUND, `Not found: ${shownAs}.`);
    return found;
  };
}

function listHandler(resources: PlacedResources, collection: Collection): UnaryHandler {
  return (request) => {
    const { project, location } = requestedScope(request);
    return { [collection]: resources.list(project, location), missingZones: [] };
  };
}

export class FakeGke {
  readonly port: number;
  readonly calls: RecordedCall[];

  private constructor(
    private readonly clusters: PlacedResources,
    private readonly operations: PlacedResources,
    private readonly server: FakeServer,
    calls: RecordedCall[],
  ) {
    this.port = server.port;
    this.calls = calls;
  }

  static async start(options: { port?: number } = {}): Promise<FakeGke> {
    const protos = loadContainerProtos();
    const clusters = new PlacedResources('clusters', protos);
    const operations = new PlacedResources('operations', protos);
    const calls: RecordedCall[] = [];
    const server = await startFakeServer({
      label: 'fake GKE',
      port: options.port,
      service: protos.service(CLUSTER_MANAGER),
      calls,
      handlers: {
        GetCluster: getHandler(clusters, 'clusters', 'clusterId'),
        ListClusters: listHandler(clusters, 'clusters'),
        GetOperation: getHandler(operations, 'operations', 'operationId'),
        ListOperations: listHandler(operations, 'operations'),
      },
    });
    return new FakeGke(clusters, operations, server, calls);
  }

  /** Replaces all clusters. Each is Container API JSON (camelCase) with a selfLink https://container.googleapis.com/v1/projects/P/locations/L/clusters/N (zonal clusters may use /zones/Z/). */
  setClusters(clusters: readonly Record<string, unknown>[]): void {
    this.clusters.replaceAll(clusters);
  }

  /** Adds the cluster, or replaces the one with the same selfLink project, location and name. */
  upsertCluster(cluster: Record<string, unknown>): void {
    this.clusters.upsert(cluster);
  }

  /** Operations: JSON with name, operationType, status, selfLink .../projects/P/locations/L/operations/NAME, targetLink, startTime, endTime, error... */
  setOperations(operations: readonly Record<string, unknown>[]): void {
    this.operations.replaceAll(operations);
  }

  upsertOperation(operation: Record<string, unknown>): void {
    this.operations.upsert(operation);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
