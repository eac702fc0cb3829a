import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { editedFixture } from '../helpers/edit-fixture.js';
import { provePlan } from '../../functions/src/core/plan/prove.js';

const WEBHOOKS = 'functions/samples/kubeflow-webhooks.yaml';
const CLUSTER = fixturePath('gke/cluster-describe.json');

/** The guide's incident: both deny-all rules moved above the allow rules they should lose to. */
const incident = () =>
  editedFixture('check/blueprint', [
    ['firewall.yaml', /(name: kf-test-deny-egress[\s\S]*?priority: )1100/, '$1900'],
    ['firewall.yaml', /(name: kf-test-deny-ingress[\s\S]*?priority: )65534/, '$1900'],
  ]);

async function plan(args: string[]): Promise<{ code: number; plan: any; stderr: string; stdout: string }> {
  const result = await runCli(['plan', ...args]);
  return { code: result.code, plan: result.stdout.startsWith('{') ? JSON.parse(result.stdout) : undefined, stderr: result.stderr, stdout: result.stdout };
}

async function check(args: string[]): Promise<any> {
  const result = await runCli(['check', ...args, '--format', 'json', '--fail-on', 'none']);
  return JSON.parse(result.stdout);
}

const writePlan = (value: unknown): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'kfguard-plan-')), 'plan.json');
  writeFileSync(path, JSON.stringify(value));
  return path;
};

