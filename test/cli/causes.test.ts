import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { causedDocument } from '../../functions/src/core/report/findings-report.js';
import { blockedFlowCause } from '../../functions/src/core/findings/causes.js';
import type { Finding } from '../../functions/src/core/findings/finding.js';

const LOGS = [fixturePath('logs/denied-by-rule.json'), fixturePath('logs/kubernetes-webhook-failures.ndjson')];
const CLUSTER = fixturePath('gke/cluster-describe.json');

async function analyze(args: string[]): Promise<any> {
  const result = await runCli(['analyze', ...args, '--format', 'json', '--fail-on', 'none']);
  return JSON.parse(result.stdout);
}

const causeOf = (report: any, rule: string) => report.causes.find((cause: any) => cause.id === report.findings.find((f: any) => f.rule === rule).cause);

describe('causes', () => {
  it('a denied webhook port and the API server failing to call that webhook are one cause, with the evidence of both', async () => {
    const report = await analyze([...LOGS, '--cluster', CLUSTER]);
    // cert-manager serves on 10250: its failed calls and the denials of 10250 and 15017 by one rule are one cause.
    const cause = causeOf(report, 'webhook-call-failed');
    const members = report.findings.filter((f: any) => cause.findings.includes(f.id)).map((f: any) => f.rule).sort();
    // Two cert-manager failures (different messages), one denied kubelet port, one denied istiod port.
    expect(members).toEqual(['master-to-node-blocked', 'webhook-call-failed', 'webhook-call-failed', 'webhook-port-blocked']);
    expect(cause.title).toBe('Firewall rule kf-deny-all-ingress blocks the control plane from reaching the cluster on tcp 10250, 15017');
    expect(cause.summary).toContain('the API server (webhook-call-failed');
    expect(cause.summary).toContain('firewall logs (');
    expect(causeOf(report, 'master-to-node-blocked').id).toBe(cause.id);
  });

  it('every finding carries its id and its cause, and every cause lists only findings that name it', async () => {
    const report = await analyze([...LOGS, '--cluster', CLUSTER]);
    for (const finding of report.findings) {
      expect(finding.id).toMatch(/^[0-9a-f]{32}$/);
      expect(report.causes.filter((cause: any) => cause.findings.includes(finding.id)).map((cause: any) => cause.id)).toEqual([finding.cause]);
    }
    expect(report.findings.some((finding: any) => 'evidenceOf' in finding)).toBe(false);
  });

  it('ids are stable across runs and take the cluster as their scope, like the store does', async () => {
    const [first, again, elsewhere] = await Promise.all([analyze([...LOGS, '--cluster', CLUSTER]), analyze([...LOGS, '--cluster', CLUSTER]), analyze(LOGS)]);
    expect(again.findings.map((f: any) => f.id)).toEqual(first.findings.map((f: any) => f.id));
    expect(again.causes.map((c: any) => c.id)).toEqual(first.causes.map((c: any) => c.id));
    expect(elsewhere.findings.map((f: any) => f.id)).not.toEqual(first.findings.map((f: any) => f.id));
  });

  it('denials to public Google addresses on 443 are the missing private DNS, the cause the configuration check names', async () => {
    const report = await analyze([...LOGS, '--cluster', CLUSTER]);
    const dns = report.causes.find((cause: any) => cause.title === 'Google API names do not resolve to the restricted VIP');
    expect(report.findings.filter((f: any) => dns.findings.includes(f.id)).map((f: any) => f.flow.destination)).toEqual(['google-public']);
  });

  it('the table lists causes first, each with the short ids of its findings', async () => {
    const result = await runCli(['analyze', ...LOGS, '--cluster', CLUSTER, '--format', 'table', '--fail-on', 'none']);
    const report = await analyze([...LOGS, '--cluster', CLUSTER]);
    const [first] = report.causes;
    expect(result.stdout.indexOf(' causes:')).toBeLessThan(result.stdout.indexOf('ID '));
    expect(result.stdout).toContain(`findings: ${first.findings.map((id: string) => id.slice(0, 8)).join(' ')}`);
  });
});

describe('grouping', () => {
  const finding = (id: string, changes: Partial<Finding & { scope: string }>): Finding & { scope?: string } => ({
    id,
    rule: 'webhook-port-blocked',
    severity: 'error',
    title: 'Control plane cannot reach an admission webhook port',
    count: 1,
    firstSeen: null,
    lastSeen: null,
    flow: null,
    firewallRule: null,
    firewallLayer: null,
    resources: [],
    explanation: '',
    remediation: { summary: '', gcloud: null, manifest: null },
    evidenceOf: null,
    ...changes,
  });

  it('the same blocked port in two clusters is two causes', () => {
    const spec = blockedFlowCause('INGRESS', 'control-plane', 'tcp', [9443], 'kf-deny-all-ingress');
    const { causes } = causedDocument({ findings: [finding('a1', { evidenceOf: spec, scope: 'p:us-central1:a' }), finding('b1', { evidenceOf: spec, scope: 'p:us-central1:b' })] });
    expect(causes.map((cause) => cause.findings)).toEqual([['a1'], ['b1']]);
  });

  it('one rule blocking several ports from the same side is one cause; the other side is another', () => {
    const { causes } = causedDocument({
      findings: [
        finding('a1', { evidenceOf: blockedFlowCause('INGRESS', 'control-plane', 'tcp', [9443], 'deny-all') }),
        finding('a2', { evidenceOf: blockedFlowCause('INGRESS', 'control-plane', 'tcp', [8443], 'deny-all') }),
        finding('a3', { evidenceOf: blockedFlowCause('INGRESS', 'health-check', 'tcp', [8443], 'deny-all'), rule: 'health-check-blocked' }),
        finding('a4', { evidenceOf: null, rule: 'authorized-networks-disabled', severity: 'warning' }),
      ],
    });
    expect(causes.map((cause) => [...cause.findings].sort())).toEqual([['a1', 'a2'], ['a3'], ['a4']]);
    expect(causes[0]!.title).toBe('Firewall rule deny-all blocks the control plane from reaching the cluster on tcp 8443, 9443');
  });

  it("a cause keeps its id when another cause's findings come and go", () => {
    const webhook = finding('a1', { evidenceOf: blockedFlowCause('INGRESS', 'control-plane', 'tcp', [9443], 'deny-all') });
    const alone = causedDocument({ findings: [webhook] }).causes[0]!.id;
    const withOthers = causedDocument({ findings: [finding('z9', {}), webhook, finding('b2', { evidenceOf: blockedFlowCause('EGRESS', 'control-plane', 'tcp', [443], 'deny-egress') })] });
    expect(withOthers.causes.find((cause) => cause.findings.includes('a1'))!.id).toBe(alone);
  });
});
