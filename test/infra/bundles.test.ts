import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FUNCTIONS, HTTP_FUNCTIONS } from '../../functions/src/core/pipeline/names.js';
import { startTestFirestore, type TestFirestore } from '../helpers/firestore.js';

/** The global setup ran `node scripts/build.mjs`: these are the zips Terraform uploads. */
const OUT = 'build/functions';
const root = JSON.parse(readFileSync('package.json', 'utf8'));
const manifest = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')) as { functions: { name: string; eager: string[]; lazy: string[] }[] };
const entryFiles = readdirSync('functions/src/functions').map((file) => file.replace(/\.ts$/, ''));
const built = (name: string) => manifest.functions.find((fn) => fn.name === name)!;

describe('npm run build: one deployable bundle per Cloud Function', () => {
  it('builds every entry file, and every function Terraform deploys has its bundle', () => {
    expect(manifest.functions.map((fn) => fn.name).sort()).toEqual(entryFiles.sort());
    for (const name of [...Object.keys(EVENT_FUNCTIONS), ...Object.keys(HTTP_FUNCTIONS)]) expect(entryFiles).toContain(name);
    expect(entryFiles.length).toBe(Object.keys(EVENT_FUNCTIONS).length + Object.keys(HTTP_FUNCTIONS).length);
  });

  it.each(entryFiles)('%s: a zip with the code and a minimal package.json pinned to the installed versions', (name) => {
    const files = unzipSync(readFileSync(join(OUT, `${name}.zip`)));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['index.js', 'package.json']));
    const bundled = JSON.parse(Buffer.from(files['package.json']!).toString('utf8'));
    expect(bundled).toMatchObject({ type: 'module', main: 'index.js', private: true });
    expect(Object.keys(bundled.dependencies)).toContain('@google-cloud/functions-framework');
    for (const [dependency, version] of Object.entries(bundled.dependencies)) {
      expect(Object.keys(root.dependencies), `${name} needs ${dependency}, which is not a runtime dependency`).toContain(dependency);
      expect(version).toBe(JSON.parse(readFileSync(join('node_modules', dependency, 'package.json'), 'utf8')).version);
    }
    expect(bundled.devDependencies).toBeUndefined();
  });

  it('loads heavy clients only when a handler first needs them', () => {
    const heavy = ['google-gax', '@kubernetes/client-node', '@google-cloud/pubsub', '@google-cloud/container', '@google-cloud/logging', '@google-cloud/workflows', '@google-cloud/cloudbuild', '@google-cloud/secret-manager', 'google-auth-library', 'nodemailer'];
    for (const fn of manifest.functions) for (const dependency of heavy) expect(fn.eager, `${fn.name} loads ${dependency} at start`).not.toContain(dependency);
    // zod, yaml and ipaddr.js are inlined (scripts/build.mjs): what loads at start is the framework and Firestore.
    expect(built('logSink').eager.sort()).toEqual(['@google-cloud/firestore', '@google-cloud/functions-framework']);
    expect(built('notifier').lazy).toEqual(expect.arrayContaining(['nodemailer', '@google-cloud/secret-manager']));
    // The dashboard only reads Firestore.
    expect([...built('dashboard').eager, ...built('dashboard').lazy].sort()).toEqual(['@google-cloud/firestore', '@google-cloud/functions-framework']);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('a built bundle under functions-framework, as Cloud Functions runs it', () => {
  let firestore: TestFirestore;
  let server: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    firestore = await startTestFirestore('kfguard-bundle');
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    server = spawn(process.execPath, ['node_modules/@google-cloud/functions-framework/build/src/main.js', '--target=logSink', `--source=${OUT}/logSink`, '--signature-type=cloudevent', `--port=${port}`], {
      env: { ...process.env, KFGUARD_PROJECT: 'kfguard-bundle', FIRESTORE_EMULATOR_HOST: firestore.host, METADATA_SERVER_DETECTION: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk) => (output += chunk));
    server.stderr!.on('data', (chunk) => (output += chunk));
    for (let i = 0; i < 100; i++) {
      if (await fetch(url, { method: 'GET' }).then(() => true, () => false)) return;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`the logSink bundle did not start: ${output}`);
  }, 30_000);

  afterAll(async () => {
    server?.kill();
    await firestore?.stop();
  });

  it('serves logSink: a poison message is acknowledged and recorded in rejected, with a JSON log line', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'ce-id': 'bundle-1', 'ce-specversion': '1.0', 'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished', 'ce-source': '//pubsub.googleapis.com/projects/kfguard-bundle/topics/kfguard-log-events' },
      body: JSON.stringify({ message: { data: 'not base64 json!', messageId: 'bundle-1' }, subscription: 'projects/kfguard-bundle/subscriptions/kfguard-logSink' }),
    });
    expect(response.status).toBeLessThan(300);
    const rejected = (await firestore.db.collection('rejected').get()).docs.map((doc) => doc.data());
    expect(rejected).toEqual([expect.objectContaining({ function: 'logSink', messageId: 'bundle-1' })]);
    const logLine = output.split('\n').find((line) => line.includes('bundle-1'));
    expect(JSON.parse(logLine!)).toMatchObject({ severity: 'ERROR' });
  });
});
