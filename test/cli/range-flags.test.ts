import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

/** Every command that takes the range flags, with what else it needs to get as far as reading them. */
const COMMANDS: [string, string[]][] = [
  ['analyze', ['analyze', '-']],
  ['check', ['check', '--manifests', fixturePath('check/blueprint/firewall.yaml')]],
  ['clusters add', ['clusters', 'add', '--project', 'acme-ml-prod', '--location', 'us-central1', '--name', 'kf-prod']],
  ['blueprint enable-private', ['blueprint', 'enable-private', fixturePath('blueprint/kubeflow')]],
];

describe('range flags: a value that cannot be that range of a private cluster is a usage error naming the flag, the value and why', () => {
  const refused: [string, string, RegExp][] = [
    ['--master-cidr', '10.0.0.0/24', /must be an IPv4 \/28 \(GKE gives the control plane exactly 16 addresses\), not a \/24/],
    ['--master-cidr', '8.8.8.0/28', /must be in RFC 1918 space \(10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16\), as GKE requires/],
    ['--master-cidr', '100.64.0.0/28', /must be in RFC 1918 space/],
    ['--master-cidr', 'fd00::/28', /must be an IPv4 \/28/],
    ['--master-cidr', '172.16.0.33/28', /has host bits set: the range starting there is 172\.16\.0\.32\/28/],
    ['--master-cidr', '172.16.0.0/33', /has an invalid prefix length \(0-32\)/],
    ['--node-cidr', '0.0.0.0/0', /is every address, not a cluster range/],
    ['--node-cidr', '10.10.10.7/24', /has host bits set: the range starting there is 10\.10\.10\.0\/24/],
    ['--pod-cidr', '34.64.0.0/14', /is not private: pod ranges must be in RFC 1918 space .*, RFC 6598 shared space \(100\.64\.0\.0\/10\) or IPv6 unique-local space \(fc00::\/7\)/],
    ['--pod-cidr', '10.0.0.0/7', /is not private/],
    ['--service-cidr', '240.0.0.0/16', /is not private: service ranges .* class E\) are not taken from flags/],
    ['--service-cidr', '::/0', /is every address/],
    ['--service-cidr', 'ten.zero/8', /is not an IP range \(expected A\.B\.C\.D\/N\)/],
  ];

  for (const [name, args] of COMMANDS) {
    it.each(refused)(`${name} %s %s`, async (flag, value, why) => {
      const result = await runCli([...args, flag, value], { stdin: '' });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const [line, ...rest] = result.stderr.trimEnd().split('\n');
      expect(line).toMatch(new RegExp(`^kfguard: ${flag} ${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect(line).toMatch(why);
      expect(rest).toEqual([]);
    });
  }

  it('says it in one line, as the other usage errors do', async () => {
    const result = await runCli(['analyze', '-', '--master-cidr', '10.0.0.0/24'], { stdin: '' });
    expect(result.stderr).toBe('kfguard: --master-cidr 10.0.0.0/24: must be an IPv4 /28 (GKE gives the control plane exactly 16 addresses), not a /24\n');
  });

  it('checks every value of a repeated flag', async () => {
    const result = await runCli(['analyze', '-', '--pod-cidr', '10.1.0.0/16', '--pod-cidr', '8.8.0.0/16'], { stdin: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^kfguard: --pod-cidr 8\.8\.0\.0\/16: is not private/);
  });

  it('an empty value is named as such', async () => {
    const result = await runCli(['analyze', '-', '--node-cidr', ''], { stdin: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kfguard: --node-cidr "": is not an IP range (expected A.B.C.D/N)\n');
  });

  it('takes RFC 1918, RFC 6598 shared space and IPv6 unique-local ranges, and uses them', async () => {
    const result = await runCli(
      ['analyze', '-', '--format', 'json', '--master-cidr', '192.168.255.240/28', '--node-cidr', '10.10.10.0/24', '--pod-cidr', '100.64.0.0/14', '--service-cidr', '172.20.0.0/20', '--service-cidr', 'fd20:0:0:1::/64'],
      { stdin: '' },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).model).toMatchObject({
      masterCidr: '192.168.255.240/28',
      nodeCidrs: ['10.10.10.0/24'],
      podCidrs: ['100.64.0.0/14'],
      serviceCidrs: ['172.20.0.0/20', 'fd20:0:0:1::/64'],
      origins: { master: 'flag', node: 'flag', pod: 'flag', service: 'flag' },
    });
  });

  it('blueprint enable-private still wants IPv4 for the subnetwork it writes', async () => {
    const result = await runCli(['blueprint', 'enable-private', fixturePath('blueprint/kubeflow'), '--pod-cidr', 'fd20::/64']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('kfguard: --pod-cidr fd20::/64: not an IPv4 range\n');
  });
});
