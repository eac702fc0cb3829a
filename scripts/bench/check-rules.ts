import { mkdirSync, writeFileSync } from 'node:fs';
import { CORPUS_DIR } from './analyze-vs-jq.js';
import { measure } from './measure.js';

/** An organization policy of the shape gcpdiag's dumps show: passes private ranges and probers on, denies the rest. */
function hierarchicalPolicy(rules: number): unknown {
  return {
    name: '902824820698',
    type: 'HIERARCHY',
    shortName: 'org-guardrails',
    rules: [
      ...Array.from({ length: rules - 3 }, (_, i) => ({ priority: 10 + i, action: i % 4 === 0 ? 'deny' : 'allow', direction: i % 2 === 0 ? 'INGRESS' : 'EGRESS', match: { [i % 2 === 0 ? 'srcIpRanges' : 'destIpRanges']: [`203.0.${i % 250}.0/24`], layer4Configs: [{ ipProtocol: 'tcp', ports: [String(2000 + i)] }] } })),
      { priority: 601, action: 'goto_next', direction: 'INGRESS', match: { srcIpRanges: ['35.191.0.0/16', '130.211.0.0/22', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], layer4Configs: [{ ipProtocol: 'all' }] } },
      { priority: 700, action: 'deny', direction: 'INGRESS', match: { srcIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] } },
      { priority: 2147483646, action: 'goto_next', direction: 'EGRESS', match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] } },
    ],
  };
}

/** A network with `count` firewall rules of the shapes real projects accumulate, in gcloud's export form. */
function firewallExport(count: number): unknown[] {
  const rules: unknown[] = [];
  const network = 'https://www.googleapis.com/compute/v1/projects/acme-ml-prod/global/networks/kf-prod';
  for (let i = 0; i < count; i++) {
    const ingress = i % 3 !== 0;
    const octet = (n: number) => (i * n) % 250;
    rules.push({
      kind: 'compute#firewall',
      name: `team-${i % 97}-rule-${i}`,
      network,
      direction: ingress ? 'INGRESS' : 'EGRESS',
      priority: 100 + (i % 60000),
      [i % 11 === 0 ? 'denied' : 'allowed']: [{ IPProtocol: i % 5 === 0 ? 'udp' : 'tcp', ports: [String(1024 + (i % 50000)), `${2000 + (i % 1000)}-${3000 + (i % 1000)}`] }],
      [ingress ? 'sourceRanges' : 'destinationRanges']: [`${10 + (i % 80)}.${octet(7)}.${octet(13)}.0/24`, `192.168.${octet(3)}.0/24`],
      targetTags: i % 4 === 0 ? [`team-${i % 97}`] : [],
      logConfig: { enable: i % 2 === 0 },
      disabled: i % 50 === 0,
    });
  }
  rules.push(
    { kind: 'compute#firewall', name: 'kf-prod-deny-egress', network, direction: 'EGRESS', priority: 1100, denied: [{ IPProtocol: 'tcp', ports: ['0-65535'] }], destinationRanges: ['0.0.0.0/0'], logConfig: { enable: true } },
    { kind: 'compute#firewall', name: 'kf-prod-deny-ingress', network, direction: 'INGRESS', priority: 65534, denied: [{ IPProtocol: 'all' }], sourceRanges: ['0.0.0.0/0'], logConfig: { enable: true } },
  );
  return rules;
}

export interface CheckBench {
  rules: number;
  seconds: number;
  /** `kfguard --version`: what starting the CLI costs, before any checking. */
  startSeconds: number;
  findings: number;
}

const FLAGS = ['--master-cidr', '172.16.0.32/28', '--node-cidr', '10.10.10.0/24', '--pod-cidr', '10.1.0.0/16', '--manifests', 'functions/samples/kubeflow-webhooks.yaml'];

/** The rules file of `count` VPC rules, written once per run. */
function rulesCorpus(count: number): string {
  mkdirSync(CORPUS_DIR, { recursive: true });
  const rulesFile = `${CORPUS_DIR}/firewall-rules-${count}.json`;
  // As get-effective-firewalls returns them: the VPC rules and an organization policy of 200 rules above them.
  writeFileSync(rulesFile, JSON.stringify({ firewalls: firewallExport(count), firewallPolicys: [hierarchicalPolicy(200)] }));
  return rulesFile;
}

/** Times `kfguard check` end to end (process start, reading, every check) on a large rule set. */
export async function benchCheck(count: number): Promise<CheckBench> {
  const rulesFile = rulesCorpus(count);
  const out = `${CORPUS_DIR}/check-${count}.json`;
  const start = await measure(process.execPath, ['bin/kfguard.js', '--version']);
  const run = await measure(process.execPath, ['bin/kfguard.js', 'check', '--gcloud', rulesFile, ...FLAGS, '--format', 'json', '--fail-on', 'none'], { stdoutFile: out });
  if (run.exitCode !== 0) throw new Error(`kfguard check exited ${run.exitCode}`);
  const { readFile } = await import('node:fs/promises');
  const report = JSON.parse(await readFile(out, 'utf8')) as { findings: unknown[]; stats: { firewallRules: number } };
  // firewallRules counts the policy's rules too.
  return { rules: report.stats.firewallRules, seconds: run.seconds, startSeconds: start.seconds, findings: report.findings.length };
}

export interface PlanBench {
  rules: number;
  seconds: number;
  changes: number;
  fixes: number;
  verified: boolean;
}

/** Times `kfguard plan` end to end on the same rules: the checks, the plan, and its proof (the checks again with it applied). */
export async function benchPlan(count: number): Promise<PlanBench> {
  const rulesFile = rulesCorpus(count);
  const out = `${CORPUS_DIR}/plan-${count}.json`;
  const run = await measure(process.execPath, ['bin/kfguard.js', 'plan', '--gcloud', rulesFile, ...FLAGS, '--format', 'json'], { stdoutFile: out });
  if (run.exitCode !== 0) throw new Error(`kfguard plan exited ${run.exitCode}: its plan is not verified, or did not fix everything`);
  const { readFile } = await import('node:fs/promises');
  const plan = JSON.parse(await readFile(out, 'utf8')) as { changes: { fixes: string[] }[]; verified: boolean };
  return { rules: count, seconds: run.seconds, changes: plan.changes.length, fixes: new Set(plan.changes.flatMap((change) => change.fixes)).size, verified: plan.verified };
}
