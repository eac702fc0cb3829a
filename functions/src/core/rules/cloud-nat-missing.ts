import { stringify } from 'yaml';
import { checkObservation } from '../check/observation.js';
import { inNetwork } from '../check/context.js';
import { networkName, projectFlag } from '../check/network.js';
import { regionOfLocation } from '../model/cluster.js';
import { gcpResourceName, shellArg } from '../firewall/proposal.js';
import type { CheckRule } from './check-rule.js';

export const cloudNatMissing: CheckRule = {
  id: 'cloud-nat-missing',
  title: 'No Cloud NAT for the cluster',
  severity: 'error',
  source: 'configuration',
  requires: ['routers'],
  why: "Private nodes have no external address. IAP's ingress needs outbound access to fetch the JWKs it verifies tokens with, and pulls from DockerHub or Quay need it too; the guide's architecture puts a Cloud NAT on a Cloud Router in the cluster's region and network for that.",
  remediation: 'Create a Cloud Router in the cluster network and region and a NAT on it for all subnet ranges (the blueprint\'s nat.yaml).',
  check(context) {
    const region = context.cluster?.subnetworkRegion ?? regionOfLocation(context.cluster?.location);
    const routers = context.config.routers.filter((router) => inNetwork(context.network, router.network) && (region === undefined || router.region === undefined || router.region === region));
    const hasNat = context.config.nats.some((nat) => routers.some((router) => router.name === nat.router && (nat.region === undefined || router.region === undefined || nat.region === router.region)));
    if (hasNat) return [];
    const network = networkName(context);
    const where = region ?? 'REGION';
    const name = gcpResourceName(network, 'nat');
    return [
      checkObservation(cloudNatMissing, {
        key: [context.network, region],
        resources: [`network:${network}`, ...(region ? [`region:${region}`] : [])],
        explanation: `No Cloud NAT serves network ${network}${region ? ` in ${region}` : ''}: private nodes cannot reach the internet, so IAP cannot fetch its JWKs.`,
        remediation: {
          summary: `Create router ${name} and a NAT on it for all subnet ranges in ${where}.`,
          gcloud: [
            `gcloud compute routers create ${shellArg(name)}${projectFlag(context)} --network=${shellArg(network)} --region=${shellArg(where)}`,
            `gcloud compute routers nats create ${shellArg(name)}${projectFlag(context)} --router=${shellArg(name)} --region=${shellArg(where)} --auto-allocate-nat-external-ips --nat-all-subnet-ip-ranges`,
          ].join('\n'),
          manifest: [
            { apiVersion: 'compute.cnrm.cloud.google.com/v1beta1', kind: 'ComputeRouter', metadata: { name }, spec: { region: where, networkRef: { name: network } } },
            { apiVersion: 'compute.cnrm.cloud.google.com/v1beta1', kind: 'ComputeRouterNAT', metadata: { name }, spec: { region: where, routerRef: { name }, natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES' } },
          ]
            .map((doc) => stringify(doc))
            .join('---\n'),
        },
      }),
    ];
  },
};
