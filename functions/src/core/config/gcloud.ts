import { z } from 'zod';
import { zodIssueText } from '../logs/log-entry.js';
import { clusterModelFromGke, GkeClusterSchema, lastSegment, resourcePath, type ClusterModel } from '../model/cluster.js';
import { ConfigError, parseConfigCidr, toFirewallRule } from './firewall-input.js';
import { addEffectiveFirewalls, addFirewallPolicy } from './gcloud-policies.js';
import { addKubeObject, type ConfigSink } from './kube.js';
import type { Location } from './specs.js';

/**
 * Exports from `gcloud ... --format=json` (the API's own JSON) and `kubectl get ... -o json`,
 * recognised by content, not by file name.
 */
const strings = z.array(z.string()).optional();
const Protocols = z.array(z.looseObject({ IPProtocol: z.string(), ports: strings })).optional();

const GcloudFirewall = z.looseObject({
  name: z.string(),
  network: z.string().optional(),
  direction: z.string().optional(),
  priority: z.number().int().optional(),
  allowed: Protocols,
  denied: Protocols,
  sourceRanges: strings,
  destinationRanges: strings,
  sourceTags: strings,
  targetTags: strings,
  sourceServiceAccounts: strings,
  targetServiceAccounts: strings,
  disabled: z.boolean().optional(),
  logConfig: z.looseObject({ enable: z.boolean().optional() }).optional(),
  description: z.string().optional(),
});

const GcloudRoute = z.looseObject({
  name: z.string(),
  network: z.string().optional(),
  destRange: z.string(),
  priority: z.number().int().optional(),
  nextHopGateway: z.string().optional(),
  nextHopIp: z.string().optional(),
  nextHopInstance: z.string().optional(),
  nextHopIlb: z.string().optional(),
  nextHopVpnTunnel: z.string().optional(),
  nextHopPeering: z.string().optional(),
  nextHopNetwork: z.string().optional(),
});

const GcloudRouter = z.looseObject({
  name: z.string(),
  network: z.string().optional(),
  region: z.string().optional(),
  nats: z.array(z.looseObject({ name: z.string() })).optional(),
});

const GcloudZone = z.looseObject({
  name: z.string(),
  dnsName: z.string(),
  visibility: z.string().optional(),
  privateVisibilityConfig: z.looseObject({ networks: z.array(z.looseObject({ networkUrl: z.string().optional() })).optional() }).optional(),
});

const GcloudRecordSet = z.looseObject({ name: z.string(), type: z.string(), rrdatas: z.array(z.string()).optional() });

const GcloudSubnetwork = z.looseObject({
  name: z.string(),
  network: z.string().optional(),
  region: z.string().optional(),
  selfLink: z.string().optional(),
  ipCidrRange: z.string(),
  privateIpGoogleAccess: z.boolean().optional(),
  secondaryIpRanges: z.array(z.looseObject({ rangeName: z.string(), ipCidrRange: z.string() })).optional(),
});

