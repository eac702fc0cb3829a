/**
 * Sets of integers as sorted, disjoint, non-adjacent inclusive intervals: the address and port
 * dimensions the firewall evaluator splits traffic along. IPv4 addresses and ports are numbers,
 * IPv6 addresses bigints; one set never mixes the two.
 */
export type Point = number | bigint;

export interface Interval<T extends Point = Point> {
  readonly lo: T;
  readonly hi: T;
}

export type IntervalSet<T extends Point = Point> = readonly Interval<T>[];

function successor<T extends Point>(value: T): T {
  return (typeof value === 'bigint' ? value + 1n : (value as number) + 1) as T;
}

function predecessor<T extends Point>(value: T): T {
  return (typeof value === 'bigint' ? value - 1n : (value as number) - 1) as T;
}

const maxOf = <T extends Point>(a: T, b: T): T => (a > b ? a : b);
const minOf = <T extends Point>(a: T, b: T): T => (a < b ? a : b);

/** Sorts and merges overlapping or adjacent intervals into a set. */
export function normalize<T extends Point>(intervals: readonly Interval<T>[]): IntervalSet<T> {
  const sorted = [...intervals].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const merged: Interval<T>[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.lo <= successor(last.hi)) merged[merged.length - 1] = { lo: last.lo, hi: maxOf(last.hi, interval.hi) };
    else merged.push(interval);
  }
  return merged;
}

export function intersect<T extends Point>(a: IntervalSet<T>, b: IntervalSet<T>): IntervalSet<T> {
  const out: Interval<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const lo = maxOf(x.lo, y.lo);
    const hi = minOf(x.hi, y.hi);
    if (lo <= hi) out.push({ lo, hi });
    if (x.hi < y.hi) i++;
    else j++;
  }
  return out;
}

export function subtract<T extends Point>(a: IntervalSet<T>, b: IntervalSet<T>): IntervalSet<T> {
  const out: Interval<T>[] = [];
  let j = 0;
  for (const interval of a) {
    let lo = interval.lo;
    const hi = interval.hi;
    while (j < b.length && b[j]!.hi < lo) j++;
    let k = j;
    while (k < b.length && b[k]!.lo <= hi) {
      const cut = b[k]!;
      if (cut.lo > lo) out.push({ lo, hi: predecessor(cut.lo) });
      if (cut.hi >= hi) {
        lo = successor(hi);
        break;
      }
      lo = successor(cut.hi);
      k++;
    }
    if (lo <= hi) out.push({ lo, hi });
  }
  return out;
}

export function union<T extends Point>(a: IntervalSet<T>, b: IntervalSet<T>): IntervalSet<T> {
  return normalize([...a, ...b]);
}

export function isEmpty(set: IntervalSet): boolean {
  return set.length === 0;
}

/** Whether every point of `inner` is in `outer`. */
export function covers<T extends Point>(outer: IntervalSet<T>, inner: IntervalSet<T>): boolean {
  return subtract(inner, outer).length === 0;
}

export function sameSet<T extends Point>(a: IntervalSet<T>, b: IntervalSet<T>): boolean {
  return a.length === b.length && a.every((interval, index) => interval.lo === b[index]!.lo && interval.hi === b[index]!.hi);
}
