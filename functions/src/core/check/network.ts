import { ANYWHERE_V4, GOOGLE_APIS_VIP_RANGES } from '../net/well-known.js';
import { cidrContainsCidr } from '../net/cidr.js';
import type { RouteSpec } from '../config/specs.js';
import { shellArg } from '../firewall/proposal.js';
import { inNetwork, type CheckContext } from './context.js';

/** The network's routes, plus the default route GCP created for a network whose manifest keeps it. */
export function routesInScope(context: CheckContext): RouteSpec[] {
  const declared = context.config.routes.filter((route) => inNetwork(context.network, route.network));
  const implied = context.config.networks
    .filter((network) => network.impliesDefaultRoute && inNetwork(context.network, network.name))
    .map((network) => ({
      name: `default route of ${network.name} (GCP creates it: deleteDefaultRoutesOnCreate is not set)`,
      network: network.name,
      destRange: ANYWHERE_V4,
      priority: 1000,
      viaInternetGateway: true,
      nextHop: 'default-internet-gateway',
      location: network.location,
    }));
  return [...declared, ...implied];
}

export function isDefaultRoute(route: RouteSpec): boolean {
  return route.destRange.family === 4 && route.destRange.prefix === 0;
}

/** Routes that carry traffic for the Google APIs VIPs specifically (not the default route). */
export function vipRoutes(routes: readonly RouteSpec[]): RouteSpec[] {
  return routes.filter((route) => !isDefaultRoute(route) && GOOGLE_APIS_VIP_RANGES.some((vip) => cidrContainsCidr(route.destRange, vip) || cidrContainsCidr(vip, route.destRange)));
}

/** Private nodes, or subnets with Private Google Access: the network reaches Google APIs through the VIP. */
export function dependsOnPrivateAccess(context: CheckContext): boolean {
  return context.cluster?.privateNodes === true || context.config.subnetworks.some((subnet) => inNetwork(context.network, subnet.network) && subnet.privateIpGoogleAccess);
}

export function networkName(context: CheckContext): string {
  return context.network ?? 'NETWORK';
}

/** ` --project=HOST`: routes, NAT and DNS go in the project that holds the network (the host project for Shared VPC). */
export function projectFlag(context: CheckContext): string {
  return context.networkProject ? ` --project=${shellArg(context.networkProject)}` : '';
}