type Converter = (value: unknown, location: Location, sink: ConfigSink) => void;

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${what}: ${zodIssueText(parsed.error)}`);
  return parsed.data;
}

const firewall: Converter = (value, location, sink) => {
  const rule = parse(GcloudFirewall, value, 'firewall rule');
  const protocols = (list: z.infer<typeof Protocols>) => list?.map((entry) => ({ protocol: entry.IPProtocol, ports: entry.ports }));
  sink.config.firewalls.push(
    toFirewallRule(
      {
        name: rule.name,
        network: lastSegment(rule.network),
        project: resourcePath(rule.network).project,
        direction: rule.direction,
        priority: rule.priority,
        allow: protocols(rule.allowed),
        deny: protocols(rule.denied),
        sourceRanges: rule.sourceRanges,
        destinationRanges: rule.destinationRanges,
        sourceTags: rule.sourceTags,
        targetTags: rule.targetTags,
        sourceServiceAccounts: rule.sourceServiceAccounts,
        targetServiceAccounts: rule.targetServiceAccounts,
        disabled: rule.disabled,
        logging: rule.logConfig?.enable ?? false,
        description: rule.description,
      },
      'gcloud',
      location,
    ),
  );
  sink.config.coverage.add('firewalls');
};

const route: Converter = (value, location, sink) => {
  const spec = parse(GcloudRoute, value, 'route');
  const nextHop = spec.nextHopGateway ?? spec.nextHopIp ?? spec.nextHopInstance ?? spec.nextHopIlb ?? spec.nextHopVpnTunnel ?? spec.nextHopPeering ?? spec.nextHopNetwork ?? 'unknown';
  sink.config.routes.push({
    name: spec.name,
    network: lastSegment(spec.network),
    destRange: parseConfigCidr(spec.destRange, 'destRange'),
    priority: spec.priority ?? 1000,
    viaInternetGateway: lastSegment(spec.nextHopGateway) === 'default-internet-gateway',
    nextHop: lastSegment(nextHop) ?? nextHop,
    location,
  });
  sink.config.coverage.add('routes');
};

const router: Converter = (value, location, sink) => {
  const spec = parse(GcloudRouter, value, 'router');
  const region = lastSegment(spec.region);
  sink.config.routers.push({ name: spec.name, network: lastSegment(spec.network), region, location });
  for (const nat of spec.nats ?? []) sink.config.nats.push({ name: nat.name, router: spec.name, region, location });
  sink.config.coverage.add('routers');
};

const zone: Converter = (value, location, sink) => {
  const spec = parse(GcloudZone, value, 'managed zone');
  const networks = (spec.privateVisibilityConfig?.networks ?? []).map((entry) => lastSegment(entry.networkUrl)).filter((name): name is string => Boolean(name));
  sink.config.zones.push({ name: spec.name, dnsName: spec.dnsName, visibility: spec.visibility === 'private' ? 'private' : 'public', networks, location });
  sink.config.coverage.add('dns');
};

const recordSet: Converter = (value, location, sink) => {
  const spec = parse(GcloudRecordSet, value, 'record set');
  sink.config.records.push({ name: spec.name, type: spec.type.toUpperCase(), rrdatas: spec.rrdatas ?? [], location });
  sink.config.coverage.add('dns');
};

const subnetwork: Converter = (value, location, sink) => {
  const spec = parse(GcloudSubnetwork, value, 'subnetwork');
  const path = resourcePath(spec.selfLink);
  const project = path.project ?? resourcePath(spec.network).project;
  sink.config.subnetworks.push({
    name: spec.name,
    network: lastSegment(spec.network),
    region: lastSegment(spec.region) ?? path.region,
    ...(project ? { project } : {}),
    ipCidrRange: parseConfigCidr(spec.ipCidrRange, 'ipCidrRange'),
    secondaryRanges: (spec.secondaryIpRanges ?? []).map((range, i) => ({ rangeName: range.rangeName, range: parseConfigCidr(range.ipCidrRange, `secondaryIpRanges[${i}].ipCidrRange`) })),
    privateIpGoogleAccess: spec.privateIpGoogleAccess ?? false,
    live: true,
    location,
  });
};

const ENFORCEMENT_ORDERS = ['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL'] as const;
const GcloudNetwork = z.looseObject({ name: z.string(), selfLink: z.string().optional(), networkFirewallPolicyEnforcementOrder: z.enum(ENFORCEMENT_ORDERS).optional() });

const network: Converter = (value, location, sink) => {
  const spec = parse(GcloudNetwork, value, 'network');
  const project = resourcePath(spec.selfLink).project;
  // The API leaves the field out for the default order (AFTER_CLASSIC_FIREWALL); a described network says it either way.
  sink.config.networks.push({ name: spec.name, impliesDefaultRoute: false, live: true, enforcementOrder: spec.networkFirewallPolicyEnforcementOrder ?? 'AFTER_CLASSIC_FIREWALL', ...(project ? { project } : {}), location });
};

const project: Converter = (value, _location, sink) => {
  const spec = parse(z.looseObject({ projectId: z.string(), projectNumber: z.union([z.string(), z.number()]) }), value, 'project');
  sink.config.projectNumbers.set(spec.projectId, String(spec.projectNumber));
};

const sameCluster = (a: ClusterModel, b: ClusterModel): boolean => a.name === b.name && a.location === b.location && a.project === b.project;

const cluster: Converter = (value, location, sink) => {
  const model = clusterModelFromGke(parse(GkeClusterSchema, value, 'cluster'));
  sink.config.clusters = [...sink.config.clusters.filter((existing) => !sameCluster(existing.model, model)), { model, location }];
  sink.config.coverage.add('clusters');
};

const firewallPolicy: Converter = (value, location, sink) => addFirewallPolicy(value, location, sink);

const BY_KIND: Record<string, Converter> = {
  'compute#firewall': firewall,
  'compute#firewallPolicy': firewallPolicy,
  'compute#route': route,
  'compute#router': router,
  'compute#subnetwork': subnetwork,
  'compute#network': network,
  'dns#managedZone': zone,
  'dns#resourceRecordSet': recordSet,
  'container#cluster': cluster,
};

function has(record: Record<string, unknown>, ...keys: string[]): boolean {
  return keys.every((key) => key in record);
}

/** Recognises an export by its `kind` (compute#firewall...) or, for gcloud output that drops it, by its fields. */
function converterFor(record: Record<string, unknown>): Converter | undefined {
  const kind = typeof record['kind'] === 'string' ? record['kind'] : undefined;
  if (kind && BY_KIND[kind]) return BY_KIND[kind];
  if (has(record, 'direction') && (has(record, 'allowed') || has(record, 'denied'))) return firewall;
  if (has(record, 'destRange')) return route;
  if (has(record, 'nats') || (has(record, 'bgp') && has(record, 'network'))) return router;
  if (has(record, 'dnsName', 'visibility')) return zone;
  if (has(record, 'rrdatas', 'type', 'name')) return recordSet;
  if (has(record, 'ipCidrRange', 'network')) return subnetwork;
  if (has(record, 'name') && (has(record, 'privateClusterConfig') || has(record, 'nodePools') || has(record, 'masterAuth'))) return cluster;
  if (has(record, 'rules') && (has(record, 'parent') || has(record, 'associations') || has(record, 'ruleTupleCount'))) return firewallPolicy;
  if (has(record, 'name', 'autoCreateSubnetworks') || has(record, 'name', 'networkFirewallPolicyEnforcementOrder')) return network;
  if (has(record, 'projectId', 'projectNumber')) return project;
  return undefined;
}

/** The keys list responses put their items under: Compute's `items`, GKE's `clusters`, Cloud DNS's `managedZones` and `rrsets`. */
const LIST_KEYS = ['items', 'clusters', 'managedZones', 'rrsets'] as const;

/**
 * The elements of an API list or aggregated-list response, each with its path:
 * `{"items": [...]}`, `{"clusters": [...]}`, `{"items": {"regions/R": {"subnetworks": [...]}}}`.
 */
function listElements(record: Record<string, unknown>): [unknown, string][] | undefined {
  for (const key of LIST_KEYS) {
    const items = record[key];
    if (Array.isArray(items)) return items.map((item, index) => [item, `.${key}[${index}]`]);
    if (key === 'items' && items !== null && typeof items === 'object' && typeof record['kind'] === 'string' && record['kind'].endsWith('AggregatedList')) {
      return Object.entries(items as Record<string, unknown>).flatMap(([scope, scoped]) =>
        Object.entries((scoped ?? {}) as Record<string, unknown>)
          .filter(([, list]) => Array.isArray(list))
          .flatMap(([field, list]) => (list as unknown[]).map((item, index): [unknown, string] => [item, `.items.${scope}.${field}[${index}]`])),
      );
    }
  }
  return undefined;
}

const isEffectiveFirewalls = (record: Record<string, unknown>): boolean => Array.isArray(record['firewallPolicys']) || (Array.isArray(record['firewalls']) && Object.keys(record).every((key) => key === 'firewalls' || key === 'firewallPolicys'));

/** Where an element of an export is: by name (`FILE[3]`) for what is kept, by `FILE:LINE` for a rejection, which may cost a pass over the whole document. */
export interface ExportLocator {
  name(path: string): Location;
  line(path: string): Location;
}

/** Adds one value of a JSON export read from `location` (its elements are named `location[3]`). */
export function addExportValue(value: unknown, location: Location, sink: ConfigSink): void {
  const named = (path: string) => `${location}${path}`;
  addExportDocument(value, { name: named, line: named }, sink);
}

/**
 * Adds a JSON export: an array or a kubectl List is taken item by item, Kubernetes objects go to
 * the manifest converter, anything else must be recognisable as a gcloud export. Each item is
 * located (and rejected) by its path in the document.
 */
export function addExportDocument(value: unknown, locate: ExportLocator, sink: ConfigSink, path = ''): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => addExportDocument(item, locate, sink, `${path}[${index}]`));
    return;
  }
  if (value === null || typeof value !== 'object') {
    sink.reject(locate.line(path), 'expected a JSON object or array of objects');
    return;
  }
  const record = value as Record<string, unknown>;
  if (record['kind'] === 'List' && Array.isArray(record['items'])) {
    addExportDocument(record['items'], locate, sink, `${path}.items`);
    return;
  }
  const location = locate.name(path);
  // A rejection names the element, or a part of it (`.rules[3]`): both become FILE:LINE.
  const located: ConfigSink = { ...sink, reject: (where, reason) => sink.reject(where.startsWith(location) ? locate.line(path + where.slice(location.length)) : where, reason) };
  if (isEffectiveFirewalls(record)) {
    addEffectiveFirewalls(record, location, located, (rule, where) => convert(firewall, rule, where, located));
    return;
  }
  const elements = !record['apiVersion'] ? listElements(record) : undefined;
  if (elements) {
    for (const [element, elementPath] of elements) addExportDocument(element, locate, sink, `${path}${elementPath}`);
    return;
  }
  if (typeof record['apiVersion'] === 'string' && typeof record['kind'] === 'string') {
    addKubeObject(value, location, located);
    return;
  }
  const converter = converterFor(record);
  if (!converter) {
    located.reject(location, 'not a recognised export (firewall rule, firewall policy, effective firewalls, network, route, router, managed zone, record set, subnetwork, cluster, project or Kubernetes object)');
    return;
  }
  convert(converter, value, location, located);
}

function convert(converter: Converter, value: unknown, location: Location, sink: ConfigSink): void {
  try {
    converter(value, location, sink);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    sink.reject(location, error.message);
  }
}
