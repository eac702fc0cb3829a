import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin, runCli } from '../helpers/cli.js';
import { fixtureJson, fixturePath, RANGE_FLAGS, readFixture } from '../helpers/fixtures.js';
import { dropDocument, editedFixture } from '../helpers/edit-fixture.js';

const DENIED = fixturePath('logs/denied-by-rule.json');

async function analyzeJson(args: string[], stdin?: string): Promise<{ code: number; report: any; stderr: string }> {
  const result = await runCli(['analyze', '--format', 'json', ...args], { stdin });
  return { code: result.code, report: result.stdout ? JSON.parse(result.stdout) : undefined, stderr: result.stderr };
}

describe('kfguard analyze', () => {
  it('emits the JSON contract', async () => {
    const { code, report } = await analyzeJson([DENIED, ...RANGE_FLAGS]);
    expect(code).toBe(1);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['causes', 'findings', 'stats', 'rejected']));
    expect(report.stats).toEqual({ entries: 11, denied: 11, ignored: 0, rejected: 0 });
    expect(report.rejected).toEqual([]);
    for (const finding of report.findings) {
      expect(Object.keys(finding).sort()).toEqual(
        ['cause', 'count', 'explanation', 'firewallLayer', 'firewallRule', 'firstSeen', 'flow', 'id', 'lastSeen', 'remediation', 'resources', 'rule', 'severity', 'title'].sort(),
      );
      // A logged VPC rule decided each denial; its fix is a VPC rule too.
      expect(finding.firewallLayer).toBe('vpc-firewall');
      expect(Object.keys(finding.remediation).sort()).toEqual(finding.remediation.gcloud?.startsWith('gcloud compute firewall-rules') ? ['changes', 'gcloud', 'layer', 'manifest', 'summary', 'terraform'] : ['gcloud', 'manifest', 'summary']);
      expect(finding.flow).toEqual(expect.objectContaining({ direction: expect.any(String), protocol: 'tcp', source: expect.any(String), destination: expect.any(String), ports: expect.any(Array) }));
    }
    expect(report.findings.map((f: any) => f.rule).sort()).toEqual(
      [
        'google-apis-blocked',
        'health-check-blocked',
        'health-check-blocked',
        'iap-blocked',
        'internet-egress-blocked',
        'internet-egress-blocked',
        'intra-cluster-blocked',
        'master-to-node-blocked',
        'node-to-master-blocked',
        'unclassified-denial',
        'webhook-port-blocked',
      ].sort(),
    );
  });

  it('aggregates entries with the same cause and counts them', async () => {
    const entries = fixtureJson<any[]>('logs/denied-by-rule.json');
    const webhook = entries.find((e) => e.insertId === 'webhook-port-blocked');
    const copies = [0, 1, 2].map((i) => ({
      ...webhook,
      insertId: `copy-${i}`,
      timestamp: `2026-03-02T10:1${i}:00Z`,
      jsonPayload: { ...webhook.jsonPayload, connection: { ...webhook.jsonPayload.connection, dest_ip: `10.1.${i}.9`, src_port: 50000 + i } },
    }));
    const otherPort = { ...copies[0], jsonPayload: { ...copies[0].jsonPayload, connection: { ...copies[0].jsonPayload.connection, dest_port: 8443 } } };
    const stdin = [...copies, otherPort].map((e) => JSON.stringify(e)).join('\n');
    const { report } = await analyzeJson(['-', ...RANGE_FLAGS], stdin);
    expect(report.findings).toHaveLength(2);
    const [first, second] = report.findings;
    expect(first).toMatchObject({ rule: 'webhook-port-blocked', count: 3, firstSeen: '2026-03-02T10:10:00Z', lastSeen: '2026-03-02T10:12:00Z', flow: { ports: [15017] } });
    expect(second).toMatchObject({ count: 1, flow: { ports: [8443] } });
  });

  it('reads the cluster model from a gcloud describe file just as from flags', async () => {
    const fromFile = await analyzeJson([DENIED, '--cluster', fixturePath('gke/cluster-describe.json')]);
    const fromFlags = await analyzeJson([DENIED, ...RANGE_FLAGS]);
    const shape = (report: any) => report.findings.map((f: any) => [f.rule, f.flow.source, f.flow.destination, f.count]);
    expect(shape(fromFile.report)).toEqual(shape(fromFlags.report));
    expect(fromFile.report.model).toMatchObject({ name: 'kf-test', network: 'kf-net', masterCidr: '172.16.0.32/28', origins: { master: 'cluster', pod: 'cluster' } });
    const webhook = fromFile.report.findings.find((f: any) => f.rule === 'webhook-port-blocked');
    expect(webhook.remediation.gcloud).toContain('--target-tags=gke-kf-test-1b2c3d4e-node');
  });

  it('lets flags override the cluster file', async () => {
    const { report } = await analyzeJson([DENIED, '--cluster', fixturePath('gke/cluster-describe.json'), '--master-cidr', '172.16.0.0/28']);
    expect(report.model.masterCidr).toBe('172.16.0.0/28');
    expect(report.model.origins.master).toBe('flag');
    expect(report.findings.some((f: any) => f.rule === 'webhook-port-blocked')).toBe(false);
  });

  it('says when ranges were inferred', async () => {
    const { report } = await analyzeJson([DENIED]);
    expect(report.notes.join(' ')).toMatch(/Control-plane range inferred from the entries as 172.16.0.32\/28/);
    expect(report.findings.find((f: any) => f.rule === 'webhook-port-blocked')).toBeDefined();
  });

  it('combines logs and an operations export, with --now and --stuck-after', async () => {
    const ops = fixturePath('gke/operations-list.json');
    const at = ['--now', '2026-03-02T10:40:00Z'];
    const early = await analyzeJson(['--operations', ops, ...at], '');
    expect(early.report.findings.map((f: any) => f.rule)).toEqual(['operation-failed']);
    const strict = await analyzeJson(['--operations', ops, ...at, '--stuck-after', 'CREATE_CLUSTER=30'], '');
    expect(strict.report.findings.map((f: any) => f.rule).sort()).toEqual(['operation-failed', 'operation-stuck']);
  });

  it('rejects a bad operation with the line it starts on', async () => {
    const ops = fixtureJson<any[]>('gke/operations-list.json');
    const dir = editedFixture('gke', [['operations-list.json', () => JSON.stringify([ops[0], { operationType: 'CREATE_CLUSTER' }, ops[1]], null, 2)]]);
    const text = readFileSync(`${dir}/operations-list.json`, 'utf8').split('\n');
    // The element's `  {` is the line before its only field, counted from 1.
    const line = text.findIndex((row) => row === '    "operationType": "CREATE_CLUSTER"');
    const { report } = await analyzeJson(['--operations', `${dir}/operations-list.json`, '--now', '2026-03-02T10:40:00Z'], '');
    expect(report.rejected).toEqual([{ source: `${dir}/operations-list.json:${line}`, reason: expect.stringMatching(/^not a GKE operation: name/) }]);
    expect(report.findings.map((f: any) => f.rule)).toEqual(['operation-failed']);
  });

  it('counts rejected input, reports where, and keeps going', async () => {
    const good = readFixture('logs/kubernetes-webhook-failures.ndjson');
    const input = `not json\n${good}{"jsonPayload":{"connection":{"src_ip":"1.2.3.4","dest_ip":"10.0.0.1","protocol":"bogus"},"disposition":"DENIED"},"logName":"projects/p/logs/compute.googleapis.com%2Ffirewall"}\n`;
    const { code, report } = await analyzeJson(['-', '--fail-on', 'none', '--allow-rejected'], input);
    expect(code).toBe(0);
    const strict = await runCli(['analyze', '-', '--fail-on', 'none', '--format', 'json'], { stdin: input });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toBe('kfguard: 2 input elements were rejected (stdin:1: invalid JSON: Unexpected token \'o\', "not json" is not valid JSON; stdin:7: jsonPayload.connection.protocol: unknown protocol "bogus"); exit 2 (pass --allow-rejected to judge what was read)\n');
    expect(report.stats).toEqual({ entries: 7, denied: 0, ignored: 1, rejected: 2 });
    expect(report.rejected).toEqual([
      { source: 'stdin:1', reason: expect.stringMatching(/^invalid JSON/) },
      { source: 'stdin:7', reason: 'jsonPayload.connection.protocol: unknown protocol "bogus"' },
    ]);
    expect(report.findings.map((f: any) => [f.rule, f.count])).toEqual([
      ['webhook-call-failed', 2],
      ['webhook-call-failed', 1],
      ['webhook-call-failed', 1],
    ]);
  });

  it('renders markdown for tickets and a table for terminals', async () => {
    const markdown = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--format', 'markdown']);
    expect(markdown.stdout).toMatch(/^## kfguard findings/);
    expect(markdown.stdout).toMatch(/\| `[0-9a-f]{8}` \| error \| `webhook-port-blocked` \| 1 \|/);
    expect(markdown.stdout.indexOf('### Causes')).toBeLessThan(markdown.stdout.indexOf('### Findings'));
    expect(markdown.stdout).toMatch(/```sh\ngcloud compute firewall-rules create kf-net-allow-webhook-tcp-15017/);
    expect(markdown.stdout).toContain('```yaml\napiVersion: compute.cnrm.cloud.google.com/v1beta1');
    const table = await runCli(['analyze', DENIED, ...RANGE_FLAGS, '--format', 'table']);
    expect(table.stdout.split('\n')[0]).toMatch(/^\d+ causes:$/);
    expect(table.stdout).toMatch(/^ID\s+FINDING\s+COUNT\s+FLOW\s+FIREWALL RULE$/m);
    expect(table.stdout).toContain('entries 11, denied 11, ignored 0, rejected 0');
  });

  describe('exit codes', () => {
    it('0 below --fail-on, 1 at or above it', async () => {
      const infoOnly = JSON.stringify(fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'unclassified-denial'));
      expect((await runCli(['analyze', ...RANGE_FLAGS], { stdin: infoOnly })).code).toBe(0);
      expect((await runCli(['analyze', ...RANGE_FLAGS, '--fail-on', 'info'], { stdin: infoOnly })).code).toBe(1);
      expect((await runCli(['analyze', DENIED, '--fail-on', 'none'])).code).toBe(0);
    });

    it.each([
      [['analyze', '/nonexistent/file.json'], /cannot read \/nonexistent\/file.json: no such file/],
      [['analyze', '--master-cidr', '172.16.0.0/33'], /invalid prefix length/],
      [['analyze', '--now', 'yesterday'], /--now: "yesterday" is not an RFC 3339 time/],
      [['analyze', '--stuck-after', 'forever'], /--stuck-after/],
      [['analyze', '--format', 'xml'], /Allowed choices are table, json, markdown/],
      [['analyze', '--cluster', fixturePath('logs/denied-by-rule.json')], /not the output of gcloud container clusters describe/],
      [['frobnicate'], /unknown command/],
    ])('2 for %j', async (args, message) => {
      const result = await runCli(args, { stdin: '' });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    });

    it.each(['table', 'json', 'markdown'])('2 for a missing file, alone or among readable ones: only the error, in --format %s too', async (format) => {
      for (const files of [['/nonexistent.json'], [DENIED, '/nonexistent.json']]) {
        const result = await runCli(['analyze', '--format', format, ...files, ...RANGE_FLAGS]);
        expect(result).toEqual({ code: 2, stdout: '', stderr: 'kfguard: cannot read /nonexistent.json: no such file\n' });
      }
    });

  });

  it('works as an installed binary reading stdin', async () => {
    const result = await runBin(['analyze', '--format', 'json', ...RANGE_FLAGS], readFixture('logs/denied-by-rule.json'));
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).stats.entries).toBe(11);
  });
});

