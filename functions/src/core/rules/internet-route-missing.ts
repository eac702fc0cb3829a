import { stringify } from 'yaml';
import { checkObservation } from '../check/observation.js';
import { inNetwork } from '../check/context.js';
import { isDefaultRoute, networkName, projectFlag, routesInScope } from '../check/network.js';
import { gcpResourceName, shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const internetRouteMissing: CheckRule = {
  id: 'internet-route-missing',
  title: 'Cloud NAT has no route to the internet',
  severity: 'error',
  source: 'configuration',
  requires: ['routers', 'routes'],
  why: "Cloud NAT only translates traffic that a route sends to the default internet gateway. The blueprint creates its network with deleteDefaultRoutesOnCreate, so unless a 0.0.0.0/0 route to the default internet gateway is added back (its NAME-internet route, priority 1100), NAT carries nothing and IAP's JWKs and DockerHub stay unreachable: the guide's \"access to allowed (non-Google) sites is blocked\".",
  remediation: 'Add a 0.0.0.0/0 route via default-internet-gateway with a larger priority number than the Google APIs route.',
  check(context) {
    const routers = new Set(context.config.routers.filter((router) => inNetwork(context.network, router.network)).map((router) => router.name));
    const nats = context.config.nats.filter((nat) => nat.router !== undefined && routers.has(nat.router));
    if (nats.length === 0) return [];
    if (routesInScope(context).some((route) => isDefaultRoute(route) && route.viaInternetGateway)) return [];
    const network = networkName(context);
    const name = gcpResourceName(network, 'internet');
    return [
      checkObservation(internetRouteMissing, {
        key: [context.network],
        flow: { direction: 'EGRESS', protocol: 'all', source: 'nodes', destination: '0.0.0.0/0', ports: [] },
        resources: nats.map((nat) => `nat:${nat.name}`),
        explanation: `Cloud NAT ${nats.map((nat) => nat.name).join(', ')} is configured for ${network}, but no 0.0.0.0/0 route goes to the default internet gateway, so nothing reaches it.`,
        remediation: {
          summary: `Create route ${name}: 0.0.0.0/0 via the default internet gateway, priority 1100.`,
          gcloud: `gcloud compute routes create ${shellArg(name)}${projectFlag(context)} --network=${shellArg(network)} --destination-range=0.0.0.0/0 --next-hop-gateway=default-internet-gateway --priority=1100`,
          manifest: stringify({
            apiVersion: 'compute.cnrm.cloud.google.com/v1beta1',
            kind: 'ComputeRoute',
            metadata: { name },
            spec: { description: 'internet route for Cloud NAT (IAP JWKs)', destRange: '0.0.0.0/0', networkRef: { name: network }, priority: 1100, nextHopGateway: 'default-internet-gateway' },
          }),
        },
      }),
    ];
  },
};
