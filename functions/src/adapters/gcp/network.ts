import { runtimeConfig } from '../config.js';
import { listAll } from './rest.js';

/** What the Compute and DNS APIs say about a project's network, as their own JSON (what gcloud exports). */
export interface LiveNetwork {
  firewalls: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  routers: Record<string, unknown>[];
  subnetworks: Record<string, unknown>[];
  managedZones: Record<string, unknown>[];
  recordSets: Record<string, unknown>[];
}

export async function readLiveNetwork(project: string, region: string): Promise<LiveNetwork> {
  const { computeUrl, dnsUrl } = runtimeConfig().endpoints;
  const compute = `/compute/v1/projects/${encodeURIComponent(project)}`;
  const [firewalls, routes, routers, subnetworks, managedZones] = await Promise.all([
    listAll(computeUrl, `${compute}/global/firewalls`),
    listAll(computeUrl, `${compute}/global/routes`),
    listAll(computeUrl, `${compute}/regions/${encodeURIComponent(region)}/routers`),
    listAll(computeUrl, `${compute}/regions/${encodeURIComponent(region)}/subnetworks`),
    listAll(dnsUrl, `/dns/v1/projects/${encodeURIComponent(project)}/managedZones`, 'managedZones'),
  ]);
  const privateZones = managedZones.filter((zone) => zone['visibility'] === 'private');
  const recordSets = (
    await Promise.all(privateZones.map((zone) => listAll(dnsUrl, `/dns/v1/projects/${encodeURIComponent(project)}/managedZones/${encodeURIComponent(String(zone['name']))}/rrsets`, 'rrsets')))
  ).flat();
  return { firewalls, routes, routers, subnetworks, managedZones, recordSets };
}
