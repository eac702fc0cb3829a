import { checkObservation } from '../check/observation.js';
import { shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const authorizedNetworksDisabled: CheckRule = {
  id: 'authorized-networks-disabled',
  title: 'The public control-plane endpoint accepts any address',
  severity: 'warning',
  source: 'configuration',
  requires: ['clusters'],
  why: 'The blueprint keeps the control plane\'s public endpoint (enablePrivateEndpoint: false, "the least secure config because it allows access to master from all public IPs"). The guide\'s next step is GKE master authorized networks, so that only listed ranges can reach the API server.',
  remediation: 'Enable master authorized networks with the ranges that administer the cluster (CI, VPN, Cloud Shell).',
  check(context) {
    const cluster = context.cluster;
    // A cluster known only from range flags says nothing about its endpoint: unknown is not "disabled".
    if (cluster?.privateEndpoint !== false || cluster.authorizedNetworks !== false) return [];
    const name = cluster.name ?? 'CLUSTER';
    return [
      checkObservation(authorizedNetworksDisabled, {
        key: [name],
        resources: [`cluster:${name}`],
        explanation: `Cluster ${name} has a public control-plane endpoint and no master authorized networks: the API server is reachable from every address on the internet.`,
        remediation: {
          summary: 'Enable master authorized networks and list only the ranges that administer the cluster.',
          gcloud: `gcloud container clusters update ${shellArg(name)}${cluster.location ? ` --location=${shellArg(cluster.location)}` : ''} --enable-master-authorized-networks --master-authorized-networks=ADMIN_CIDR`,
          manifest: 'spec:\n  masterAuthorizedNetworksConfig:\n    cidrBlocks:\n    - displayName: admins\n      cidrBlock: ADMIN_CIDR\n',
        },
      }),
    ];
  },
};
