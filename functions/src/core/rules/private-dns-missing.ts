import { stringify } from 'yaml';
import { checkObservation } from '../check/observation.js';
import { allInVip, resolveInZone } from '../check/dns.js';
import { networkName } from '../check/network.js';
import { gcpResourceName, shellArg } from '../firewall/proposal.js';
import type { CheckContext } from '../check/context.js';
import type { CheckRule } from './check-rule.js';

interface Domain {
  zone: string;
  /** A name clients actually look up, resolved through the zone to test it. */
  probe: string;
  apexRecord: string;
}

const DOMAINS: readonly Domain[] = [
  { zone: 'googleapis.com.', probe: 'storage.googleapis.com.', apexRecord: 'restricted.googleapis.com.' },
  { zone: 'gcr.io.', probe: 'gcr.io.', apexRecord: 'gcr.io.' },
  { zone: 'pkg.dev.', probe: 'us-docker.pkg.dev.', apexRecord: 'pkg.dev.' },
];

/** Artifact Registry images make pkg.dev a domain the nodes must resolve privately too. */
function domainsNeeded(context: CheckContext): Domain[] {
  const usesArtifactRegistry = context.config.workloads.some((workload) => workload.containers.some((container) => /(^|\.)pkg\.dev\//.test(container.image ?? '')));
  return DOMAINS.filter((domain) => domain.zone !== 'pkg.dev.' || usesArtifactRegistry);
}

function fix(domain: Domain, network: string) {
  const zoneName = gcpResourceName(network, domain.zone.replace(/\.$/, '').replace(/\./g, '-'));
  const wildcardTarget = domain.zone === 'googleapis.com.' ? 'restricted.googleapis.com.' : domain.zone;
  return {
    summary: `Create a private zone for ${domain.zone} visible to ${network}: ${domain.apexRecord} A 199.36.153.4-7 and *.${domain.zone} CNAME ${wildcardTarget}`,
    gcloud: [
      `gcloud dns managed-zones create ${shellArg(zoneName)} --dns-name=${domain.zone} --visibility=private --networks=${shellArg(network)} --description='kfguard: restricted VIP'`,
      `gcloud dns record-sets create ${domain.apexRecord} --zone=${shellArg(zoneName)} --type=A --ttl=300 --rrdatas=199.36.153.4,199.36.153.5,199.36.153.6,199.36.153.7`,
      `gcloud dns record-sets create '*.${domain.zone}' --zone=${shellArg(zoneName)} --type=CNAME --ttl=300 --rrdatas=${wildcardTarget}`,
    ].join('\n'),
    manifest: [
      { apiVersion: 'dns.cnrm.cloud.google.com/v1beta1', kind: 'DNSManagedZone', metadata: { name: zoneName }, spec: { dnsName: domain.zone, visibility: 'private', privateVisibilityConfig: { networks: [{ networkRef: { name: network } }] } } },
      { apiVersion: 'dns.cnrm.cloud.google.com/v1beta1', kind: 'DNSRecordSet', metadata: { name: `${zoneName}-a` }, spec: { name: domain.apexRecord, type: 'A', ttl: 300, managedZoneRef: { name: zoneName }, rrdatas: ['199.36.153.4', '199.36.153.5', '199.36.153.6', '199.36.153.7'] } },
      { apiVersion: 'dns.cnrm.cloud.google.com/v1beta1', kind: 'DNSRecordSet', metadata: { name: `${zoneName}-cname` }, spec: { name: `*.${domain.zone}`, type: 'CNAME', ttl: 300, managedZoneRef: { name: zoneName }, rrdatas: [wildcardTarget] } },
    ]
      .map((doc) => stringify(doc))
      .join('---\n'),
  };
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
          explanation: `${why}, so ${domain.probe} goes to public addresses the nodes cannot reach.`,
          remediation: fix(domain, network),
        }),
      ];
    });
  },
};
