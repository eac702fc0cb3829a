import { describe, expect, it } from 'vitest';
import { cidrContainsCidr, cidrContainsIp, cidrsOverlap, CidrError, isRfc1918Range, parseCidr, parseIp } from '../../functions/src/core/net/cidr.js';

describe('CIDR arithmetic', () => {
  it('canonicalises host bits away, as GCP stores ranges', () => {
    expect(parseCidr('10.1.2.3/8').text).toBe('10.0.0.0/8');
    expect(parseCidr('172.16.0.34/28').text).toBe('172.16.0.32/28');
    expect(parseCidr('199.36.153.4').text).toBe('199.36.153.4/32');
  });

  it('tests membership at the range edges', () => {
    const master = parseCidr('172.16.0.32/28');
    expect(cidrContainsIp(master, parseIp('172.16.0.32')!)).toBe(true);
    expect(cidrContainsIp(master, parseIp('172.16.0.47')!)).toBe(true);
    expect(cidrContainsIp(master, parseIp('172.16.0.48')!)).toBe(false);
    expect(cidrContainsIp(parseCidr('0.0.0.0/0'), parseIp('255.255.255.255')!)).toBe(true);
  });

  it('handles IPv6 and never mixes families', () => {
    const hc = parseCidr('2600:2d00:1:b029::/64');
    expect(cidrContainsIp(hc, parseIp('2600:2d00:1:b029::17')!)).toBe(true);
    expect(cidrContainsIp(hc, parseIp('10.0.0.1')!)).toBe(false);
    expect(cidrContainsIp(parseCidr('0.0.0.0/0'), parseIp('::1')!)).toBe(false);
  });

  it('compares ranges', () => {
    expect(cidrContainsCidr(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16'))).toBe(true);
    expect(cidrContainsCidr(parseCidr('10.1.0.0/16'), parseCidr('10.0.0.0/8'))).toBe(false);
    expect(cidrsOverlap(parseCidr('10.1.0.0/16'), parseCidr('10.0.0.0/8'))).toBe(true);
    expect(cidrsOverlap(parseCidr('10.10.10.0/24'), parseCidr('10.10.11.0/24'))).toBe(false);
    expect(isRfc1918Range(parseCidr('172.16.0.32/28'))).toBe(true);
    expect(isRfc1918Range(parseCidr('172.32.0.0/16'))).toBe(false);
  });

  it.each(['10.0.0.0/33', '300.1.1.1/8', '10.0.0.0/-1', 'banana', '10.0.0/8', '10.0.0.0/08x', '0x0a.0.0.1/8'])('rejects %s with a reason', (text) => {
    expect(() => parseCidr(text)).toThrow(CidrError);
  });
});