describe('docs/rules.md', () => {
  it('is generated from the rules and up to date (npm run generate)', async () => {
    const generated = await runCli(['docs', 'rules']);
    expect(readFileSync('docs/rules.md', 'utf8')).toBe(generated.stdout);
    for (const id of ['master-to-node-blocked', 'webhook-port-blocked', 'health-check-blocked', 'iap-blocked', 'node-to-master-blocked', 'google-apis-blocked', 'intra-cluster-blocked', 'internet-egress-blocked', 'unclassified-denial', 'webhook-call-failed', 'operation-stuck', 'operation-failed']) {
      expect(generated.stdout).toContain(`### ${id}\n`);
    }
  });
});

describe('kfguard analyze --rules', () => {
  const webhookEntry = () => {
    const entry = fixtureJson<any[]>('logs/denied-by-rule.json').find((e) => e.insertId === 'webhook-port-blocked');
    entry.jsonPayload.vpc.vpc_name = 'kf-test';
    return JSON.stringify(entry);
  };
  // The cluster on the network the rules are on.
  const cluster = (() => {
    const path = join(mkdtempSync(join(tmpdir(), 'kfguard-rules-')), 'cluster.json');
    const describe = fixtureJson<any>('gke/cluster-describe.json');
    writeFileSync(path, JSON.stringify({ ...describe, network: 'kf-test', networkConfig: { ...describe.networkConfig, network: 'projects/kf-test-project/global/networks/kf-test' } }));
    return path;
  })();
  const flags = ['--cluster', cluster, '--format', 'json'];

  it('names the rule that denies the flow now and proves the fix', async () => {
    const rules = editedFixture('check/blueprint', [
      ['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-istio')],
      ['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-knative-katib')],
    ]);
    const result = await runCli(['analyze', '-', '--rules', `${rules}/firewall.yaml`, ...flags], { stdin: webhookEntry() });
    const [finding] = JSON.parse(result.stdout).findings;
    expect(finding).toMatchObject({ rule: 'webhook-port-blocked', firewallRule: 'kf-test-deny-ingress', firewallLayer: 'vpc-firewall' });
    expect(finding.remediation).toMatchObject({ verified: true, layer: 'vpc-firewall' });
    // The deny is at 65534; 1000 is taken by the blueprint's rules, so the free priority below it.
    expect(finding.remediation.gcloud).toContain('--priority=999');
    expect(finding.remediation.summary).toContain('kfguard applied it to the whole firewall stack: the blocked traffic passes and nothing else opens.');
  });

  it("cannot verify a fix when the nodes' tag is unknown", async () => {
    const rules = editedFixture('check/blueprint', [['firewall.yaml', dropDocument('ComputeFirewall', 'kf-test-istio')]]);
    const result = await runCli(['analyze', '-', '--rules', `${rules}/firewall.yaml`, '--master-cidr', '172.16.0.32/28', '--format', 'json'], { stdin: webhookEntry() });
    const [finding] = JSON.parse(result.stdout).findings;
    expect(finding.remediation).toMatchObject({ verified: false, summary: expect.stringContaining("Not verified: the nodes' tag is unknown") });
  });

  it('says so when no allow rule can win, and when the rules already allow the flow', async () => {
    const rules = editedFixture('check/blueprint', [['firewall.yaml', 'priority: 65534', 'priority: 0']]);
    const blocked = JSON.parse((await runCli(['analyze', '-', '--rules', `${rules}/firewall.yaml`, ...flags], { stdin: webhookEntry() })).stdout).findings[0];
    expect(blocked.firewallRule).toBe('kf-test-deny-ingress');
    expect(blocked.remediation.verified).toBe(false);
    expect(blocked.remediation.summary).toContain('Not verified: with it in place, firewall rule kf-test-deny-ingress (priority 0) still blocks part of this traffic');
    const open = JSON.parse((await runCli(['analyze', '-', '--rules', fixturePath('check/blueprint/firewall.yaml'), ...flags], { stdin: webhookEntry() })).stdout).findings[0];
    expect(open.firewallRule).toBe('kf-deny-all-ingress');
    expect(open.explanation).toContain('The given rules now allow this flow (by firewall rule kf-test-istio (priority 1000))');
  });

  it('a rules file without firewall rules is a usage error', async () => {
    const result = await runCli(['analyze', '-', '--rules', fixturePath('check/blueprint/dns.yaml')], { stdin: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--rules: no firewall rules or firewall policies');
  });
});
