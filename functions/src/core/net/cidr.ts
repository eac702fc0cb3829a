import ipaddr from 'ipaddr.js';

/** An address parsed once, so range checks on hot paths stay integer comparisons for IPv4. */
export interface IpAddress {
  readonly text: string;
  readonly family: 4 | 6;
  /** IPv4 as an unsigned 32-bit integer; 0 for IPv6. */
  readonly v4: number;
  readonly v6?: ipaddr.IPv6;
}

export interface Cidr {
  /** Canonical text, network address and prefix: "10.0.0.0/8". */
  readonly text: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  /** Inclusive IPv4 bounds as unsigned integers; 0 for IPv6. */
  readonly first: number;
  readonly last: number;
  readonly v6?: ipaddr.IPv6;
}

/** Text that is not a range; `reason` says why without repeating the text, for messages that name it already. */
export class CidrError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`"${text}" ${reason}`);
  }
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4FromText(text: string): IpAddress | undefined {
  const match = DOTTED_QUAD.exec(text);
  if (!match) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return { text: intToV4(value), family: 4, v4: value };
}

function intToV4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Strict dotted-quad IPv4 (ipaddr.js alone would also take "10" or hex forms) or IPv6; IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = v4FromText(text);
  if (v4) return v4;
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  if (v6.isIPv4MappedAddress()) return v4FromText(v6.toIPv4Address().toString());
  return { text: v6.toString(), family: 6, v4: 0, v6 };
}

/**
 * Parses "A.B.C.D/N" (or a bare address, taken as a host route). Host bits are cleared, as GCP
 * does when it stores a range, so "10.1.2.3/8" compares equal to "10.0.0.0/8".
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const ip = parseIp(slash < 0 ? trimmed : trimmed.slice(0, slash));
  if (!ip) throw new CidrError(text, 'is not an IP range (expected A.B.C.D/N)');
  const maxPrefix = ip.family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(maxPrefix) : trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    throw new CidrError(text, `has an invalid prefix length (0-${maxPrefix})`);
  }
  const prefix = Number(prefixText);
  if (ip.family === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const first = (ip.v4 & mask) >>> 0;
    const last = (first | (~mask >>> 0)) >>> 0;
    return { text: `${intToV4(first)}/${prefix}`, family: 4, prefix, first, last };
  }
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${ip.text}/${prefix}`);
  return { text: `${network.toString()}/${prefix}`, family: 6, prefix, v6: network, first: 0, last: 0 };
}

export function tryParseCidr(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}

export function cidrContainsIp(range: Cidr, ip: IpAddress): boolean {
  if (range.family !== ip.family) return false;
  if (ip.family === 4) return ip.v4 >= range.first && ip.v4 <= range.last;
  return ip.v6!.match(range.v6!, range.prefix);
}

/** True when every address of `inner` lies in `outer`. */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  if (outer.family === 4) return inner.first >= outer.first && inner.last <= outer.last;
  return inner.v6!.match(outer.v6!, outer.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a);
}

export function anyContains(ranges: readonly Cidr[], ip: IpAddress): Cidr | undefined {
  for (const range of ranges) if (cidrContainsIp(range, ip)) return range;
  return undefined;
}

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(parseCidr);
/** RFC 1918 plus the shared address space GKE allows for pods and services. */
const PRIVATE_V4 = [...RFC1918, parseCidr('100.64.0.0/10')];
const UNIQUE_LOCAL_V6 = parseCidr('fc00::/7');

export function isRfc1918Range(range: Cidr): boolean {
  return RFC1918.some((block) => cidrContainsCidr(block, range));
}

/** Wholly inside RFC 1918 space, RFC 6598 shared space (100.64.0.0/10) or IPv6 unique-local space. */
export function isPrivateRange(range: Cidr): boolean {
  return range.family === 6 ? cidrContainsCidr(UNIQUE_LOCAL_V6, range) : PRIVATE_V4.some((block) => cidrContainsCidr(block, range));
}

/** Whether the text names the range's first address: "10.1.2.3/8" does not (parseCidr clears the host bits). */
export function isNetworkAddress(range: Cidr, text: string): boolean {
  const address = text.trim().split('/')[0]!;
  return parseIp(address)?.text === range.text.split('/')[0];
}

export function isPrivateAddress(ip: IpAddress): boolean {
  if (ip.family === 6) return ip.v6!.range() === 'uniqueLocal';
  return PRIVATE_V4.some((block) => cidrContainsIp(block, ip));
}
