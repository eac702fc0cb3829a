import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { fixtureJson } from '../helpers/fixtures.js';

/**
 * Hostile files through `kfguard analyze` and `kfguard check`, run as a real process so a crash
 * shows as a crash. Each must be refused with its location and reason, the valid input next to it
 * must still be analysed, and the exit code must be one the CLI documents (0, 1, 2).
 */
let dir: string;
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const good = () => structuredClone(fixtureJson<any[]>('logs/denied-by-rule.json').find((entry) => entry.insertId === 'webhook-port-blocked'));
const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const withConnection = (changes: Record<string, unknown>) => {
  const entry = good();
  Object.assign(entry.jsonPayload.connection, changes);
  return entry;
};
const RANGES = ['--master-cidr', '172.16.0.32/28', '--node-cidr', '10.10.10.0/24', '--pod-cidr', '10.1.0.0/16'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kfguard-abuse-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyze(path: string): Promise<{ code: number; report: any; stderr: string }> {
  const result = await runBin(['analyze', path, '--format', 'json', ...RANGES]);
  return { code: result.code, report: result.stdout ? JSON.parse(result.stdout) : undefined, stderr: result.stderr };
}

describe('kfguard analyze on hostile log files', () => {
  const hostileLines: [string, () => string | Buffer, RegExp][] = [
    ['a line of JSON nested 100,000 deep', () => `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, /JSON object|nested|JSON/],
    ['a 10 MB entry', () => line({ ...good(), textPayload: 'x'.repeat(10 * 1024 * 1024) }), /larger than/],
    ['invalid UTF-8', () => Buffer.concat([Buffer.from('{"insertId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]), /UTF-8/],
    ['a port that is a word', () => line(withConnection({ dest_port: 'https' })), /dest_port/],
    ['port 70000', () => line(withConnection({ dest_port: 70000 })), /dest_port/],
    ['a negative port', () => line(withConnection({ src_port: -1 })), /src_port/],
    ['an address with an octet of 300', () => line(withConnection({ src_ip: '172.16.0.300' })), /src_ip/],
    ['protocol 999', () => line(withConnection({ protocol: 999 })), /protocol/],
    ['a number where an object belongs', () => line({ ...good(), jsonPayload: 42 }), /jsonPayload/],
    ['a NUL-filled line', () => `${'\u0000'.repeat(64)}\n`, /JSON/],
  ];

  it.each(hostileLines)('%s: refused with FILE:LINE, the valid line after it analysed, and the gate fails', async (name, hostile, reason) => {
    const path = file(`${name.replace(/\W+/g, '-')}.ndjson`, Buffer.concat([Buffer.from(hostile()), Buffer.from(line(good()))]));
    const { code, report, stderr } = await analyze(path);
    expect(code).toBe(2);
    expect(stderr).toContain(`1 input element was rejected (${path}:1: `);
    expect(report.stats).toMatchObject({ entries: 2, rejected: 1 });
    expect(report.rejected[0].source).toBe(`${path}:1`);
    expect(report.rejected[0].reason).toMatch(reason);
    expect(report.findings.map((finding: any) => finding.rule)).toEqual(['webhook-port-blocked']);
  });

  it('a truncated gcloud export keeps the entries before the cut and says where it broke', async () => {
    const whole = JSON.stringify([{ ...good(), insertId: 'a' }, { ...good(), insertId: 'b' }], null, 2);
    const { code, report } = await analyze(file('truncated.json', whole.slice(0, whole.length - 300)));
    expect(code).toBe(2);
    expect(report.findings[0].count).toBe(1);
    expect(report.rejected[0].source).toMatch(/truncated\.json:\d+$/);
    expect(report.rejected[0].reason).toMatch(/JSON/);
  });

  it('a byte-order mark and CRLF line ends (files saved on Windows) are read, not refused', async () => {
    const { report } = await analyze(file('windows.ndjson', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${JSON.stringify(good())}\r\n${JSON.stringify(good())}\r\n`)])));
    expect(report.stats).toMatchObject({ entries: 2, rejected: 0 });
    expect(report.findings[0].count).toBe(2);
  });

  it('binary garbage is refused line by line and the run ends normally', async () => {
    const { code, report } = await analyze(file('garbage.bin', Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 131) % 256))));
    // Nothing could be read: a gate must not pass on it.
    expect(code).toBe(2);
    expect(report.stats.rejected).toBeGreaterThan(0);
    expect(report.stats.rejected).toBe(report.stats.entries);
  });

  it('__proto__ and constructor keys pollute nothing', async () => {
    const hostile = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${JSON.stringify(good()).slice(1)}\n`;
    const result = await runCli(['analyze', '-', '--format', 'json', ...RANGES], { stdin: hostile });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(JSON.parse(result.stdout).findings.map((finding: any) => finding.rule)).toEqual(['webhook-port-blocked']);
  });

  it.each([
    ['--master-cidr', '300.1.1.1/28'],
    ['--master-cidr', '10.0.0.0/33'],
    ['--node-cidr', '10.0.0.0/8; rm -rf /'],
    ['--pod-cidr', ''],
    ['--service-cidr', '::/-1'],
  ])('refuses %s %j with exit 2, naming the value', async (flag, value) => {
    const result = await runBin(['analyze', '--format', 'json', flag, value], line(good()));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(JSON.stringify(value).slice(1, -1) || 'range');
    expect(result.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it('a folder or a missing file is a usage error naming it, not a crash', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    for (const path of [folder, join(dir, 'missing.json')]) {
      const result = await runBin(['analyze', path, '--format', 'json']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(path);
      expect(result.stderr).not.toMatch(/internal error/);
    }
  });

  it('a --cluster file that is not a cluster is refused with its name', async () => {
    const result = await runBin(['analyze', '--cluster', file('not-a-cluster.json', '{"privateClusterConfig": "yes"'), '--format', 'json'], line(good()));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not-a-cluster.json');
  });
});

describe('kfguard check on hostile manifests and exports', () => {
  const firewall = (name: string, extra = '') => `apiVersion: compute.cnrm.cloud.google.com/v1beta1
kind: ComputeFirewall
metadata:
  name: ${name}
spec:
  networkRef:
    name: kf-prod
  direction: INGRESS
  priority: 1000
  sourceRanges: ["172.16.0.32/28"]
  allow:
    - protocol: tcp
      ports: ["15017"]
${extra}`;

  async function check(...paths: string[]): Promise<{ code: number; report: any }> {
    const result = await runBin(['check', '--manifests', ...paths, '--format', 'json', '--fail-on', 'none']);
    return { code: result.code, report: JSON.parse(result.stdout) };
  }

  it('refuses a YAML alias bomb and still reads the document after it', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)];
    const { report } = await check(file('bomb.yaml', `${levels.join('\n')}\n---\n${firewall('kf-prod-allow-webhooks')}`));
    expect(report.rejected).toEqual([expect.objectContaining({ source: expect.stringMatching(/bomb\.yaml:1$/), reason: expect.stringMatching(/alias/i) })]);
    expect(report.stats.firewallRules).toBe(1);
  });

  it('treats a language-specific YAML tag as data, never as code', async () => {
    const { report } = await check(file('tagged.yaml', `${firewall('kf-prod-tagged')}description: !!js/function "function () { process.exit(9) }"\n`));
    expect(report.stats.firewallRules + report.stats.rejected).toBe(1);
  });

  it('refuses wrong types and absurd values with FILE:LINE, keeping the valid rules', async () => {
    const { report } = await check(
      file(
        'absurd.yaml',
        [
          firewall('kf-prod-ok'),
          firewall('kf-prod-bad-range').replace('172.16.0.32/28', '172.16.0.32/64'),
          firewall('kf-prod-bad-port').replace('"15017"', '"99999"'),
          firewall('kf-prod-bad-priority').replace('priority: 1000', 'priority: high'),
        ].join('---\n'),
      ),
    );
    expect(report.stats.firewallRules).toBe(1);
    expect(report.rejected).toHaveLength(3);
    for (const rejection of report.rejected) expect(rejection.source).toMatch(/absurd\.yaml:\d+$/);
  });

  it('a __proto__ key in a manifest pollutes nothing', async () => {
    const result = await runCli(['check', '--manifests', file('proto.yaml', `${firewall('kf-prod-proto')}  __proto__:\n    polluted: yes\n`), '--format', 'json', '--fail-on', 'none']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect([0, 1]).toContain(result.code);
  });

  it('a gcloud export with wrong types is refused element by element', async () => {
    const rules = [
      { kind: 'compute#firewall', name: 'ok', network: 'global/networks/kf-prod', direction: 'INGRESS', priority: 1000, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
      { kind: 'compute#firewall', name: 'bad', network: 'global/networks/kf-prod', direction: 'SIDEWAYS', priority: 'high', sourceRanges: 'all', allowed: 'everything' },
    ];
    const result = await runBin(['check', '--gcloud', file('rules.json', JSON.stringify(rules, null, 2)), '--format', 'json', '--fail-on', 'none']);
    const report = JSON.parse(result.stdout);
    expect(report.stats.firewallRules).toBe(1);
    expect(report.rejected).toHaveLength(1);
    expect(report.rejected[0].source).toMatch(/rules\.json:\d+$/);
  });
});
