import { z } from 'zod';
import { zodIssueText } from '../logs/log-entry.js';
import { clusterModelFromGke, GkeClusterSchema, lastSegment } from '../model/cluster.js';
import { ConfigError, parseConfigCidr, toFirewallRule } from './firewall-input.js';
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
  sink.config.subnetworks.push({
    name: spec.name,
    network: lastSegment(spec.network),
    region: lastSegment(spec.region),
    ipCidrRange: parseConfigCidr(spec.ipCidrRange, 'ipCidrRange'),
    secondaryRanges: (spec.secondaryIpRanges ?? []).map((range, i) => ({ rangeName: range.rangeName, range: parseConfigCidr(range.ipCidrRange, `secondaryIpRanges[${i}].ipCidrRange`) })),
    privateIpGoogleAccess: spec.privateIpGoogleAccess ?? false,
    live: true,
    location,
  });
};

const network: Converter = (value, location, sink) => {
  const spec = parse(z.looseObject({ name: z.string() }), value, 'network');
  sink.config.networks.push({ name: spec.name, impliesDefaultRoute: false, location });
};

const cluster: Converter = (value, location, sink) => {
  const model = clusterModelFromGke(parse(GkeClusterSchema, value, 'cluster'));
  sink.config.clusters = [...sink.config.clusters.filter((existing) => existing.model.name !== model.name), { model, location }];
  sink.config.coverage.add('clusters');
};

const BY_KIND: Record<string, Converter> = {
  'compute#firewall': firewall,
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
  return undefined;
}

/** Where each value of an export was read from, by its path in the document: "" for all of it, "[3]", ".items[2]". */
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
  const located: ConfigSink = { ...sink, reject: (where, reason) => sink.reject(where === location ? locate.line(path) : where, reason) };
  if (typeof record['apiVersion'] === 'string' && typeof record['kind'] === 'string') {
    addKubeObject(value, location, located);
    return;
  }
  const converter = converterFor(record);
  if (!converter) {
    located.reject(location, 'not a recognised export (firewall rule, route, router, managed zone, record set, subnetwork, cluster or Kubernetes object)');
    return;
  }
  try {
    converter(value, location, located);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    located.reject(location, error.message);
  }
}