describe('kfguard plan', () => {
  it('emits the JSON contract: changes, unresolved, verified', async () => {
    const { code, plan: result } = await plan(['--manifests', incident(), WEBHOOKS]);
    expect(code).toBe(0);
    expect(Object.keys(result).sort()).toEqual(['changes', 'notes', 'unresolved', 'verified']);
    expect(result.verified).toBe(true);
    for (const change of result.changes) {
      expect(Object.keys(change).sort()).toEqual(['action', 'fixes', 'gcloud', 'id', 'layer', 'manifest', 'resource', 'terraform']);
      expect(change.fixes.length).toBeGreaterThan(0);
    }
  });

  it('fixes every error finding of the inputs, proved by check --with-plan, and nothing new appears', async () => {
    const inputs = ['--manifests', incident(), WEBHOOKS];
    const before = await check(inputs);
    const errors = before.findings.filter((f: any) => f.severity === 'error');
    expect(errors.length).toBeGreaterThan(3);
    const { plan: result } = await plan(inputs);
    expect(new Set(result.changes.flatMap((change: any) => change.fixes))).toEqual(new Set(errors.map((f: any) => f.id)));
    const after = await check([...inputs, '--with-plan', writePlan(result)]);
    expect(after.findings.filter((f: any) => f.severity === 'error')).toEqual([]);
    const known = new Set(before.findings.map((f: any) => f.id));
    expect(after.findings.filter((f: any) => !known.has(f.id))).toEqual([]);
  });

  it('one rule for the webhook ports that share source, target and direction, at a free priority that beats the deny', async () => {
    const { plan: result } = await plan(['--manifests', incident(), WEBHOOKS]);
    const webhooks = result.changes.filter((change: any) => /--source-ranges=172\.16\.0\.32\/28 --destination-ranges=10\.1\.0\.0\/16/.test(change.gcloud));
    expect(webhooks).toHaveLength(1);
    // cert-manager's 10250 is a port master-to-node needs too: its fix is that flow's, not a webhook rule.
    expect(webhooks[0].gcloud).toContain('--allow=tcp:4443,tcp:8443,tcp:9443,tcp:15017 ');
    expect(webhooks[0].resource).toMatch(/^projects\/kf-test-project\/global\/firewalls\/kf-test-allow-from-control-plane-/);
    const priorities = result.changes.filter((change: any) => change.layer === 'vpc-firewall').map((change: any) => Number(/--priority=(\d+)/.exec(change.gcloud)![1]));
    // Below both denies (900) and on no priority an existing rule holds.
    expect(priorities.every((priority: number) => priority < 900 && priority !== 0)).toBe(true);
  });

  it('a tampered plan that leaves out a change is caught by check --with-plan', async () => {
    const inputs = ['--manifests', incident(), WEBHOOKS];
    const { plan: result } = await plan(inputs);
    const [dropped, ...kept] = result.changes;
    const after = await check([...inputs, '--with-plan', writePlan({ ...result, changes: kept })]);
    expect(after.findings.map((f: any) => f.id)).toEqual(expect.arrayContaining(dropped.fixes));
  });

  it('logs and configuration together: a logged denial and its configuration finding are fixed by one change', async () => {
    const { code, plan: result } = await plan([fixturePath('logs/denied-by-rule.json'), '--manifests', incident(), WEBHOOKS, '--cluster', CLUSTER]);
    expect(result.verified).toBe(true);
    expect(code).toBe(0);
    const webhook = result.changes.find((change: any) => change.gcloud?.includes('tcp:15017'));
    expect(webhook.fixes.length).toBeGreaterThan(1);
  });

  it('what only a person can fix is unresolved, with why', async () => {
    const { code, plan: result } = await plan([fixturePath('logs/kubernetes-webhook-failures.ndjson'), '--manifests', incident(), WEBHOOKS, '--cluster', CLUSTER]);
    expect(result.unresolved).toEqual(expect.arrayContaining([expect.objectContaining({ why: expect.stringContaining("Check the webhook's pods and certificate") })]));
    expect(code).toBe(1);
  });

  it('renders a gcloud script, Config Connector manifests, Terraform and a PR description of the same changes', async () => {
    const inputs = ['--manifests', incident(), WEBHOOKS];
    const { plan: result } = await plan(inputs);
    const shell = (await plan([...inputs, '--format', 'shell'])).stdout;
    expect(shell.startsWith('#!/bin/sh\n')).toBe(true);
    for (const change of result.changes) expect(shell).toContain(change.gcloud);
    expect(spawnSync('sh', ['-n'], { input: shell }).status).toBe(0);
    const manifests = parseAllDocuments((await plan([...inputs, '--format', 'manifests'])).stdout).map((document) => document.toJS());
    expect(manifests.filter((manifest) => manifest?.kind === 'ComputeFirewall').map((manifest) => manifest.metadata.name).sort()).toEqual(
      result.changes.filter((change: any) => change.layer === 'vpc-firewall').map((change: any) => change.resource.split('/').pop()).sort(),
    );
    const terraform = (await plan([...inputs, '--format', 'terraform'])).stdout;
    expect(terraform.match(/^resource "google_compute_firewall"/gm)).toHaveLength(result.changes.filter((change: any) => change.layer === 'vpc-firewall').length);
    // terraform fmt accepts it as it is: valid HCL, formatted as Terraform formats it.
    expect(execFileSync('terraform', ['fmt', '-'], { input: terraform, encoding: 'utf8' })).toBe(terraform);
    const markdown = (await plan([...inputs, '--format', 'markdown'])).stdout;
    expect(markdown).toMatch(/^## kfguard plan: \d+ changes fixing \d+ findings, 0 unresolved\n\n\*\*Verified\*\*/);
  });

  it('refuses stdin for logs, and a plan file that is not a plan', async () => {
    expect((await plan(['-', '--manifests', incident()])).code).toBe(2);
    const notAPlan = await runCli(['check', '--manifests', incident(), '--with-plan', CLUSTER]);
    expect(notAPlan.code).toBe(2);
    expect(notAPlan.stderr).toContain(`--with-plan ${CLUSTER}: not a kfguard plan`);
  });
});

describe('the proof', () => {
  const change = (fixes: string[]) => ({ id: 'c1', layer: 'vpc-firewall' as const, action: 'create' as const, resource: 'r', gcloud: 'g', manifest: 'kind: ComputeFirewall\n', terraform: null, fixes });
  const finding = (id: string, extra: object = {}) => ({ id, rule: 'required-flow-blocked', title: 't', ...extra });

  it('is verified only when the claimed findings are gone and nothing new appears', () => {
    const plan = { changes: [change(['a', 'b'])], unresolved: [], verified: false, notes: [] };
    expect(provePlan(plan, [finding('a'), finding('b')], []).verified).toBe(true);
    expect(provePlan(plan, [finding('a'), finding('b')], [finding('b')]).verified).toBe(false);
    expect(provePlan(plan, [finding('a'), finding('b')], [finding('z')]).notes).toEqual(['With the plan applied, a new finding appears: z (required-flow-blocked: t).']);
    // A logged denial now let through counts as fixed, under whatever id the deciding rule gives it.
    expect(provePlan(plan, [finding('a'), finding('b')], [finding('a', { allowedNow: true }), finding('y', { allowedNow: true })]).verified).toBe(true);
  });

  it('a change that is only a command cannot be applied to the inputs, so the plan is not verified', () => {
    const plan = { changes: [{ ...change(['a']), manifest: null }], unresolved: [], verified: false, notes: [] };
    expect(provePlan(plan, [finding('a')], []).verified).toBe(false);
  });
});
