import { anyContains, parseIp } from '../net/cidr.js';
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
