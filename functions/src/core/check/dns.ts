import { missingResourceCause } from '../findings/causes.js';
import { stringify } from 'yaml';
import { anyContains, parseIp } from '../net/cidr.js';
import { gcpResourceName, shellArg } from '../firewall/proposal.js';
import type { Remediation } from '../findings/finding.js';
import { GOOGLE_APIS_VIP_RANGES } from '../net/well-known.js';
import type { DnsRecordSpec, DnsZoneSpec, NetworkConfig } from '../config/specs.js';

const MAX_CNAME_HOPS = 8;

function recordsFor(records: readonly DnsRecordSpec[], name: string, type: string): DnsRecordSpec[] {
  const exact = records.filter((record) => record.type === type && record.name === name);
  if (exact.length > 0) return exact;
  // A wildcard matches one or more labels below its parent, as Cloud DNS does.
  return records.filter((record) => record.type === type && record.name.startsWith('*.') && name.endsWith(record.name.slice(1)) && name !== record.name.slice(2));
}

/** Resolves a name inside one private zone (A records, following CNAMEs that stay in the zone). */
export function resolveInZone(config: NetworkConfig, zone: DnsZoneSpec, name: string): string[] {
  const records = config.records.filter((record) => record.zone === zone.name);
  let current = name;
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const addresses = recordsFor(records, current, 'A').flatMap((record) => record.rrdatas);
    if (addresses.length > 0) return addresses;
    const alias = recordsFor(records, current, 'CNAME')[0]?.rrdatas[0];
    if (!alias) return [];
    current = alias.endsWith('.') ? alias : `${alias}.`;
  }
  return [];
}

export function allInVip(addresses: readonly string[]): boolean {
  return addresses.length > 0 && addresses.every((address) => {
    const ip = parseIp(address);
    return ip !== undefined && anyContains(GOOGLE_APIS_VIP_RANGES, ip) !== undefined;
  });
}

/** A domain private nodes must resolve to the restricted VIP through a private zone. */
export interface PrivateDomain {
  zone: string;
  /** A name clients actually look up, resolved through the zone to test it. */
  probe: string;
  apexRecord: string;
}

export const GOOGLE_APIS_DOMAIN: PrivateDomain = { zone: 'googleapis.com.', probe: 'storage.googleapis.com.', apexRecord: 'restricted.googleapis.com.' };
export const CONTAINER_REGISTRY_DOMAIN: PrivateDomain = { zone: 'gcr.io.', probe: 'gcr.io.', apexRecord: 'gcr.io.' };
export const ARTIFACT_REGISTRY_DOMAIN: PrivateDomain = { zone: 'pkg.dev.', probe: 'us-docker.pkg.dev.', apexRecord: 'pkg.dev.' };

const VIP_ADDRESSES = ['199.36.153.4', '199.36.153.5', '199.36.153.6', '199.36.153.7'];

/** Where `*.DOMAIN` points: googleapis.com names go to restricted.googleapis.com, the registries to their apex. */
export function wildcardTarget(domain: PrivateDomain): string {
  return domain === GOOGLE_APIS_DOMAIN ? GOOGLE_APIS_DOMAIN.apexRecord : domain.zone;
}

/** The network private zones are made visible to, and the project that holds it (and the zones). */
export interface ZoneHome {
  network: string;
  project?: string;
}

/** Names resolving to public addresses, seen as a missing zone in the configuration or as denials to Google's public addresses. */
export const PRIVATE_DNS_CAUSE = missingResourceCause('private-dns', 'Google API names do not resolve to the restricted VIP');

function zoneFix(domain: PrivateDomain, home: ZoneHome): { gcloud: string[]; manifests: Record<string, unknown>[] } {
  const { network } = home;
  const zoneName = gcpResourceName(network, domain.zone.replace(/\.$/, '').replace(/\./g, '-'));
  const target = wildcardTarget(domain);
  const project = home.project ? ` --project=${shellArg(home.project)}` : '';
  return {
    gcloud: [
      `gcloud dns managed-zones create ${shellArg(zoneName)}${project} --dns-name=${domain.zone} --visibility=private --networks=${shellArg(network)} --description='kfguard: restricted VIP'`,
      `gcloud dns record-sets create ${domain.apexRecord}${project} --zone=${shellArg(zoneName)} --type=A --ttl=300 --rrdatas=${VIP_ADDRESSES.join(',')}`,
      `gcloud dns record-sets create '*.${domain.zone}'${project} --zone=${shellArg(zoneName)} --type=CNAME --ttl=300 --rrdatas=${target}`,
    ],
    manifests: [
      { apiVersion: 'dns.cnrm.cloud.google.com/v1beta1', kind: 'DNSManagedZone', metadata: { name: zoneName }, spec: { dnsName: domain.zone, visibility: 'private', privateVisibilityConfig: { networks: [{ networkRef: { name: network } }] } } },
      { apiVersion: 'dns.cnrm.cloud.google.com/v1beta1', kind: 'DNSRecordSet', metadata: { name: `${zoneName}-a` }, spec: { name: domain.apexRecord, type: 'A', ttl: 300, managedZoneRef: { name: zoneName }, rrdatas: VIP_ADDRESSES } },
      { apiVersion: 'dns.cnrm.cloud.google.com/v1beta1', kind: 'DNSRecordSet', metadata: { name: `${zoneName}-cname` }, spec: { name: `*.${domain.zone}`, type: 'CNAME', ttl: 300, managedZoneRef: { name: zoneName }, rrdatas: [target] } },
    ],
  };
}

const ARTIFACT_REGISTRY_NOTE = 'Only if images come from Artifact Registry (pkg.dev):';

/**
 * Private zones resolving each domain to the restricted VIP, as gcloud commands and manifests;
 * `ifArtifactRegistry` domains follow under a comment, for when kfguard cannot tell where images come from.
 */
export function privateZonesRemediation(summary: string, home: ZoneHome, domains: readonly PrivateDomain[], ifArtifactRegistry: readonly PrivateDomain[] = []): Remediation {
  const required = domains.map((domain) => zoneFix(domain, home));
  const optional = ifArtifactRegistry.map((domain) => zoneFix(domain, home));
  const gcloud = required.flatMap((fix) => fix.gcloud);
  const manifests = required.flatMap((fix) => fix.manifests).map((doc) => stringify(doc));
  if (optional.length > 0) {
    gcloud.push(`# ${ARTIFACT_REGISTRY_NOTE}`, ...optional.flatMap((fix) => fix.gcloud));
    const [first, ...rest] = optional.flatMap((fix) => fix.manifests).map((doc) => stringify(doc));
    manifests.push(`# ${ARTIFACT_REGISTRY_NOTE}\n${first}`, ...rest);
  }
  return { summary, gcloud: gcloud.join('\n'), manifest: manifests.join('---\n') };
}
