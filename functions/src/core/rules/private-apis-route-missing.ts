import { stringify } from 'yaml';
import { cidrContainsCidr } from '../net/cidr.js';
import { GOOGLE_APIS_VIP_RANGES, RESTRICTED_APIS_RANGE } from '../net/well-known.js';
import { checkObservation } from '../check/observation.js';
import { dependsOnPrivateAccess, networkName, projectFlag, routesInScope } from '../check/network.js';
import { gcpResourceName, shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const privateApisRouteMissing: CheckRule = {
  id: 'private-apis-route-missing',
  title: 'No route to the Google APIs VIP',
  severity: 'error',
  source: 'configuration',
  requires: ['routes'],
  why:
    "Private Google Access sends traffic for restricted.googleapis.com (199.36.153.4/30) or private.googleapis.com (199.36.153.8/30) out through the default internet gateway without leaving Google's network. The blueprint deletes the network's default routes, so unless a route to the VIP via the default internet gateway exists, private nodes cannot pull images or call any Google API.",
  remediation: 'Create a route for 199.36.153.4/30 with next hop default-internet-gateway (the blueprint\'s NAME-google-apis route).',
  check(context) {
    if (!dependsOnPrivateAccess(context)) return [];
    const reachable = routesInScope(context).some((route) => route.viaInternetGateway && GOOGLE_APIS_VIP_RANGES.some((vip) => cidrContainsCidr(route.destRange, vip)));
    if (reachable) return [];
    const network = networkName(context);
    const name = gcpResourceName(network, 'google-apis');
    return [
      checkObservation(privateApisRouteMissing, {
        key: [context.network],
        flow: { direction: 'EGRESS', protocol: 'tcp', source: 'nodes', destination: RESTRICTED_APIS_RANGE.text, ports: [443] },
        resources: [`network:${network}`],
        explanation: `Network ${network} has no route covering 199.36.153.4/30 or 199.36.153.8/30 through the default internet gateway, and its nodes depend on Private Google Access.`,
        remediation: {
          summary: `Create route ${name} for 199.36.153.4/30 via the default internet gateway, priority 1000.`,
          gcloud: `gcloud compute routes create ${shellArg(name)}${projectFlag(context)} --network=${shellArg(network)} --destination-range=199.36.153.4/30 --next-hop-gateway=default-internet-gateway --priority=1000`,
          manifest: stringify({
            apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
            kind: 'ComputeRoute',
            metadata: { name },
            spec: { destRange: '199.36.153.4/30', networkRef: { name: network }, nextHopGateway: 'default-internet-gateway', priority: 1000 },
          }),
        },
      }),
    ];
  },
};
