import { runtimeConfig } from '../config.js';
import { getJson, listAll } from './rest.js';

/** What the Compute and DNS APIs say about a cluster's network, as their own JSON (what gcloud exports). */
export interface LiveNetwork {
  /** `networks.getEffectiveFirewalls` and its regional form: VPC rules and every policy in force. */
  effectiveFirewalls: Record<string, unknown>[];
  /** `networks.get`: the network's firewall policy enforcement order. */
  networks: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  routers: Record<string, unknown>[];
  subnetworks: Record<string, unknown>[];
  managedZones: Record<string, unknown>[];
  recordSets: Record<string, unknown>[];
}

/** Which network to read: for Shared VPC the host project holds it, and private zones may live in either project. */
export interface NetworkTarget {
  /** The project that holds the network. */
  project: string;
  network: string;
  region: string;
  /** The cluster's own project, whose DNS zones are read too when it is another one. */
  clusterProject: string;
}

async function zonesAndRecords(dnsUrl: string, project: string): Promise<{ zones: Record<string, unknown>[]; records: Record<string, unknown>[] }> {
  const base = `/dns/v1/projects/${encodeURIComponent(project)}/managedZones`;
  const zones = await listAll(dnsUrl, base, 'managedZones');
  const privateZones = zones.filter((zone) => zone['visibility'] === 'private');
  const records = (await Promise.all(privateZones.map((zone) => listAll(dnsUrl, `${base}/${encodeURIComponent(String(zone['name']))}/rrsets`, 'rrsets')))).flat();
  return { zones, records };
}

export async function readLiveNetwork(target: NetworkTarget): Promise<LiveNetwork> {
  const { computeUrl, dnsUrl } = runtimeConfig().endpoints;
  const compute = `/compute/v1/projects/${encodeURIComponent(target.project)}`;
  const network = encodeURIComponent(target.network);
  const region = encodeURIComponent(target.region);
  const regionalEffective = new URL(`${computeUrl}${compute}/regions/${region}/firewallPolicies/getEffectiveFirewalls`);
  regionalEffective.searchParams.set('network', `https://www.googleapis.com/compute/v1/projects/${target.project}/global/networks/${target.network}`);
  const projects = [...new Set([target.project, target.clusterProject])];
  const [effective, regional, described, routes, routers, subnetworks, ...dns] = await Promise.all([
    getJson(new URL(`${computeUrl}${compute}/global/networks/${network}/getEffectiveFirewalls`)),
    getJson(regionalEffective),
    getJson(new URL(`${computeUrl}${compute}/global/networks/${network}`)),
    listAll(computeUrl, `${compute}/global/routes`),
    listAll(computeUrl, `${compute}/regions/${region}/routers`),
    listAll(computeUrl, `${compute}/regions/${region}/subnetworks`),
    ...projects.map((project) => zonesAndRecords(dnsUrl, project)),
  ]);
  return {
    effectiveFirewalls: [effective, regional],
    networks: [described],
    routes,
    routers,
    subnetworks,
    managedZones: dns.flatMap((entry) => entry.zones),
    recordSets: dns.flatMap((entry) => entry.records),
  };
}
