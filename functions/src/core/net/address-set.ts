import ipaddr from 'ipaddr.js';
import { parseCidr, type Cidr } from './cidr.js';
import { normalize, type Interval, type IntervalSet, type Point } from './intervals.js';

export type Family = 4 | 6;

/** A set of addresses of one family: IPv4 as numbers, IPv6 as bigints. */
export type AddressSet = IntervalSet<Point>;

const V6_BITS = 128n;
const V6_MAX = (1n << V6_BITS) - 1n;
const V4_MAX = 0xffffffff;

function v6Value(address: ipaddr.IPv6): bigint {
  return address.toByteArray().reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

const intervals = new WeakMap<Cidr, Interval>();

/** The addresses of a range as one interval. */
export function cidrInterval(cidr: Cidr): Interval {
  const cached = intervals.get(cidr);
  if (cached) return cached;
  let interval: Interval;
  if (cidr.family === 4) interval = { lo: cidr.first, hi: cidr.last };
  else {
    const lo = v6Value(cidr.v6!);
    interval = { lo, hi: lo | ((1n << (V6_BITS - BigInt(cidr.prefix))) - 1n) };
  }
  intervals.set(cidr, interval);
  return interval;
}

/** The addresses of the ranges of one family (ranges of the other family are left out). */
export function addressSet(ranges: readonly Cidr[], family: Family): AddressSet {
  return normalize(ranges.filter((range) => range.family === family).map(cidrInterval));
}

const EVERY_V4: AddressSet = Object.freeze([Object.freeze({ lo: 0, hi: V4_MAX })]);
const EVERY_V6: AddressSet = Object.freeze([Object.freeze({ lo: 0n, hi: V6_MAX })]);

export function everyAddress(family: Family): AddressSet {
  return family === 4 ? EVERY_V4 : EVERY_V6;
}

function v4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function v6Text(value: bigint): string {
  const bytes: number[] = [];
  for (let shift = 120n; shift >= 0n; shift -= 8n) bytes.push(Number((value >> shift) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The largest aligned block starting at `lo` that does not pass `hi`, as a prefix length. */
function largestBlock(lo: bigint, hi: bigint, bits: bigint): bigint {
  let size = 0n;
  while (size < bits && (lo & ((1n << (size + 1n)) - 1n)) === 0n && lo + (1n << (size + 1n)) - 1n <= hi) size++;
  return bits - size;
}

/** The fewest CIDR ranges that make up a set, in order: how blocked pieces are named. */
export function setToCidrs(set: AddressSet, family: Family): Cidr[] {
  const bits = family === 4 ? 32n : V6_BITS;
  const cidrs: Cidr[] = [];
  for (const interval of set) {
    let lo = BigInt(interval.lo);
    const hi = BigInt(interval.hi);
    while (lo <= hi) {
      const prefix = largestBlock(lo, hi, bits);
      const text = family === 4 ? v4Text(Number(lo)) : v6Text(lo);
      cidrs.push(parseCidr(`${text}/${prefix}`));
      lo += 1n << (bits - prefix);
    }
  }
  return cidrs;
}
