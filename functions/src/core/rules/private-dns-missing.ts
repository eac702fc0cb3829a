import { checkObservation } from '../check/observation.js';
import { allInVip, ARTIFACT_REGISTRY_DOMAIN, CONTAINER_REGISTRY_DOMAIN, GOOGLE_APIS_DOMAIN, PRIVATE_DNS_CAUSE, privateZonesRemediation, resolveInZone, wildcardTarget, type PrivateDomain } from '../check/dns.js';
import { networkName } from '../check/network.js';
import type { CheckContext } from '../check/context.js';
import type { CheckRule } from './check-rule.js';

const DOMAINS: readonly PrivateDomain[] = [GOOGLE_APIS_DOMAIN, CONTAINER_REGISTRY_DOMAIN, ARTIFACT_REGISTRY_DOMAIN];

/** Artifact Registry images make pkg.dev a domain the nodes must resolve privately too. */
function domainsNeeded(context: CheckContext): PrivateDomain[] {
  const usesArtifactRegistry = context.config.workloads.some((workload) => workload.containers.some((container) => /(^|\.)pkg\.dev\//.test(container.image ?? '')));
  return DOMAINS.filter((domain) => domain !== ARTIFACT_REGISTRY_DOMAIN || usesArtifactRegistry);
}

function fixSummary(domain: PrivateDomain, network: string): string {
  return `Create a private zone for ${domain.zone} visible to ${network}: ${domain.apexRecord} A 199.36.153.4-7 and *.${domain.zone} CNAME ${wildcardTarget(domain)}`;
}

export const privateDnsMissing: CheckRule = {
  id: 'private-dns-missing',
  title: 'Google API names do not resolve to the restricted VIP',
  severity: 'error',
  source: 'configuration',
  requires: ['dns'],
  why:
    "Private nodes can only reach Google through 199.36.153.4/30. Without private Cloud DNS zones that answer googleapis.com and gcr.io (and pkg.dev for Artifact Registry) with that VIP, names resolve to public Google addresses, the deny-all egress rule drops them, and image pulls fail: the guide's \"image pull errors show IP addresses and not the restricted.googleapis.com VIP\".",
  remediation: 'Create a private managed zone per domain, visible to the cluster network, with an A record to 199.36.153.4-7 and a wildcard CNAME, like the blueprint\'s dns-gcr.yaml and dns-google-apis.yaml.',
  check(context) {
    const network = networkName(context);
    return domainsNeeded(context).flatMap((domain) => {
      const zones = context.config.zones.filter(
        (zone) => zone.visibility === 'private' && zone.dnsName === domain.zone && (context.network === undefined || zone.networks.length === 0 || zone.networks.includes(context.network)),
      );
      const answers = zones.map((zone) => resolveInZone(context.config, zone, domain.probe));
      if (answers.some(allInVip)) return [];
      const why = zones.length === 0 ? `No private zone for ${domain.zone} is visible to ${network}` : `${domain.probe} resolves to ${answers.flat().join(', ') || 'nothing'} in ${zones.map((z) => z.name).join(', ')}, not to 199.36.153.4/30`;
      return [
        checkObservation(privateDnsMissing, {
          key: [context.network, domain.zone],
          resources: [`domain:${domain.zone.replace(/\.$/, '')}`],
          cause: PRIVATE_DNS_CAUSE,
          explanation: `${why}, so ${domain.probe} goes to public addresses the nodes cannot reach.`,
          remediation: privateZonesRemediation(fixSummary(domain, network), { network, ...(context.networkProject ? { project: context.networkProject } : {}) }, [domain]),
        }),
      ];
    });
  },
};
