import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { fixturePath } from './fixtures.js';

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export type Edit = [file: string, from: string | RegExp, to: string] | [file: string, change: (text: string) => string];

/** Copies a fixture folder to a temporary one and applies text edits; each edit must change something. */
export function editedFixture(folder: string, edits: Edit[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kfguard-fixture-'));
  created.push(dir);
  cpSync(fixturePath(folder), dir, { recursive: true });
  for (const edit of edits) {
    const path = join(dir, edit[0]);
    const before = readFileSync(path, 'utf8');
    const after = edit.length === 2 ? edit[1](before) : before.replace(edit[1], edit[2]);
    if (after === before) throw new Error(`edit of ${edit[0]} changed nothing`);
    writeFileSync(path, after);
  }
  return dir;
}

/** An edit that removes the YAML document of `kind` named `name` from a multi-document file. */
export const dropDocument = (kind: string, name: string) => (text: string): string =>
  text
    .split(/^---$/m)
    .filter((doc) => !(new RegExp(`^kind: ${kind}$`, 'm').test(doc) && new RegExp(`^  name: ${name}\\b`, 'm').test(doc)))
    .join('---');
