import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';

const BIN = resolve('bin/kfguard.js');
let dir: string;
let up: ChildProcess;
let upExit: Promise<number | null>;

function kfguard(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** What an operator's shell has: no emulator variables and no project, so only .kfguard/dev.json can point at the stack. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'KFGUARD_PROJECT', 'GOOGLE_CLOUD_PROJECT']) delete env[key];
  return env;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kfguard-dev-'));
  up = spawn(process.execPath, [BIN, 'dev', 'up', '--sweep-every', '0'], { cwd: dir, env: cleanEnv() });
  upExit = new Promise((done) => up.on('close', (code) => done(code)));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('kfguard dev up did not become ready in 60 s')), 60_000);
    let output = '';
    up.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('kfguard dev: ready')) {
        clearTimeout(timer);
        ready();
      }
    });
    up.on('close', () => fail(new Error(`kfguard dev up exited early: ${output}`)));
  });
}, 90_000);

afterAll(async () => {
  if (up.exitCode === null) up.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('kfguard dev up, replay, findings and clusters as an operator uses them', () => {
  it('replays exported logs with duplicates and every message is acknowledged', async () => {
    const replay = await kfguard(['dev', 'replay', fixturePath('logs/denied-by-rule.json'), '--duplicates', '0.3']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^published 14 messages \(11 entries, 3 duplicates; 0 unreadable\): 14 acknowledged, 0 dead-lettered, 0 still pending/);
    const findings = await kfguard(['findings', '--format', 'json']);
    const document = JSON.parse(findings.stdout);
    expect(document.findings.reduce((sum: number, finding: any) => sum + finding.count, 0)).toBe(11);
    expect(document.stats).toEqual({ open: 11, resolved: 0, muted: 0 });
    expect(document.findings[0]).toEqual(expect.objectContaining({ id: expect.any(String), status: 'open', rule: expect.any(String), remediation: expect.objectContaining({ summary: expect.any(String) }) }));
    const open = await kfguard(['findings', '--status', 'resolved', '--format', 'json']);
    expect(JSON.parse(open.stdout).findings).toEqual([]);
    // Every finding belongs to exactly one of the causes listed with it.
    expect(document.causes.flatMap((cause: any) => cause.findings).sort()).toEqual(document.findings.map((finding: any) => finding.id).sort());
    expect(document.findings.every((finding: any) => document.causes.some((cause: any) => cause.id === finding.cause))).toBe(true);
  });

  it('registers clusters and lists them', async () => {
    const add = await kfguard(['clusters', 'add', '--project', 'kf-test-project', '--location', 'us-central1', '--name', 'kf-test', '--cluster', fixturePath('gke/cluster-describe.json'), '--management-namespace', 'kf-test-project']);
    expect(add.stdout).toBe('registered kf-test-project:us-central1:kf-test\n');
    const bad = await kfguard(['clusters', 'add', '--project', 'Bad Project', '--location', 'x', '--name', 'y']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('project "Bad Project" is not a valid GCP project');
    const list = await kfguard(['clusters', 'list', '--format', 'json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([expect.objectContaining({ key: 'kf-test-project:us-central1:kf-test', management: { namespace: 'kf-test-project' }, model: expect.objectContaining({ masterCidr: '172.16.0.32/28', network: 'kf-net' }) })]);
  });

  it('deploys from a request file and shows the stage timeline', async () => {
    const invalid = await kfguard(['deploy', fixturePath('logs/denied-by-rule.json')]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('is not a valid DeploymentRequest');
    const published = await kfguard(['deploy', resolve('functions/samples/deployment-request.json')]);
    expect(published.stdout).toMatch(/^published deployment kf-prod-2026-11-20 \(message \d+\); follow it with: kfguard deployments kf-prod-2026-11-20/);
    // No management cluster exists in the empty local project: preflight says so and the deployment stops there.
    let timeline = '';
    for (let i = 0; i < 100 && !timeline.includes('failed at preflight'); i++) {
      await new Promise((done) => setTimeout(done, 100));
      timeline = (await kfguard(['deployments', 'kf-prod-2026-11-20'])).stdout;
    }
    expect(timeline.replace(/\s+/g, ' ')).toMatch(/^kf-prod-2026-11-20: failed at preflight: management cluster acme-ml-mgmt:us-central1:kf-mgmt not found/);
    expect(timeline).toMatch(/preflight\s+failed\s+1/);
    const list = await kfguard(['deployments', '--format', 'json']);
    expect(JSON.parse(list.stdout).deployments.map((d: any) => [d.id, d.status])).toEqual([['kf-prod-2026-11-20', 'failed']]);
  });

  it('refuses a second stack in the same folder, then stops cleanly on Ctrl-C', async () => {
    const second = await kfguard(['dev', 'up']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('a local stack is already running here');
    up.kill('SIGINT');
    expect(await upExit).toBe(0);
    expect(existsSync(join(dir, '.kfguard', 'dev.json'))).toBe(false);
    const after = await kfguard(['findings']);
    expect(after.code).toBe(2);
  });
});
